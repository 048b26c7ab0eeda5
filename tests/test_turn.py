"""The end of a turn: a clear request ends after a short silence, a sentence that trails off waits."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.hearing import turn as turn_module
from assistant.hearing.turn import EndOfTurn, TurnModel, TurnSettings, load_turn_model, trails_off
from tests.loop_tools import piper_pcm


@pytest.fixture(scope="module")
def model() -> TurnModel:
    return TurnModel()


def said(text: str) -> np.ndarray:
    return np.concatenate([piper_pcm(text).astype(np.float32) / 32767, np.zeros(1600, np.float32)])


def test_a_clear_request_ends_after_a_short_silence(app, model):
    decide = EndOfTurn(TurnSettings(), model, app.matcher.match)
    for text in ("i need a break", "explain step three", "help me apologize"):
        # Piper says it a little differently each time: most of three renderings end quickly
        verdicts = [decide.decide(text, said(text)) for _ in range(3)]
        quick = [v for v in verdicts if v.kind == "quick" and v.wait == TurnSettings.quick]
        assert len(quick) >= 2, (text, verdicts)


def test_a_sentence_that_trails_off_waits_longer_than_any_pause(app, model):
    decide = EndOfTurn(TurnSettings(), model, app.matcher.match)
    for text in ("i think we should", "and then he", "i want to talk about money but"):
        verdict = decide.decide(text, said(text))
        assert verdict.kind == "unfinished" and verdict.wait >= 1.8, (text, verdict)
    assert not trails_off("what can you do") and trails_off("and then i")


def test_a_request_missing_its_number_waits_for_it(app):
    verdict = EndOfTurn(TurnSettings(model=False), None, app.matcher.match).decide("explain step")
    assert verdict.kind == "unsure" and verdict.wait >= 1.5


def test_the_turn_model_hears_an_unfinished_sentence_in_the_voice(model):
    # Piper says a line a little differently each time (its noise): one rendering of "and then he" in
    # five or so scores 0.27-0.42, the rest about 0.02-0.06. The median of five renderings is the voice.
    def median_p(text: str) -> float:
        return float(np.median([model.probability(said(text)) for _ in range(5)]))

    assert median_p("and then he") < TurnSettings.doubt
    assert median_p("help me apologize") > TurnSettings.complete


def test_a_damaged_turn_model_is_one_warning_and_the_words_decide(tmp_path, monkeypatch):
    bad = tmp_path / "turn.onnx"
    bad.write_bytes(turn_module.MODEL.read_bytes()[:1000])
    monkeypatch.setattr(turn_module, "MODEL", bad)
    monkeypatch.setattr(turn_module.TurnModel.__init__, "__defaults__", (bad, turn_module.MODEL_SHA256))
    warned = []
    assert load_turn_model(TurnSettings(), warned.append) is None
    assert len(warned) == 1 and "does not match its checksum" in warned[0] and "words alone" in warned[0]
