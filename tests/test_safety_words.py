"""The safety stage's word model (assistant/understanding/lexical.py) beside the sentence-embedding net."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.errors import EncoderError
from assistant.understanding.lexical import WordModel, terms
from assistant.understanding.safety import NET, SafetyNet


def test_words_and_word_pairs_are_counted_as_scikit_learn_counts_them():
    # tokens of two or more word characters, lowercased; single letters ("i", "a") are dropped
    assert terms("I could SCREAM, a bit") == ["could", "scream", "bit", "could scream", "scream bit"]


def test_the_word_logit_is_tf_idf_at_unit_length_times_the_weights():
    model = WordModel(["could", "scream", "could scream"], np.array([1.0, 2.0, 3.0]),
                      np.array([0.0, -1.0, -2.0]), 0.5)
    # each term twice: sublinear tf 1 + ln 2 for all three, which unit length cancels
    assert model.logit("could scream could scream") == pytest.approx(-8 / math.sqrt(14) + 0.5)
    assert model.logit("nothing it knows") == 0.5  # no known word: the intercept alone


def test_the_shipped_net_carries_a_word_model_and_uses_it(app):
    net = app.matcher.safety_net
    assert net.words is not None and 0.0 < net.lex_share < 1.0
    text = "he punched me and said i am next"
    vector = app.matcher.embed(text)
    with_words = net.probability(vector.reshape(1, -1), [text])[0]
    without = net.probability(vector.reshape(1, -1), ["zzz"])[0]  # the same meaning, no word it knows
    assert with_words > without


def test_a_net_file_whose_word_model_is_damaged_is_refused_with_the_fix(tmp_path):
    with np.load(NET, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["lex_idf"] = arrays["lex_idf"][:-5]
    broken = tmp_path / "safety_net.npz"
    np.savez(broken, **arrays)
    with pytest.raises(EncoderError, match=r"safety_net\.npz.*make setup"):
        SafetyNet(broken)
