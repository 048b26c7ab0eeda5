"""Home Assistant's voice satellites: a Wyoming server that answers typed-out speech (handle) and speaks (tts).
Hands each satellite its own dialogue session, Piper audio with real pauses, and a due time-out's words at its next turn."""
