"""The dialogue's promises, through the real matcher, intents and content."""

from __future__ import annotations

from assistant.dialogue.content import strip_pauses
from assistant.dialogue.session import RATE_LIMITS, DialogueSettings
from tests.conftest import run_test


def test_flooded_user_gets_breathing_break(app):
    (m, reply), = run_test(app, ["i need a break"], ["take_break"])
    assert reply.breathing is not None
    assert reply.breathing.pattern == app.content.default_pattern
    assert reply.breathing.cycles == app.content.default_cycles
    first_cue = app.content.patterns[app.content.default_pattern].phases[0].cue
    assert first_cue in reply.text


def test_named_breathing_pattern_is_used(app):
    for said, pattern in [("can we do box breathing", "box"), ("let us do four seven eight breathing", "4-7-8"),
                          ("slow breathing please", "slow"), ("help me do a physiological sigh", "sigh")]:
        (m, reply), = run_test(app, [said], ["take_break"])
        assert reply.breathing.pattern == pattern, said
        assert m.slots.get("pattern") == pattern, said


def test_break_ends_by_offering_time_out_and_yes_gives_it(app):
    turns = run_test(app, ["i need a break", "yes"], ["take_break", "yes"])
    assert turns[0][1].question
    assert app.content.time_out.parts[0] in turns[1][1].text


def test_upset_user_is_walked_through_an_apology(app):
    (m, reply), = run_test(app, ["help me apologize"], ["apologize"])
    step4 = app.content.steps[3]
    assert step4.key == "apologize"
    assert step4.parts[0] in reply.text and step4.parts[-1] in reply.text


def test_step_three_then_next_goes_to_step_four_and_repeat_says_it_again(app):
    turns = run_test(app, ["explain step three", "next", "repeat", "stop"],
                     ["explain_step", "next", "repeat", "stop"])
    steps = app.content.steps
    assert turns[0][0].slots == {"step": 3}
    assert steps[2].parts[0] in turns[0][1].text
    assert steps[3].parts[0] in turns[1][1].text
    assert turns[2][1].text == turns[1][1].text
    assert turns[3][1].text in app.content.responses["stop"]


def test_every_step_can_be_asked_by_digit_word_and_ordinal(app):
    from assistant.understanding.normalize import number_words, ordinal_words
    for n in range(1, 14):
        for said in (f"explain step {n}", f"explain step {number_words(n)}", f"what is the {ordinal_words(n)} step"):
            (m, reply), = run_test(app, [said], ["explain_step"])
            assert m.slots == {"step": n}, said
            assert app.content.steps[n - 1].parts[0] in reply.text, said


def test_step_that_does_not_exist_is_explained_kindly(app):
    (m, reply), = run_test(app, ["explain step twenty"], ["explain_step"])
    assert m.slots == {"step": 20}
    assert "thirteen" in reply.text.lower() or "13" in reply.text


def test_previous_goes_back_a_step_and_not_before_step_one(app):
    turns = run_test(app, ["explain step two", "go back", "go back"], ["explain_step", "previous", "previous"])
    assert app.content.steps[0].parts[0] in turns[1][1].text
    assert turns[2][1].text in app.content.responses["previous"]


def test_yes_to_the_offered_next_step_reads_it(app):
    turns = run_test(app, ["explain step five", "yes"], ["explain_step", "yes"])
    assert app.content.steps[5].parts[0] in turns[1][1].text


def test_no_to_the_offer_is_respected(app):
    turns = run_test(app, ["explain step five", "no thanks"], ["explain_step", "no"])
    assert app.content.steps[5].parts[0] not in turns[1][1].text


def test_unclear_words_get_a_kind_reprompt_not_a_guess(app):
    turns = run_test(app, ["purple monkey dishwasher", "the capital of peru"], [None, None])
    assert strip_pauses(turns[0][1].text) in app.content.responses["reprompt"]
    assert turns[1][1].text in app.content.responses["help_after_misses"]


def test_stop_then_resume_carries_on(app):
    turns = run_test(app, ["explain step six", "stop", "carry on"], ["explain_step", "stop", "resume"])
    assert turns[2][1].text == turns[0][1].text


def test_resume_with_nothing_stopped_says_so(app):
    turns = run_test(app, ["carry on"], ["resume"])
    assert turns[0][1].text in app.content.responses["resume"]


def test_slower_and_faster_change_the_rate_within_limits(app):
    dialogue = app.dialogue()
    for _ in range(10):
        dialogue.turn("slower please")
    assert dialogue.session.rate == RATE_LIMITS[0]
    for _ in range(20):
        dialogue.turn("faster")
    assert dialogue.session.rate == RATE_LIMITS[1]


def test_goodbye_ends_the_session(app):
    (m, reply), = run_test(app, ["goodbye"], ["goodbye"])
    assert reply.end_session


def test_safety_interrupts_a_walkthrough_and_gives_resources(app):
    turns = run_test(app, ["explain step three", "he hit me", "next"], ["explain_step", "safety", "next"])
    reply = turns[1][1]
    region = app.content.regions[app.content.default_region]
    assert region.emergency in reply.text
    for resource in region.resources:
        assert resource.contact in reply.text
    assert app.content.steps[2].parts[0] not in reply.text
    # after a safety reply, "next" does not carry on coaching
    assert app.content.steps[3].parts[0] not in turns[2][1].text


def test_safety_region_is_configurable(app):
    (m, reply), = run_test(app, ["my partner hurts me"], ["safety"], DialogueSettings(region="uk"))
    assert app.content.regions["uk"].emergency in reply.text


def test_a_failing_handler_apologises_and_the_session_goes_on(app, monkeypatch):
    dialogue = app.dialogue()
    monkeypatch.setattr(dialogue, "_on_list_steps", lambda m: 1 / 0)  # fault injection
    m, reply = dialogue.turn("list the steps")
    assert m.intent == "list_steps"
    assert reply.text in app.content.responses["error"]
    m, reply = dialogue.turn("explain step one")
    assert app.content.steps[0].parts[0] in reply.text


def test_help_lists_what_can_be_said(app):
    (m, reply), = run_test(app, ["what can i say"], ["help"])
    assert reply.text in app.content.responses["help"]


def test_after_abuse_is_disclosed_the_guide_no_longer_urges_saving_it(app):
    turns = run_test(app, ["can this relationship be saved", "my husband hits me",
                           "can this relationship be saved", "is love enough", "explain step six"],
                     ["can_it_be_saved", "safety", "can_it_be_saved", "love_enough", "explain_step"])
    before, after, love, step = (turns[i][1].text for i in (0, 2, 3, 4))
    assert "many can come through" in before
    assert "many can come through" not in after and "safe" in after
    assert "Love is not enough when you're not safe" in love
    assert step.index("safety comes first") < step.index("Step six")


def test_the_guide_speaks_plainly_when_no_danger_was_mentioned(app):
    _, reply = run_test(app, ["explain step six"])[0]
    assert "safety comes first" not in reply.text
