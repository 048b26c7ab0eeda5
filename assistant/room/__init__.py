"""The room: the voice loop that ties hearing, dialogue and speaking together live.
Decides what was addressed to it, hears commands over its own voice, places calls."""
