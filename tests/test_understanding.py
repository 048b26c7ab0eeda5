"""Understanding beyond the phrase list: the sentence encoder, the safety net's question, and the
new intents for people who are upset with no ask in it (greeting, distress)."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from assistant.app import build
from assistant.dialogue.content import strip_pauses
from assistant.errors import EncoderError, IntentFileError
from assistant.messages import IntentMatch
from assistant.understanding import encoder as encoder_module
from assistant.understanding.encoder import MiniLMEncoder, cached_embeddings
from tests.conftest import run_cli, run_test


def said(app, dialogue, intent: str, score: float = 60.0):
    """One turn whose verdict is given (the dialogue stage alone, with the real content)."""
    return dialogue.respond(IntentMatch(intent, score, stage="safety_net"))


def test_unsure_danger_is_asked_about_and_no_gives_the_safety_answer(app):
    dialogue = app.dialogue()
    question = said(app, dialogue, "safety_check")
    assert question.intent == "safety_check" and "safe right now" in strip_pauses(question.text)
    (m, reply), = [dialogue.turn("no")]
    assert m.intent == "no" and reply.intent == "safety"
    assert app.content.regions[app.content.default_region].emergency in reply.text


def test_a_safe_answer_to_the_question_carries_on_warmly(app):
    dialogue = app.dialogue()
    said(app, dialogue, "safety_check")
    m, reply = dialogue.turn("yes i am safe")
    assert m.intent == "yes" and reply.intent == "yes"
    assert "glad" in reply.text and "I am not safe" in reply.text


@pytest.mark.parametrize("answer", ["we are not okay", "i'm not fine", "not really"])
def test_not_okay_said_to_the_safety_question_gives_the_safety_answer(app, answer):
    # "we are not okay" resembles the "yes" sentence "we are okay": the negation decides.
    dialogue = app.dialogue()
    said(app, dialogue, "safety_check")
    m, reply = dialogue.turn(answer)
    assert m.intent == "no" and reply.intent == "safety"


def test_another_sign_of_danger_right_after_the_question_gives_the_safety_answer(app):
    dialogue = app.dialogue()
    said(app, dialogue, "safety_check")
    assert said(app, dialogue, "safety_check").intent == "safety"


def test_certain_danger_is_answered_at_once_not_asked_about(app):
    (m, reply), = run_test(app, ["he hit me and i am scared to go home"], ["safety"])
    assert "safe right now?" not in reply.text


def test_ask_json_reports_the_safety_question_as_safety_check(app):
    dialogue = app.dialogue()
    reply = said(app, dialogue, "safety_check")
    out = run_cli("ask", "--json", "-", stdin=b"i could murder a pizza\nhe punched the wall and said im next\n")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [r["intent"] for r in rows] == [None, "safety"]
    assert reply.question and reply.text.endswith("Are you safe right now?")


def test_upset_with_no_ask_gets_one_question_and_yes_starts_a_breathing_break(app):
    turns = run_test(app, ["what should i do", "yes"], ["distress", "yes"])
    assert turns[0][1].question and "breathing break" in turns[0][1].text
    assert turns[1][1].breathing is not None


def test_no_to_the_distress_question_offers_to_talk_it_through(app):
    turns = run_test(app, ["we just had a huge fight", "no"], ["distress", "no"])
    assert "talk it through" in turns[1][1].text


def test_hello_is_greeted_not_reprompted(app):
    for text in ("hi", "hello are you there"):
        (m, reply), = run_test(app, [text], ["greeting"])
        assert "didn't catch" not in reply.text


def test_unlisted_phrasings_of_a_request_are_understood(app):
    run_test(app, ["i yelled at him and i feel awful how do i make it up to him"], ["apologize"])


def test_sentence_embeddings_are_cached_by_catalogue_and_reused(tmp_path, monkeypatch):
    encoder = MiniLMEncoder()
    texts = ["i need a break", "help me apologize"]
    first = cached_embeddings(encoder, texts, tmp_path)
    files = list(tmp_path.glob("sentences-*.npy"))
    assert len(files) == 1 and np.load(files[0]).shape == (2, 384)  # the catalogue's sentences, nothing else
    monkeypatch.setattr(encoder, "embed", lambda *a, **k: pytest.fail("embedded again despite the cache"))
    assert np.array_equal(cached_embeddings(encoder, texts, tmp_path), first)
    asked = []
    real = MiniLMEncoder.embed.__get__(encoder)
    monkeypatch.setattr(encoder, "embed", lambda batch, **k: asked.append(list(batch)) or real(batch, **k))
    edited = cached_embeddings(encoder, ["help me apologize", "purple elephant"], tmp_path)  # an edit: one new line
    assert asked == [["purple elephant"]]  # only the sentence no cached catalogue had is embedded
    assert np.array_equal(edited[0], first[1])
    assert np.allclose(edited[1], real(["purple elephant"])[0], atol=1e-5)
    assert len(list(tmp_path.glob("sentences-*.npy"))) == len(list(tmp_path.glob("keys-*.npy"))) == 2


def test_the_expanded_intents_are_cached_and_an_edit_or_a_damaged_cache_expands_them_again(tmp_path, monkeypatch):
    from assistant.understanding import catalogue_cache, intents

    folder, cache = tmp_path / "intents", tmp_path / "cache"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        'language: en\nintents:\n  take_break:\n    sentences:\n      - "(i need|give me) a break"\n'
        '    phrases:\n      - "before i (snap|explode)"\n      - "storm ... out"\n'
        '  explain_step:\n    sentences:\n      - "explain step {step}"\n'
        'lists:\n  step:\n    values:\n      - in: "three"\n        out: 3\n')
    fresh = intents.load_catalogue(folder)
    assert catalogue_cache.cached_catalogue(folder, cache) == fresh
    assert len(list(cache.glob("catalogue-*.json"))) == 1
    real = intents.load_catalogue
    monkeypatch.setattr(intents, "load_catalogue", lambda d: pytest.fail("expanded again despite the cache"))
    assert catalogue_cache.cached_catalogue(folder, cache) == fresh  # slots, phrases, gapped parts: all kept
    monkeypatch.setattr(intents, "load_catalogue", real)
    (folder / "a.yaml").write_text((folder / "a.yaml").read_text().replace("a break", "a rest"))
    edited = catalogue_cache.cached_catalogue(folder, cache)
    assert "i need a rest" in {s.text for s in edited.sentences} and "i need a break" not in {s.text for s in edited.sentences}
    for path in cache.glob("catalogue-*.json"):
        path.write_text("{not json")
    assert catalogue_cache.cached_catalogue(folder, cache) == edited
    (folder / "a.yaml").write_text("intents: [\n")  # a mistake is never served from a cache
    with pytest.raises(IntentFileError):
        catalogue_cache.cached_catalogue(folder, cache)


def test_a_damaged_encoder_file_is_refused_with_the_fix(tmp_path):
    damaged = tmp_path / "model.onnx"
    shutil.copyfile(encoder_module.default_model_path(), damaged)
    with open(damaged, "r+b") as f:
        f.truncate(1000)
    with pytest.raises(EncoderError, match=r"model.onnx.*make setup"):
        MiniLMEncoder(damaged)


def test_without_the_encoder_a_loud_warning_and_the_phrases_still_catch_danger(monkeypatch, caplog, tmp_path):
    missing = tmp_path / "gone.onnx"
    monkeypatch.setattr(encoder_module, "default_model_path", lambda: missing)
    with caplog.at_level(logging.WARNING):
        app = build()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "gone.onnx" in warnings[0] and "make setup" in warnings[0]
    assert app.matcher.match("he hit me").intent == "safety"
    assert app.matcher.match("i need a break").intent == "take_break"


def test_danger_heard_only_in_an_alternative_is_asked_about_not_answered(app):
    m = app.matcher.match_any(["i need a break", "he hit me"])
    assert m.intent == "safety_check" and "alternative 1" in m.stage
    assert app.matcher.match_any(["he hit me", "i need a break"]).intent == "safety"
    assert app.matcher.match_any(["explain step three", "explain the step three"]).slots == {"step": 3}


def test_a_spoken_turn_considers_the_recognisers_other_hypotheses(app):
    from assistant.messages import Utterance

    m, reply = app.dialogue().turn(Utterance("i need a break", "voice", ("he hit me",)))
    assert m.intent == "safety_check" and "safe right now" in reply.text


def test_pocketsphinx_offers_its_other_hypotheses(app, tmp_path):
    import subprocess

    from assistant.app import recognizer
    from assistant.audio import read_wav
    from assistant.hearing.recognize import transcribe

    wav = tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "help me apologize to my partner"], check=True)
    engine, _ = recognizer(app, "pocketsphinx")
    heard = transcribe(engine, read_wav(wav))
    assert heard.alternatives and heard.text not in heard.alternatives
    assert len(set(heard.alternatives)) == len(heard.alternatives) <= 4
    assert heard.heard[0] == heard.text
