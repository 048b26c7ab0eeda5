"""Dialogue: an IntentMatch in, a Reply out (lines, pauses, breathing plan).
The session, the content YAML, the time-out and its timer."""
