"""The echo canceller (assistant/hearing/echo.py) on real speech: the Piper voice as the assistant's
reply, coming back 40 ms later at -6 dB with room noise, and a person talking over it."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.audio import resample
from assistant.hearing.echo import EchoError, EchoFilter, make_canceller
from assistant.hearing.reference import Reference
from tests.loop_tools import piper_pcm

RATE = 16000


def _room(reply: np.ndarray, person: np.ndarray | None = None, at: float = 0.0, delay: float = 0.04,
          gain: float = 0.5, noise: float = 120.0, seed: int = 0) -> np.ndarray:
    """What the microphone hears: the reply delayed and quieter, pink-ish noise, and a person."""
    d = round(delay * RATE)
    mic = np.zeros(len(reply) + d, np.float64)
    mic[d:] += reply * gain
    mic += np.random.default_rng(seed).normal(0, noise, len(mic))
    if person is not None:
        i = round(at * RATE)
        mic[i:i + len(person)] += person[: len(mic) - i]
    return np.clip(mic, -32768, 32767).astype(np.int16)[: len(reply)]


def _filtered(name: str, reply: np.ndarray, mic: np.ndarray) -> tuple[np.ndarray, list[bool]]:
    """Feed the reply to a Reference as the player would (22,050 Hz blocks stamped with when they
    sound) and the microphone frames through an EchoFilter; the output and its echo-only flags."""
    reference = Reference()
    played = resample_to(reply, 22050)
    echo = EchoFilter(make_canceller(name), reference)
    outs, flags, sent = [], [], 0
    for i in range(0, len(mic) - 480 + 1, 480):
        while sent < len(played) and sent / 22050 < (i + 480) / RATE + 0.1:  # played just ahead, as live
            reference.played(played[sent:sent + 512], 22050, 1000.0 + sent / 22050)
            sent += 512
        outs.append(echo(mic[i:i + 480], 1000.0 + i / RATE))
        flags.append(echo.echo_only)
    return np.concatenate(outs), flags


def resample_to(pcm: np.ndarray, rate: int) -> np.ndarray:
    from assistant.audio import Audio

    return resample(Audio(pcm.astype(np.float32) / 32767, RATE), rate).samples


@pytest.fixture(scope="module")
def reply() -> np.ndarray:
    text = ("Step three. Fighting fair. Every couple disagrees, and that is normal. What does the "
            "damage is conflict that never gets settled. Stick to one topic, and say how you feel.")
    silence = np.zeros(RATE, np.int16)  # the room is heard on its own first, as in the loop
    return np.concatenate([silence, piper_pcm(text)]).astype(np.float64)


def test_webrtc_takes_its_own_voice_out_of_the_microphone(reply):
    mic = _room(reply)
    out, flags = _filtered("webrtc", reply, mic)
    tail = slice(3 * RATE, len(out))  # after the canceller has learned the room
    erle = 10 * np.log10(np.mean(mic[tail].astype(float) ** 2) / np.mean(out[tail].astype(float) ** 2))
    assert erle > 15, erle
    playing = flags[3 * RATE // 480:]
    assert sum(playing) / len(playing) > 0.9  # nearly every frame of its own voice is taken for echo


def test_a_person_talking_over_the_reply_is_kept(reply):
    person = piper_pcm("please stop", "joe-loose").astype(np.float64) * 1.5
    at = 5.0
    mic = _room(reply, person, at=at)
    out, flags = _filtered("webrtc", reply, mic)
    frames = slice(round(at * RATE / 480), round((at * RATE + len(person)) / 480))
    spoken = [not f for f in flags[frames]]
    assert sum(spoken) >= len(spoken) * 0.4, spoken  # the word is heard as speech, not echo
    i, j = round(at * RATE), round(at * RATE) + len(person)
    kept = np.sqrt(np.mean(out[i:j].astype(float) ** 2)) / np.sqrt(np.mean(person ** 2))
    assert kept > 0.3, kept


def test_the_recogniser_hears_a_word_said_over_its_voice_from_its_first_sound(reply):
    """WebRTC's canceller suppresses what it cannot subtract, and the start of a word said over its
    voice goes with it; the recogniser hears the linear canceller's output (EchoFilter.heard)."""
    person = piper_pcm("stop", "joe").astype(np.float64)
    at = 6.0
    mic = _room(reply, person, at=at)
    reference = Reference()
    played = resample_to(reply, 22050)
    echo = EchoFilter(make_canceller("webrtc"), reference, linear=make_canceller("speex"))
    outs, heard, sent = [], [], 0
    for i in range(0, len(mic) - 480 + 1, 480):
        while sent < len(played) and sent / 22050 < (i + 480) / RATE + 0.1:
            reference.played(played[sent:sent + 512], 22050, 1000.0 + sent / 22050)
            sent += 512
        outs.append(echo(mic[i:i + 480], 1000.0 + i / RATE))
        heard.append(echo.heard)
    first = np.flatnonzero(np.abs(person) > 300)[0]
    onset = slice(round(at * RATE) + first, round(at * RATE) + first + round(0.15 * RATE))  # its first 150 ms
    alone = person[first:first + round(0.15 * RATE)]

    def kept(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(x[onset].astype(float) ** 2) / np.mean(alone ** 2)))

    assert kept(np.concatenate(heard)) > 0.6, kept(np.concatenate(heard))
    assert kept(np.concatenate(outs)) < kept(np.concatenate(heard)) * 0.7  # why: WebRTC's output lost it


