"""Speech out through real audio devices: a PulseAudio null sink is the speaker, its monitor
the microphone, sounddevice on both ends; with each engine (Piper's joe voice, pyttsx3)."""

from __future__ import annotations

import time

import pytest

from assistant.speaking.layout import opening, spoken_parts
from assistant.speaking.piper_tts import PiperRenderer
from assistant.speaking.playback import SoundDevicePlayer
from assistant.speaking.pyttsx3_tts import Pyttsx3Renderer
from assistant.speaking.renderer import VoiceSettings
from assistant.speaking.speaker import Speaker
from tests.audio_tools import onsets, sounding_seconds
from tests.conftest import run_cli
from tests.pulse import Recorder, serving


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("pulse")) as server:
        yield server


def _speaker(renderer, app):
    s = Speaker(renderer, SoundDevicePlayer("pulse"), VoiceSettings(), app.content)
    yield s
    s.close()


@pytest.fixture(scope="module")
def piper_speaker(pulse, app):
    yield from _speaker(PiperRenderer(), app)


@pytest.fixture(scope="module")
def pyttsx3_speaker(pulse, app):
    yield from _speaker(Pyttsx3Renderer(), app)


@pytest.fixture(params=["piper", "pyttsx3"])
def speaker(request):
    return request.getfixturevalue(f"{request.param}_speaker")


def test_spoken_reply_is_heard_on_the_speaker_for_its_whole_length(speaker):
    text = "I'm here with you. [pause 1] Let's take this one small step at a time."
    expected = speaker.timeline(text).render()
    with Recorder() as rec:
        time.sleep(0.3)
        speaker.say(text)
        assert speaker.wait(timeout=20)
        time.sleep(0.4)
    heard = rec.audio()
    assert sounding_seconds(heard) == pytest.approx(sounding_seconds(expected), rel=0.25)
    assert speaker.first_audio_s is not None and speaker.first_audio_s < 1.0


def test_stop_silences_speech_within_200_ms(speaker):
    text = ("Step three. Fighting fair. Every couple disagrees, and that is normal. "
            "What does the damage is conflict that never gets settled, so stay with one issue.")
    with Recorder() as rec:
        time.sleep(0.3)
        speaker.say(text)
        time.sleep(1.5)
        assert speaker.speaking
        stopped = time.perf_counter()
        speaker.stop()
        time.sleep(0.8)
    last = rec.last_sound_at()
    assert last is not None and last > stopped - 1.0  # it was speaking right up to the stop
    assert last - stopped < 0.200, f"sound went on {1000 * (last - stopped):.0f} ms after stop"
    assert not speaker.speaking


def test_live_breathing_cues_keep_time(piper_speaker):
    speaker = piper_speaker  # the default engine; cue timing with both engines is in test_speech.py
    with Recorder() as rec:
        time.sleep(0.3)
        timeline, cues = speaker.breathing_timeline("box", 1, False)
        speaker.player.play(timeline)
        assert speaker.player.wait(timeout=60)
        time.sleep(0.3)
    heard = onsets(rec.audio())
    # align on the first cue, then every cue must follow its schedule within 150 ms
    first = min(heard, key=lambda t: abs(t - (heard[0] + cues[0].at)))
    shift = first - cues[0].at
    errors = [min(abs(h - shift - c.at) for h in heard) for c in cues]
    assert max(errors) < 0.150, errors


def test_the_first_sentence_sounds_while_the_rest_is_rendered(pulse, app):
    text = ("Step three. Fighting fair. Every couple disagrees, and that is normal. What does the damage "
            "is conflict that never gets settled. So stay with one issue at a time, and keep your voice low.")
    renderer = PiperRenderer()
    renderer.start()
    s = Speaker(renderer, SoundDevicePlayer("pulse"), VoiceSettings(), app.content)
    try:
        with Recorder() as rec:
            time.sleep(0.3)
            asked = time.perf_counter()
            s.say(text)
            rendered_when_sounding = renderer.misses
            assert s.wait(timeout=30)
            time.sleep(0.3)
        parts = len(opening(spoken_parts(text)))
        assert rendered_when_sounding < parts and renderer.misses == parts  # the rest came after
        assert rec.first_sound_at() - asked < 0.5  # (median and p95 are in BENCHMARKS.md)
        assert sounding_seconds(rec.audio()) == pytest.approx(sounding_seconds(s.timeline(text).render()), rel=0.25)
    finally:
        s.close()


def test_chat_speak_answers_aloud(pulse):
    with Recorder() as rec:
        time.sleep(0.3)
        result = run_cli("chat", "--speak", "--output-device", "pulse", stdin=b"what can i say\n", timeout=60)
        time.sleep(0.3)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.decode()
    assert sounding_seconds(rec.audio()) > 2.0


def test_no_audio_output_prints_the_reply_with_one_warning(tmp_path):
    # no sound server and no sound card: the only devices ALSA offers lead nowhere
    result = run_cli("say", "hello there", env={"PULSE_SERVER": f"unix:{tmp_path}/no-server"})
    assert result.returncode == 0
    assert result.stdout.decode().strip() == "hello there"
    err = result.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("assistant: warning:") and "printing" in err[0]


def test_chat_speak_without_audio_still_answers_in_text(tmp_path):
    result = run_cli("chat", "--speak", stdin=b"i need a break\n",
                     env={"PULSE_SERVER": f"unix:{tmp_path}/no-server"})
    assert result.returncode == 0
    assert "box breathing" in result.stdout.decode()
    assert result.stderr.decode().count("assistant: warning:") == 1
