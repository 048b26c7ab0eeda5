"""Hearing: microphone frames in (capture, echo cancelling, endpointing, wake word), text out.
Hands on an Utterance (text and alternatives) to the room's loop; models and their downloads live here too."""
