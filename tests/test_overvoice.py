"""What is acted on of what is heard while the assistant speaks (assistant/room/overvoice.py). The
hypotheses below are what PocketSphinx made of the room bench's audio (scripts/bench --only room):
a person's "stop" said over a step being read, and the residue of its own voice."""

from __future__ import annotations

from assistant.room.overvoice import LoopSettings, OverItsVoice


def over(kept: float, saying: str = "step three fighting fair every couple disagrees") -> OverItsVoice:
    o = OverItsVoice(LoopSettings())
    o.saying = saying
    o.energy = [1.0, kept]  # the microphone's energy, and the share the canceller kept
    return o


def test_stop_heard_only_among_the_alternatives_of_a_short_utterance_is_obeyed():
    # "stop" said over a step came out as "to die", "it's about" and "top"; "stop" was an alternative
    for text, alternatives in (("to die", ("stop", "about", "to got")),
                               ("it's about", ("without", "with stop", "if back")),
                               ("top", ("stop", "tell", "stop the"))):
        assert over(0.7).barge_heard(text, alternatives)[0] == "stop"


def test_an_alternative_does_not_count_for_its_own_voice_or_for_a_sentence():
    # the canceller took nearly all of it: the residue of its own voice, whatever it decodes as
    assert over(0.01).barge_heard("to die", ("stop",)) == (None, "to die")
    # a person talking over it in a sentence: a stop among its alternatives is the language model's guess
    assert over(0.7).barge_heard("her mother has an affair", ("her mother has stop",))[0] is None


def test_the_command_word_in_the_best_hypothesis_is_obeyed_when_a_person_said_it():
    assert over(0.6).barge_heard("please stop", ()) == ("stop", "please stop")
    assert over(0.6).heeded("stop", "please stop")


def test_a_command_decoded_from_its_own_voice_is_not_obeyed():
    # "Okay, I've stopped" came back as "okay i stop" and stopped the next reply, five times
    assert not over(0.002).heeded("stop", "okay i stop")
    assert over(0.3).heeded("stop", "okay i stop")


def test_danger_over_its_voice_needs_weight_and_more_when_it_is_mostly_echo():
    assert over(0.6).heeded("safety", "he is hitting me right now", stage="net")  # four words or more
    assert not over(0.6).heeded("safety", "to die", stage="net")  # a scrap
    assert over(0.6).heeded("safety", "he hit me", stage="phrase")  # a danger phrase
    # decoded from the residue of a step being read ("i hurt her"): a phrase, but under four words
    assert not over(0.002).heeded("safety", "i hurt her", stage="phrase")
    assert over(0.002).heeded("safety", "he is going to kill me", stage="phrase")


def test_its_own_words_coming_back_are_not_danger():
    o = over(0.6, saying="if you are thinking about hurting yourself call now")
    assert not o.heeded("safety", "thinking about hurting yourself", stage="phrase")


def test_danger_heard_over_the_safety_answer_never_starts_it_again():
    # the room soak: its own safety answer through a weak echo path, decoded as danger, started it again
    # and again ("if you are in danger right now call mind hundred eleven the actual domestic violence")
    o = over(0.6, saying="i am really glad you told me you matter and your safety comes first right now "
                         "if you are in danger right now call nine hundred eleven")
    o.saying_safety = True
    heard = "if you are in danger right now call mind hundred eleven the actual domestic violence"
    assert o.echo(heard) is False  # too garbled to be taken for its own words
    assert not o.heeded("safety", heard, stage="phrase")
    assert not o.heeded("safety_check", "then call em urgency services", stage="net")
    assert over(0.6).heeded("safety", heard, stage="phrase")  # over any other reply it is danger
    assert o.heeded("stop", "stop")  # and "stop" still stops it
