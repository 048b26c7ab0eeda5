"""A dialogue session per satellite: keyed by who is speaking, forgotten when idle, bounded in number.

Home Assistant opens a new connection for every turn, so the place in the steps lives here, keyed
by the Transcript's context: its satellite_id, else its device_id, else its conversation_id (a turn
with none of them is answered by a fresh session and forgotten). A session is forgotten after
`idle` seconds without a turn (unless a time-out of it is running), when there are more than
`limit` (the least recently heard first, sparing running time-outs while it can) and after
"goodbye". Nothing of a session is written anywhere: what the person said is matched and dropped.

A time-out's call comes from the session's timer thread: the words are chosen at once and kept
(the coach opens no connection to start a conversation), then said as the answer to that
satellite's next turn, unless that turn is about danger, "stop" or "goodbye".
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from assistant.dialogue.session import SAFETY_CHECK, Dialogue
from assistant.dialogue.timer import Call
from assistant.messages import IntentMatch, Reply

log = logging.getLogger(__name__)

KEYS = ("satellite_id", "device_id", "conversation_id")  # what names a session, first found wins
MAX_ID = 256  # characters of an id kept (a longer one is cut: ids are short, this bounds memory)
SAFETY = ("safety", SAFETY_CHECK)
PASSES_PENDING = SAFETY + ("stop", "goodbye")  # turns answered as such even when a call waits


def session_key(context: object) -> tuple[str, str] | None:
    """(kind, id) naming the session of a Transcript's context, or None when it names none."""
    if not isinstance(context, dict):
        return None
    for kind in KEYS:
        value = context.get(kind)
        if isinstance(value, str) and value.strip():
            return kind, value[:MAX_ID]
    return None


@dataclass(frozen=True)
class Answer:
    match: IntentMatch
    reply: Reply
    handled: bool  # False for a miss (a reprompt): Home Assistant gets NotHandled


@dataclass(eq=False)
class Satellite:
    key: tuple[str, str] | None
    dialogue: Dialogue
    seen: float  # clock seconds of the last turn
    pending: Reply | None = None  # a time-out's return prompt, for its next turn
    closed: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def waiting(self) -> bool:
        """A time-out of this session is running: it is not idle, it is waiting to call back."""
        return self.dialogue.timer.running is not None




class Sessions:
    def __init__(self, make_dialogue: Callable[[], Dialogue], idle: float = 1800.0, limit: int = 200,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.make_dialogue = make_dialogue
        self.idle = idle  # seconds
        self.limit = limit
        self.clock = clock
        self._lock = threading.Lock()
        self._live: OrderedDict[tuple[str, str], Satellite] = OrderedDict()  # least recently heard first

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._live

    # -- one turn (called on a worker thread) ---------------------------------------------
    def turn(self, context: object, text: str) -> Answer:
        sat = self._session(session_key(context))
        with sat.lock:
            answer = self._answer(sat, text)
        if answer.reply.end_session or sat.key is None:
            self._forget(sat)
        return answer

    def _answer(self, sat: Satellite, text: str) -> Answer:
        dialogue = sat.dialogue
        try:
            match = dialogue.matcher.match(text)
        except Exception:  # noqa: BLE001 - a matcher bug answers with an apology, the server carries on
            log.exception("matching a satellite's turn failed")
            return Answer(IntentMatch(None, 0.0, stage="error"), dialogue.apology(), False)
        pending, sat.pending = sat.pending, None
        if pending is not None and match.intent not in PASSES_PENDING:
            dialogue.session.turns += 1
            return Answer(match, pending, True)  # the return prompt they have not heard yet
        reply = dialogue.respond(match)
        return Answer(match, reply, match.intent is not None or reply.intent in SAFETY)

    # -- the store ------------------------------------------------------------------------
    def _session(self, key: tuple[str, str] | None) -> Satellite:
        now = self.clock()
        gone: list[Satellite] = []
        with self._lock:
            sat = self._live.get(key) if key is not None else None
            if sat is not None and now - sat.seen > self.idle and not sat.waiting:
                gone.append(self._live.pop(key))
                sat = None
            if sat is None:
                sat = Satellite(key, self.make_dialogue(), now)
                sat.dialogue.timer.notify = lambda call, s=sat: self._call(s, call)
                if key is not None:
                    self._live[key] = sat
                    gone += self._over_limit()
            else:
                self._live.move_to_end(key)
            sat.seen = now
        for old in gone:
            self._close(old)
        return sat

    def _over_limit(self) -> list[Satellite]:
        gone = []
        while len(self._live) > self.limit:
            victim = next((k for k, s in self._live.items() if not s.waiting), None)
            gone.append(self._live.pop(victim if victim is not None else next(iter(self._live))))
        return gone

    def expire(self) -> int:
        """Forget the sessions idle longer than `idle` (running time-outs spared); how many went."""
        now = self.clock()
        with self._lock:
            old = [k for k, s in self._live.items() if now - s.seen > self.idle and not s.waiting]
            gone = [self._live.pop(k) for k in old]
        for sat in gone:
            self._close(sat)
        return len(gone)

    def _forget(self, sat: Satellite) -> None:
        with self._lock:
            if sat.key is not None and self._live.get(sat.key) is sat:
                del self._live[sat.key]
        self._close(sat)

    def _close(self, sat: Satellite) -> None:
        with sat.lock:
            sat.closed, sat.pending = True, None
        sat.dialogue.timer.close()  # a running time-out ends with its session

    def close(self) -> None:
        with self._lock:
            gone = list(self._live.values())
            self._live.clear()
        for sat in gone:
            self._close(sat)

    # -- a time-out's calls (on the session's timer thread) -------------------------------
    def _call(self, sat: Satellite, call: Call) -> None:
        if call.kind not in ("due", "halfway"):
            return
        with sat.lock:
            if sat.closed:
                return
            reply = sat.dialogue.time_up(call)
            if call.kind == "due":
                sat.pending = reply  # said at its next turn: the coach starts no conversation itself
        log.info("time-out %s for a %s: %s", call.kind, sat.key[0] if sat.key else "session",
                 "kept for its next turn" if call.kind == "due" else "not said (nobody asked)")
