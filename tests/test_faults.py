"""Faults the voice loop survives. The parts are real (PocketSphinx, pyttsx3, PulseAudio);
a fake appears only to inject the fault itself."""

from __future__ import annotations

import io
import json
import time

from assistant.room.events import Events
from assistant.room.loop import VoiceLoop
from assistant.speaking.playback import AudioUnavailable
from tests.loop_tools import SpokenMic, espeak_pcm, run_until
from tests.pulse import serving


class CrashesOnce:
    """Fault injection: the real PocketSphinx engine, except that its first result raises."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.crashed = False

    def start(self, over_voice: bool = False) -> None:
        self.engine.start()

    def accept(self, pcm):
        return self.engine.accept(pcm)

    def finish(self):
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("decoder crashed")
        return self.engine.finish()


def test_recognizer_that_raises_gets_an_apology_and_the_next_utterance_is_heard(app, tmp_path, caplog):
    from assistant.hearing.recognize import PocketSphinxEngine

    speech = espeak_pcm("i need a break", tmp_path)
    engine = CrashesOnce(PocketSphinxEngine([s.text for s in app.catalogue.sentences]))
    said: list[str] = []
    log = io.StringIO()
    loop = VoiceLoop(SpokenMic(speech, speech), engine, app.dialogue(), None, Events(log), say=said.append)
    events = run_until(loop, log, lambda ev: any("turn" in e for e in ev))
    assert events[0]["event"] == "recognizer failed" and "decoder crashed" in events[0]["problem"]
    assert said[0] == app.content.responses["error"][0]  # the spoken apology, from content/
    assert [e["intent"] for e in events if "turn" in e] == ["take_break"]
    assert "recognition failed" in caplog.text  # logged, with its traceback, not shown to the user


class VanishedOutput:
    """Fault injection: an output device that is gone (unplugged headphones, a crashed server)."""

    playing = False

    def play(self, timeline) -> None:
        raise AudioUnavailable("cannot play on the output device (Device unavailable)")

    def stop(self) -> None: ...
    def wait(self, timeout=None) -> bool: return True
    def close(self) -> None: ...


def test_output_device_failing_while_speaking_prints_the_reply_instead(app):
    from assistant.speaking.pyttsx3_tts import Pyttsx3Renderer
    from assistant.speaking.renderer import VoiceSettings
    from assistant.speaking.speaker import Speaker

    renderer = Pyttsx3Renderer()
    speaker = Speaker(renderer, VanishedOutput(), VoiceSettings(), app.content)
    said: list[str] = []
    log = io.StringIO()
    dialogue = app.dialogue()
    loop = VoiceLoop(None, None, dialogue, speaker, Events(log), say=said.append)
    _, reply = dialogue.turn("explain step three")
    assert loop.answer(reply) is None
    assert said[0].startswith("Step three.") and loop.speaker is None
    assert json.loads(log.getvalue())["event"] == "speaker lost"
    _, reply = dialogue.turn("next")
    loop.answer(reply)  # and every reply after it is printed, without trying the dead device again
    assert said[1].startswith("Step four.")


def test_audio_dropped_under_load_is_counted_and_reported(tmp_path, app):
    from assistant.hearing.capture import CaptureSettings, Microphone

    with serving(tmp_path):
        mic = Microphone(CaptureSettings(input_device="pulse", queue_seconds=0.3))
        mic.open()
        try:
            log = io.StringIO()
            # the loop falls behind: printing its greeting takes 5 s (a machine under load)
            loop = VoiceLoop(mic, None, app.dialogue(), None, Events(log), say=lambda text: time.sleep(5))
            events = run_until(loop, log, lambda ev: any(e.get("event") == "audio dropped" for e in ev),
                               timeout=15, ready_text="hello")
        finally:
            mic.close()
    drops = [e for e in events if e.get("event") == "audio dropped"]
    assert drops, events
    assert 0 < drops[0]["dropped"] <= mic.dropped and drops[0]["new"] == drops[0]["dropped"]


def test_yaml_edited_invalid_while_running_keeps_the_last_good_version(tmp_path):
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT

    intents, content = tmp_path / "intents", tmp_path / "content"
    shutil.copytree(ROOT / "intents", intents)
    shutil.copytree(ROOT / "content", content)
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "chat", "--intents", str(intents),
                             "--content", str(content)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def ask(text: str) -> str:
        proc.stdin.write(text.encode() + b"\n")
        proc.stdin.flush()
        return proc.stdout.readline().decode()

    try:
        proc.stdout.readline()  # the greeting
        assert "box breathing" in ask("i need a break").lower()
        breathing = intents / "in_the_moment.yaml"
        good = breathing.read_text()
        breathing.write_text(good.replace("intents:", "intents:\n  take_break: [oops", 1))
        assert "box breathing" in ask("i need a break").lower()  # the last good version still serves
        # a fixed edit is picked up: a sentence nobody had written before now asks for a break
        breathing.write_text(good.replace("  take_break:\n    sentences:\n", "  take_break:\n    sentences:\n      - \"purple elephant\"\n", 1))
        assert "box breathing" in ask("purple elephant").lower()
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        err = proc.stderr.read().decode()
    problems = [line for line in err.splitlines() if "in_the_moment.yaml" in line]
    assert len(problems) == 1 and "in_the_moment.yaml:" in problems[0] and "still using" in problems[0], err
    assert "Traceback" not in err
