"""The words that act at once while the assistant speaks (barge-in), wherever they are heard.

The room's loop listens for them over its own voice; content checks refuse a reply that says one
(heard back through the microphone it would stop the reply it starts)."""

BARGE_IN = ("stop", "slower", "safety")  # what is heard while the assistant speaks (stop: also wait, pause)
# while it speaks, one of these words anywhere in what is being heard acts at once, whatever
# else the residue of its own voice added around it ("the stop the")
BARGE_WORDS = {"stop": "stop", "wait": "stop", "pause": "stop", "enough": "stop", "quiet": "stop",
               "slower": "slower", "slow down": "slower"}
