"""The spoken-accuracy benchmark (scripts/bench/spoken/): real espeak-ng and Piper renders, real
noise, real PocketSphinx decodes, on a handful of phrases."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from bench.spoken import accuracy, audio, table, workers

from assistant.audio import Audio
from assistant.hearing.recognize import PocketSphinxEngine
from tests.conftest import evaluate  # scripts/ is on sys.path from here on

ROWS = [  # (said, intent) that the intent-biased PocketSphinx should mostly get from a clean voice
    ("i need a break", "take_break"),
    ("explain step three", "explain_step"),
    ("help me apologize", "apologize"),
    ("is there any hope for us", "can_it_be_saved"),
    ("what is the third step", "explain_step"),
    ("he never listens to me", "communicate"),
]


def rows():
    return [{"text": t, "intent": i, "slots": {}, "split": "test"} for t, i in ROWS]


def measured_snr(clean: Audio, mixed: Audio) -> float:
    """SNR of a mix against its clean speech: the speech's share found by least squares (so a
    mix scaled down to avoid clipping still measures right), the rest is the noise."""
    x, y = clean.samples.astype(np.float64), mixed.samples.astype(np.float64)
    gain = (x @ y) / (x @ x)
    noise = y - gain * x
    return 10 * np.log10(gain ** 2 * audio.active_power(x, clean.rate) / np.mean(noise ** 2))


@pytest.fixture(scope="module")
def engines(app):
    phrases = [s.text for s in app.catalogue.sentences]
    return {"pocketsphinx biased": PocketSphinxEngine(phrases, lambda t: app.matcher.match(t).intent is not None),
            "pocketsphinx free": PocketSphinxEngine(None)}


@pytest.fixture(scope="module")
def results(app, engines):
    return accuracy.spoken_accuracy(app, engines, rows(), ["en-us", "joe"], [None])  # one voice of each family


@pytest.mark.parametrize("kind", ["babble", "pink"])
@pytest.mark.parametrize("snr", [20.0, 10.0, 0.0])
def test_add_noise_hits_the_requested_snr_on_a_real_render(kind, snr):
    clean = audio.utterance("explain step three", "en-us")
    mixed = audio.add_noise(clean, snr, seed=7, kind=kind)
    assert mixed.rate == clean.rate and len(mixed.samples) == len(clean.samples)
    assert abs(measured_snr(clean, mixed) - snr) < 0.5
    assert np.max(np.abs(mixed.samples)) <= 1.0
    noise = mixed.samples - clean.samples
    assert np.sqrt(np.mean(noise[: int(0.2 * clean.rate)] ** 2)) > 1e-4  # noise in the lead-in too


def test_add_noise_is_deterministic_by_seed():
    clean = audio.utterance("help me apologize", "en-us")
    a, b, c = (audio.add_noise(clean, 10, seed=s) for s in (1, 1, 2))
    assert np.array_equal(a.samples, b.samples)
    assert not np.allclose(a.samples, c.samples)


def test_active_power_ignores_pauses():
    speech = audio.render("i need a break", "en-us")
    padded = np.concatenate([np.zeros(speech.rate, np.float32), speech.samples, np.zeros(speech.rate, np.float32)])
    active, with_pauses = audio.active_power(speech.samples, speech.rate), audio.active_power(padded, speech.rate)
    assert abs(10 * np.log10(with_pauses / active)) < 0.2
    assert np.mean(padded.astype(np.float64) ** 2) < 0.6 * active  # a plain mean would count the pauses


def test_render_caches_on_disk(tmp_path):
    before = audio.RENDERS
    t = time.perf_counter()
    first = audio.render("let us slow this down", "en-gb", cache=tmp_path)
    first_s = time.perf_counter() - t
    assert audio.RENDERS == before + 1
    assert len(list(tmp_path.rglob("*.wav"))) == 1
    t = time.perf_counter()
    second = audio.render("let us slow this down", "en-gb", cache=tmp_path)
    second_s = time.perf_counter() - t
    assert audio.RENDERS == before + 1  # no espeak-ng run
    assert np.array_equal(first.samples, second.samples) and first.rate == second.rate
    assert second_s < first_s
    audio.render("let us slow this down", "en-us", cache=tmp_path)  # the voice is part of the key
    assert audio.RENDERS == before + 2 and len(list(tmp_path.rglob("*.wav"))) == 2
    piper = audio.render("let us slow this down", "joe-slow", cache=tmp_path)  # a Piper variant, cached alike
    assert audio.RENDERS == before + 3 and piper.rate == 22050
    assert np.array_equal(audio.render("let us slow this down", "joe-slow", cache=tmp_path).samples, piper.samples)
    assert audio.RENDERS == before + 3


def test_biased_pocketsphinx_gets_most_clean_phrases_right(results):
    biased = [r for r in results if r["label"] == "pocketsphinx biased"]
    assert [(r["voice"], r["family"]) for r in biased] == [("en-us", "espeak"), ("joe", "piper")]
    for r in biased:
        assert (r["engine"], r["biased"], r["snr"], r["n"]) == ("pocketsphinx", True, None, 6)
        assert r["correct"] >= 4, r["errors"]
        assert r["accuracy"] == pytest.approx(r["correct"] / 6)
        assert r["decode_ms"] > 0 and r["xrt"] > 0
    free = next(r for r in results if r["label"] == "pocketsphinx free")
    assert free["biased"] is False and free["second_pass"] == 0
    typed = results[0]
    assert typed["voice"] == "-" and typed["correct"] == 6  # the phrases themselves are understood


def test_markdown_table_has_the_expected_columns(results):
    lines = table.markdown_table(results + [{"label": "vosk", "engine": "vosk", "skipped": "no English model found"}],
                                  command="scripts/bench/spoken --test")
    assert "`scripts/bench/spoken --test`" in lines[0] and "6 dev phrases" in lines[0]
    assert "espeak-ng at 150 wpm: en-us" in lines[0] and "Piper voice joe at several length and noise scales: joe" in lines[0]
    header = [c.strip() for c in lines[2].strip("|").split("|")]
    assert header == ["engine", "intent-biased", "voice family", "SNR", "accuracy (mean of voices)", "worst voice",
                      "biased / free-form", "out-of-scope given an intent",
                      "biased pass rejected, decoded again free-form", "decode ms after audio end (median)",
                      "processing / audio length (median)"]
    body = [[c.strip() for c in line.strip("|").split("|")] for line in lines[4:]]
    assert all(len(cells) == len(header) for cells in body)
    assert [c[:4] for c in body] == [["typed text (ceiling)", "-", "-", "-"],
                                     ["pocketsphinx", "yes", "espeak", "clean"], ["pocketsphinx", "no", "espeak", "clean"],
                                     ["pocketsphinx", "yes", "piper", "clean"], ["pocketsphinx", "no", "piper", "clean"],
                                     ["vosk", "-", "-", "-"]]
    assert body[0][4] == "100.0%"
    assert all(b[4].endswith("%") for b in body[1:5])
    for biased, free in ((body[1], body[2]), (body[3], body[4])):  # biased / free-form within a family
        assert biased[6].endswith("x") or (biased[6] == "-" and free[4] == "0.0%")
    assert "no English model found" in body[5][4]


def test_markdown_table_averages_over_voices_and_names_the_worst():
    def row(voice, correct, label="ps biased", biased=True):
        return {"label": label, "engine": "ps", "biased": biased, "voice": voice, "family": "espeak", "snr": 10.0, "n": 4,
                "correct": correct, "accuracy": correct / 4, "n_null": 1, "null_accepted": 1,
                "second_pass": 1 if biased else 0, "decode_ms": 100.0, "xrt": 0.5, "errors": []}

    results = [row("a", 4), row("b", 2), row("a", 2, "ps free", False), row("b", 1, "ps free", False)]
    lines = table.markdown_table(results)
    biased, free = ([c.strip() for c in line.strip("|").split("|")] for line in lines[4:6])
    assert biased[:7] == ["ps", "yes", "espeak", "10 dB", "75.0%", "50.0% (b)", "2.00x"]
    assert free[:7] == ["ps", "no", "espeak", "10 dB", "37.5%", "25.0% (b)", "-"]
    assert biased[7:9] == ["2/2", "25%"]


def test_quick_rows_cover_the_intents_and_voices_take_turns():
    test = evaluate.dev_rows("test")
    quick = accuracy.quick_rows(test)
    assert len(quick) == 40
    assert {r["intent"] for r in quick} == {r["intent"] for r in test}
    voices = list(accuracy.VOICES)
    for k in (1, 2):
        said = [accuracy.voice_rows(quick, voices, v, k) for v in voices]
        assert sum(map(len, said)) == k * len(quick)
        for r in quick:
            assert sum(any(s is r for s in part) for part in said) == k
    assert accuracy.voice_rows(quick, voices, "en-us", None) == quick


def test_measure_in_worker_processes_matches_one_process(app, engines):
    two_rows, voices = rows()[:2], ["en-us", "en-gb"]  # one phrase a voice
    here = accuracy.spoken_accuracy(app, engines, two_rows, voices, [None], voices_per_phrase=1)
    there = workers.measure(app, two_rows, voices, [None], workers=2, labels=tuple(engines))

    def key(rs):
        return sorted((r["label"], r.get("voice"), r.get("n"), r.get("correct"), r.get("errors") and
                       tuple(r["errors"])) for r in rs if "skipped" not in r)

    assert key(here) == key(there)
    assert [r["n"] for r in there if r.get("label") == "pocketsphinx biased"] == [1, 1]
    assert any(r.get("engine") == "vosk" for r in there)  # Vosk is always reported, measured or not


@pytest.mark.parametrize("found, reason", [
    ((None, "looked in models/"), "no English model found (looked in models/)"),
    ((Path("/nowhere/vosk-model-small-ko-0.22"), "models/"), "is not English"),
])
def test_vosk_is_reported_when_no_english_model_is_found(app, monkeypatch, found, reason):
    from assistant.hearing import models

    monkeypatch.setattr(models, "find_model", lambda explicit, *a, **k: found)
    engines, skipped = workers.default_engines(app)
    assert sorted(engines) == ["default (moonshine, pocketsphinx beside it)", "pocketsphinx biased", "pocketsphinx free"]
    assert len(skipped) == 1 and skipped[0]["engine"] == "vosk" and reason in skipped[0]["skipped"]


def test_a_phrase_decodes_the_same_whatever_came_before(app, engines):
    """PocketSphinx carries its cepstral mean between utterances; the benchmark resets it."""
    free = {"pocketsphinx free": engines["pocketsphinx free"]}
    two = rows()[:2]
    forward = accuracy.spoken_accuracy(app, free, two, ["en-gb"], [10.0], typed=False)[0]
    backward = accuracy.spoken_accuracy(app, free, two[::-1], ["en-gb"], [10.0], typed=False)[0]
    assert forward["correct"] == backward["correct"]
    assert sorted(forward["errors"]) == sorted(backward["errors"])


def test_bench_only_replaces_just_the_named_section_adds_a_new_one_and_keeps_the_rest():
    import importlib
    bench_main = importlib.import_module("bench.__main__")
    text = "# Benchmarks\n\nheader\n\n## Safety\n\nold safety\n\n## Room: x\n\nold room\n"
    out = bench_main.splice(text, ["## Safety", "", "new safety", ""])
    assert out == "# Benchmarks\n\nheader\n\n## Safety\n\nnew safety\n\n## Room: x\n\nold room\n"
    out = bench_main.splice(text, ["## Not there", "", "new", ""])  # a section new to the file: at its end
    assert out == text.rstrip("\n") + "\n\n## Not there\n\nnew\n"
    assert bench_main.kept(Path("/nonexistent/BENCHMARKS.md"), "## Room soak") == []
