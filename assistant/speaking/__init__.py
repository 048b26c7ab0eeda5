"""Speaking: a Reply in, sound out (renderers, voices, the speaker and its timeline).
Piper and pyttsx3 behind one Renderer protocol; the breathing session's audio."""
