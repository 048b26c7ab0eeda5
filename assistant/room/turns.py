"""Turn-taking for the voice loop: when a silence starts, weigh in the background whether the
person is done (hearing/turn.py), and tell the endpointer how long that silence must last.

The weighing runs on a worker thread, so frames keep flowing: the recognizer's `early()` (for
Moonshine, a decode of what was said so far, which `finish` then reuses) and the turn model on
the audio, side by side. If speech goes on before the silence ends the turn, the verdict is
dropped and the next silence is weighed afresh.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from assistant.hearing.turn import EndOfTurn, Turn

log = logging.getLogger(__name__)


class TurnTaking:
    def __init__(self, decide: EndOfTurn | None) -> None:
        self.decide = decide  # None: the endpointer's window alone decides
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="turn") if decide else None
        self._model = ThreadPoolExecutor(max_workers=1, thread_name_prefix="turn-model") if decide else None
        self._lock = threading.Lock()
        self._probe = 0  # which silence is being weighed (a new one each time speech resumes)
        self._weighing = False
        self.verdict: Turn | None = None
        self.decided_ms: float | None = None  # from the silence's start to the verdict, for the events

    def reset(self) -> None:
        with self._lock:
            self._probe += 1
            self._weighing = False
            self.verdict = None
            self.decided_ms = None

    def frame(self, recognizer, endpointer) -> None:
        """Called after each frame of an utterance: starts the weighing when a silence starts,
        drops it when speech goes on, and hands a verdict to the endpointer."""
        if self.decide is None or not endpointer.in_speech:
            return
        quiet = endpointer.quiet
        if quiet == 0.0:
            if self._weighing or self.verdict is not None:
                self.reset()
            endpointer.wait = self.decide.settings.unsure  # until a verdict says otherwise
            return
        if not self._weighing and self.verdict is None and quiet >= self.decide.settings.probe:
            self._weighing = True
            probe = self._probe
            self._pool.submit(self._weigh, probe, recognizer, time.monotonic() - quiet)
        verdict = self.verdict
        if verdict is not None:
            endpointer.wait = verdict.wait

    def _weigh(self, probe: int, recognizer, silence_at: float) -> None:
        try:
            audio = recognizer.heard_so_far() if hasattr(recognizer, "heard_so_far") else None
            model = self.decide.model
            p = self._model.submit(model.probability, audio) if model is not None and audio is not None else None
            heard = recognizer.early()
            turn = self.decide.decide(heard.text, probability=p.result() if p is not None else None)
        except Exception as exc:  # noqa: BLE001 - a failing weigh leaves the window to decide
            log.warning("end of turn not weighed (%s: %s); the silence window decides", type(exc).__name__, exc)
            return
        with self._lock:
            if probe == self._probe:
                self.verdict = turn
                self.decided_ms = round((time.monotonic() - silence_at) * 1000, 1)

    def close(self) -> None:
        for pool in (self._pool, self._model):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
