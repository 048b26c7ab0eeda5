"""Speech out, rendered to files: the real engines (Piper's joe voice and pyttsx3/espeak-ng), timing
measured in the audio."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from assistant.audio import read_wav
from assistant.errors import SpeechUnavailable
from assistant.speaking import breathing
from assistant.speaking.layout import spoken_parts
from assistant.speaking.piper_tts import PiperRenderer
from assistant.speaking.pyttsx3_tts import Pyttsx3Renderer
from assistant.speaking.renderer import VoiceSettings
from assistant.speaking.speaker import Speaker
from tests.audio_tools import longest_quiet, onsets, sounding_seconds
from tests.conftest import ROOT, run_cli

TOLERANCE = 0.050  # seconds a cue onset may be off its schedule


ENGINES = {"piper": PiperRenderer, "pyttsx3": Pyttsx3Renderer}


@pytest.fixture(scope="module", params=list(ENGINES))
def renderer(request):
    r = ENGINES[request.param]()
    r.start()
    yield r
    r.close()


def _onset_errors(audio, cues):
    found = np.array(onsets(audio))
    return [float(np.min(np.abs(found - cue.at))) for cue in cues]


@pytest.mark.parametrize("pattern", ["box", "4-7-8", "sigh", "slow"])
@pytest.mark.parametrize("tones", [False, True])
def test_breathing_cues_land_on_schedule_in_a_rendered_session(app, renderer, tmp_path, pattern, tones):
    speaker = Speaker(renderer, None, VoiceSettings(), app.content)
    timeline, cues = speaker.breathing_timeline(pattern, 2, tones)
    path = tmp_path / "session.wav"
    speaker.write(path, timeline)
    audio = read_wav(path)
    errors = _onset_errors(audio, cues)
    assert max(errors) <= TOLERANCE, [(c.text, round(c.at, 3), round(e, 3)) for c, e in zip(cues, errors) if e > TOLERANCE]
    # the schedule itself follows the pattern: phase starts are the pattern's durations apart
    starts = [c.at for c in cues if c.phase]
    durations = [p.seconds for p in app.content.patterns[pattern].phases] * 2
    assert np.allclose(np.diff(starts), durations[:-1], atol=1e-6)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_cue_that_would_overrun_is_shortened_never_the_breath(app, tmp_path, engine):
    slow = ENGINES[engine](VoiceSettings(rate=60))
    try:
        speaker = Speaker(slow, None, VoiceSettings(rate=60), app.content)
        timeline, cues = speaker.breathing_timeline("sigh", 2, False)
        audio = timeline.render()
        assert slow.render("One more sip", 60).seconds > 1.0  # it really would overrun its second
        errors = _onset_errors(audio, cues)
        assert max(errors) <= TOLERANCE
        end = cues[-1].at + cues[-1].room
        assert abs(end - cues[0].at - 2 * app.content.patterns["sigh"].cycle_seconds) < 1e-6
    finally:
        slow.close()


@pytest.mark.parametrize("engine", list(ENGINES))
def test_each_cue_is_synthesised_once_per_session(app, engine):
    fresh = ENGINES[engine]()
    try:
        Speaker(fresh, None, VoiceSettings(), app.content).breathing_timeline("box", 4, False)
        # the intro's and the close's sentences, Breathe in, Hold, Breathe out, two, three, four
        said = [w for text in (app.content.breathing_intro, app.content.breathing_close)
                for w, _ in spoken_parts(text) if w]
        assert fresh.misses <= len(said) + 6
        assert fresh.hits >= 50
    finally:
        fresh.close()


def test_pause_marks_in_content_are_honoured(renderer):
    speaker = Speaker(renderer, None, VoiceSettings())
    plain = speaker.timeline("Take a breath. Then speak.").render()
    paused = speaker.timeline("Take a breath. [pause 2] Then speak.").render()
    assert 1.95 <= longest_quiet(paused) <= 2.2
    assert longest_quiet(plain) < 1.0


def test_slower_rate_makes_longer_speech(renderer):
    speaker = Speaker(renderer, None, VoiceSettings())
    text = "Let us take this one small step at a time."
    assert speaker.timeline(text, 0.6).seconds > speaker.timeline(text, 1.0).seconds * 1.3


def _faulty(mode, tmp_path, timeout=1.5):
    return Pyttsx3Renderer(VoiceSettings(render_timeout=timeout),
                           command=[sys.executable, str(ROOT / "tests" / "fakes" / "tts_faulty.py"), mode,
                                    str(tmp_path / "state")])


def test_hung_render_is_reported_and_retried_once(tmp_path, caplog):
    r = _faulty("hang-once", tmp_path)
    try:
        audio = r.render("Breathe in", 150)
        assert audio.seconds > 0.3
        assert r.restarts == 1
        assert "restarting the worker" in caplog.text
    finally:
        r.close()


def test_render_that_keeps_hanging_gives_a_clear_error_not_a_freeze(tmp_path):
    r = _faulty("hang", tmp_path, timeout=0.8)
    try:
        with pytest.raises(SpeechUnavailable, match="took longer than 0.8 s"):
            r.render("Breathe in", 150)
        assert r.restarts == 2
    finally:
        r.close()


def test_empty_wav_from_pyttsx3_is_asked_again(tmp_path):
    r = _faulty("empty-once", tmp_path)
    try:
        assert r.render("two", 150).seconds > 0.1
        assert r.restarts == 0
    finally:
        r.close()


def test_unknown_voice_is_a_clear_error():
    result = run_cli("say", "hello", "--voice", "no-such-voice-xyz", "--out", "/tmp/never.wav")
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "no voice matching 'no-such-voice-xyz'" in err and "Traceback" not in err


def test_say_out_writes_speech_of_the_expected_length(tmp_path):
    out = tmp_path / "say.wav"
    result = run_cli("say", "I'm here. [pause 1] We can take this slowly.", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""  # nothing from pyttsx3 leaks to stdout
    audio = read_wav(out)
    assert 2.0 < audio.seconds < 6.0
    assert sounding_seconds(audio) > 1.2


def test_breathe_out_writes_a_session_with_cues_a_second_apart(tmp_path):
    out = tmp_path / "box.wav"
    result = run_cli("breathe", "--pattern", "box", "--cycles", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    found = onsets(read_wav(out))
    gaps = np.diff(found)
    ones = gaps[np.abs(gaps - 1.0) <= TOLERANCE]
    assert len(ones) >= 14  # 16 counted cues in one box cycle: 15 one-second steps


def test_breathe_minutes_sets_the_number_of_cycles(app):
    assert breathing.cycles_for(app.content.patterns["box"], 2) == 8
    assert breathing.cycles_for(app.content.patterns["slow"], 1) == 5


def test_breathe_rejects_an_unknown_pattern():
    result = run_cli("breathe", "--pattern", "triangle", "--out", "/tmp/never.wav")
    assert result.returncode == 2 and "--pattern 'triangle'" in result.stderr.decode()


def test_threads_rendering_at_once_each_get_their_own_speech():
    """A reply still being laid in the background while the next one starts (a new turn)."""
    import threading

    renderer = Pyttsx3Renderer()
    heard: dict[str, float] = {}
    failed: list[Exception] = []

    def speak(lines):
        for line in lines:
            try:
                heard[line] = len(renderer.render(line, 150).samples)
            except Exception as exc:  # noqa: BLE001
                failed.append(exc)

    short = [f"Yes {n}." for n in range(12)]
    long = [f"Part {n}. Let's slow down together, and take one long, slow breath in, and out." for n in range(12)]
    threads = [threading.Thread(target=speak, args=(lines,)) for lines in (short, long, short[::-1], long[::-1])]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        renderer.close()
    assert not failed and renderer.restarts == 0, failed
    assert len(heard) == 24
    # each thread got its own line back, not the other's: short lines short, long lines long
    assert all(heard[line] < 1.5 * 22050 for line in short) and all(heard[line] > 3 * 22050 for line in long)
