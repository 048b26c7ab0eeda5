"""PocketSphinx in a child process, for the live loop.

PocketSphinx holds Python's lock (the GIL) while it decodes: ending an utterance takes 50 ms to
a second (a free-form second pass over the whole utterance), and all that time no other thread
of the assistant runs. The speaker's audio callback is one of them: it has about 50 ms of audio
queued, so its voice ran dry (a gap in what it says), the echo of its voice moved, and the echo
canceller lost hold of it; the microphone's callback waited too. Measured in the room bench:
every one of 31 breaks in its own playback came during such a decode. In a process of its own,
the decoder waits on nobody and nobody waits on it.

`DecoderProcess` is a `PocketSphinxEngine` whose decoder lives in `python -m
assistant.decoder_process`; the intent check (`second_opinion`) stays here, with the matcher.
If the child dies, the utterance fails (RecognizerError: the loop apologises) and the next one
starts a new child."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from assistant.hearing.recognize import PocketSphinxEngine, RecognizerError


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<I", len(data)) + data)
    stream.flush()


def _recv(stream):
    head = stream.read(4)
    if len(head) < 4:
        raise EOFError
    (n,) = struct.unpack("<I", head)
    data = stream.read(n)
    if len(data) < n:
        raise EOFError
    return pickle.loads(data)


class DecoderProcess(PocketSphinxEngine):
    def __init__(self, phrases=None, second_opinion=None) -> None:  # noqa: D107 - no decoder here
        self.second_opinion = second_opinion
        self._phrases = None if phrases is None else list(dict.fromkeys(phrases))
        self._audio: list[np.ndarray] = []
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._spawn()

    def _spawn(self) -> None:
        home = str(Path(__file__).resolve().parents[2])  # where this assistant package is, installed or not
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (home, os.environ.get("PYTHONPATH")) if p))
        self._proc = subprocess.Popen([sys.executable, "-m", "assistant.hearing.decoder_process"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, env=env)
        ok, answer = self._call("init", self._phrases)
        if not ok:
            self.close()
            raise RecognizerError(answer)
        self.biased, self.lm_sentences = answer

    def _call(self, command: str, arg=None):
        with self._lock:
            try:
                _send(self._proc.stdin, (command, arg))
                return _recv(self._proc.stdout)
            except (OSError, EOFError, ValueError):
                self.close()
                raise RecognizerError("the PocketSphinx decoder process stopped") from None

    def _answer(self, command: str, arg=None):
        if self._proc is None:  # it died during an earlier utterance: a new one for this
            self._spawn()
        ok, answer = self._call(command, arg)
        if not ok:
            raise RecognizerError(answer)
        return answer

    def start(self, over_voice: bool = False) -> None:
        self._audio = []
        self._partial = ""
        self._answer("start")

    def accept(self, pcm: np.ndarray) -> str:
        self._audio.append(pcm)
        self._partial = self._answer("accept", pcm.tobytes())
        return self._partial

    def _end(self) -> tuple[str, list[str]]:
        return self._answer("end")

    def _free_pass(self) -> tuple[str, list[str]]:
        return self._answer("free")

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()

    def __del__(self) -> None:
        self.close()


def main() -> int:
    """The child: commands on stdin, answers on stdout, until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the answers
    engine = None
    while True:
        try:
            command, arg = _recv(stdin)
        except EOFError:
            return 0
        try:
            if command == "init":
                engine = PocketSphinxEngine(arg)
                answer = (engine.biased, getattr(engine, "lm_sentences", 0))
            elif command == "start":
                answer = engine.start()
            elif command == "accept":
                answer = engine.accept(np.frombuffer(arg, dtype=np.int16))
            elif command == "end":
                answer = engine._end()
            else:
                answer = engine._free_pass()
            _send(stdout, (True, answer))
        except Exception as exc:  # noqa: BLE001 - said back to the parent, which decides
            _send(stdout, (False, f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    raise SystemExit(main())