def test_a_microphone_whose_callbacks_jitter_still_has_its_echo_taken_out(reply):
    """The capture callback's stamps stray by a few ms either way (live through PulseAudio: 5 ms
    typical, up to 17); blocks are stamped by their sample count, so the canceller is handed an
    unbroken reference. With each block's own stamp it got one spliced every frame or two, and
    took out 4 dB instead of 22."""
    from assistant.hearing.capture import Microphone

    mic_pcm = _room(reply)
    reference = Reference()
    played = resample_to(reply, 22050)
    mic = Microphone()  # not opened: blocks are handed to it as its audio callback would
    jitters = np.clip(np.random.default_rng(1).normal(0.0, 0.005, len(mic_pcm) // 480), -0.015, 0.015)  # as measured live
    echo = EchoFilter(make_canceller("webrtc"), reference)
    out, sent = [], 0
    for k, jitter in enumerate(jitters):
        while sent < len(played) and sent / 22050 < (k + 1) * 0.03 + 0.1:  # played just ahead, as live
            reference.played(played[sent:sent + 512], 22050, 1000.0 + sent / 22050)
            sent += 512
        mic._queue.put((1000.0 + k * 0.03 + jitter, mic_pcm[k * 480:(k + 1) * 480].astype(np.float32) / 32767))
        out.append(echo(mic.read(timeout=0), mic.captured_at))
    out = np.concatenate(out)
    tail = slice(3 * RATE, len(out))
    erle = 10 * np.log10(np.mean(mic_pcm[tail].astype(float) ** 2) / np.mean(out[tail].astype(float) ** 2))
    assert erle > 15, erle


def test_reference_gives_back_what_sounded_at_a_moment():
    reference = Reference()
    tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32) * 0.5
    for i in range(0, len(tone), 512):
        reference.played(tone[i:i + 512], 22050, 50.0 + i / 22050)
    got = reference.at(50.25, 1600)
    want = np.sin(2 * np.pi * 440 * (0.25 + np.arange(1600) / RATE)) * 0.5
    assert np.corrcoef(got, want)[0, 1] > 0.98
    assert not reference.at(52.0, 480).any()  # nothing sounded then: silence


def test_silence_between_replies_is_not_filtered_or_kept_and_the_next_reply_is_exact():
    """The output stream stays open between replies, so the player hands the reference silence all
    evening: it is neither run through the resampler's filter nor stored (at() gives zeros where
    nothing is), and a tone after a minute of it comes back as from a reference that filtered
    every block (one given a faint hiss instead of silence)."""
    tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32) * 0.5
    quiet, filtered = Reference(), Reference()
    quiet._filter = lambda *a: pytest.fail("the filter ran on silence")
    blocks = 60 * 22050 // 512
    for k in range(blocks):
        quiet.played(np.zeros(512, np.float32), 22050, 50.0 + k * 512 / 22050)
        filtered.played(np.full(512, 1e-30, np.float32), 22050, 50.0 + k * 512 / 22050)
    assert quiet.newest_at() is None and filtered.newest_at() is not None
    del quiet._filter
    start = 50.0 + blocks * 512 / 22050
    for ref in (quiet, filtered):
        for i in range(0, len(tone), 512):
            ref.played(tone[i:i + 512], 22050, start + i / 22050)
    got = quiet.at(start + 0.25, 1600)
    np.testing.assert_allclose(got, filtered.at(start + 0.25, 1600), atol=1e-6)
    assert np.abs(got).max() > 0.4


@pytest.mark.parametrize("ppm", [100, -100])
def test_stamps_that_drift_from_the_sample_count_never_move_the_echo(ppm):
    """In the room rig the speaker's and the microphone's sample counts keep the echo's delay to
    the sample, while their stamps drift from the counts by about 100 ppm each, not equally (20 ms
    in 4 minutes), and jitter by a few ms. A clock re-anchored on them moved the echo's delay by
    20 ms at once; one slewed towards them made it wander by +-0.3 ms within seconds; one run at
    their fitted rate, by 16 ms in 5 minutes. Each of those left speexdsp's canceller 5-9 dB
    instead of 24. After 5 minutes of such stamps neither clock has jumped, and neither has
    moved against its sample count by as much as 10 microseconds."""
    from assistant.hearing.capture import Microphone

    rng = np.random.default_rng(2)
    reference, mic = Reference(), Microphone()  # not opened: blocks handed over as the callbacks would
    block = np.zeros(1024, np.float32)
    played = captured = 0
    moved = {"speaker": [], "microphone": []}  # each clock less its count from its first block
    for k in range(int(300 * 22050 / 1024)):
        reference.played(block, 22050, 100.0 + played / 22050 * (1 + ppm * 1e-6) + rng.normal(0, 0.004))
        played += 1024
        moved["speaker"].append(reference.clock.next - played / 22050)
        while captured / 16000 < played / 22050:
            stamp = 100.0 + captured / 16000 * (1 + 1.2 * ppm * 1e-6) + rng.uniform(-0.005, 0.005)
            mic._queue.put((float(stamp), np.zeros(480, np.float32)))
            mic.read(timeout=0)
            moved["microphone"].append(mic.captured_at - captured / 16000)
            captured += 480
    assert reference.clock.jumps == 0 and mic.clock.jumps == 0
    for name, offsets in moved.items():
        assert np.ptp(offsets) < 1e-5, (name, np.ptp(offsets))


def test_a_gap_in_the_stamps_starts_the_clock_again_and_one_late_callback_does_not():
    from assistant.hearing.sampleclock import SampleClock

    clock, rng = SampleClock(), np.random.default_rng(4)
    at = 10.0
    for k in range(2000):  # a minute of 30 ms blocks, jittery stamps
        late = 0.05 if k == 500 else 0.0  # one callback 50 ms late
        at_k = at + k * 0.03 + (0.2 if k >= 1500 else 0.0)  # 200 ms of blocks lost at 45 s
        first, started = clock.stamp(at_k + late + rng.uniform(-0.004, 0.004), 480, 16000)
    assert clock.jumps == 1
    assert abs(first - (at + 1999 * 0.03 + 0.2)) < 0.005


def test_an_unknown_canceller_is_one_line_naming_the_choices():
    with pytest.raises(EchoError, match="unknown echo canceller 'nope'; choose one of webrtc, speex, off"):
        make_canceller("nope")


def test_a_canceller_that_cannot_start_is_one_warning_and_listening_goes_on(monkeypatch, capsys):
    from assistant.cli import voice as cli_voice

    def broken(name: str):
        raise EchoError("echo canceller webrtc: pywebrtc-audio is not installed (no module); run `make setup`")

    monkeypatch.setattr(cli_voice, "make_canceller", broken)

    class Player:
        reference = None

    class Speaker:
        player = Player()

    assert cli_voice.echo_filter("webrtc", Speaker()) is None
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "listening without echo cancellation" in err[0] and "make setup" in err[0]


def test_the_cancellers_rest_in_silence_and_take_the_next_reply_out_as_well(reply):
    """Nothing played for 5 s: frames pass untouched (idle costs little); the next reply, after a
    long silence, still has its echo taken out once the canceller has heard a second of it."""
    gap = np.zeros(8 * RATE)
    both = np.concatenate([reply, gap, reply])
    mic = _room(both)
    reference = Reference()
    played = resample_to(both, 22050)
    echo = EchoFilter(make_canceller("webrtc"), reference)
    outs, sent, cpu_in_gap = [], 0, None
    second = len(reply) + len(gap)
    for i in range(0, len(mic) - 480 + 1, 480):
        while sent < len(played) and sent / 22050 < (i + 480) / RATE + 0.1:
            reference.played(played[sent:sent + 512], 22050, 1000.0 + sent / 22050)
            sent += 512
        if i == len(reply) + 6 * RATE:
            cpu_in_gap = dict(echo.cpu)
        outs.append(echo(mic[i:i + 480], 1000.0 + i / RATE))
        if i == second - 480:
            assert echo.cpu == cpu_in_gap  # rested: nothing ran over the last 2 s of the gap
    out = np.concatenate(outs)
    assert echo.rested >= 2 * RATE // 480
    tail = slice(second + RATE, len(out))
    erle = 10 * np.log10(np.mean(mic[tail].astype(float) ** 2) / np.mean(out[tail].astype(float) ** 2))
    assert erle > 15, erle
