"""The voice loop: microphone -> echo canceller -> endpointing -> recognition -> intents ->
addressed? -> dialogue -> speech.

Built for a room. The speaker's own sound is taken back out of the microphone (hearing/echo.py, fed
with exactly what is played), and while the assistant speaks it still listens for a small set,
barge-in: stop (wait, pause), slower, and any danger, so "stop" said over a breathing break
silences it at once. Anything else heard over its own voice is ignored, and so is a danger
that is only the echo of the reply being spoken. `--no-barge-in` keeps strict half-duplex
(only a danger is heard while it speaks: the safety watch). What is heard when it is quiet goes
through addressed.py: a couple talking to each other is not answered. A danger phrase, or a
command word over its own voice, acts on the partial result, before the silence window ends.
Nothing is written unless `--events FILE` is given: one JSON line per turn or ignored utterance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Callable

from assistant.dialogue.content import strip_pauses
from assistant.dialogue.session import Dialogue
from assistant.hearing.capture import Microphone
from assistant.hearing.endpoint import Endpointer, EndpointSettings
from assistant.hearing.recognize import Recognizer
from assistant.messages import IntentMatch, Reply
from assistant.room.addressed import Addressing, Verdict
from assistant.room.calls import Calls
from assistant.room.events import Events
from assistant.room.microphone import MicrophoneWatch
from assistant.room.output import EchoReport, SpeakerWatch
from assistant.room.overvoice import LoopSettings, OverItsVoice
from assistant.room.turns import TurnTaking
from assistant.room.typed import typed_turn
from assistant.speaking.playback import AudioUnavailable
from assistant.speaking.speaker import Speaker
from assistant.understanding.matcher import SAFETY
from assistant.understanding.normalize import normalize

log = logging.getLogger(__name__)


class VoiceLoop:
    def __init__(self, mic: Microphone, recognizer: Recognizer, dialogue: Dialogue, speaker: Speaker | None,
                 events: Events, endpoint: EndpointSettings = EndpointSettings(),
                 settings: LoopSettings = LoopSettings(), say: Callable[[str], None] = print,
                 tones: bool = False, reloader=None, transcript=None, echo=None,
                 addressing: Addressing | None = None, turns: TurnTaking | None = None) -> None:
        self.mic = mic
        self.echo = echo  # an echo.EchoFilter that takes the speaker's sound out of each frame, or None
        self.addressing = addressing or Addressing()
        self.taking = turns or TurnTaking(None)  # the end of turn: how long a silence ends an utterance
        self._checked: tuple = (None, False)  # the last partial weighed by _certain, and its verdict
        self.reloader = reloader  # picks up edits to intents/ and content/ before each turn
        self.transcript = transcript  # the opt-in conversation log (TranscriptLog), or None
        self.recognizer = recognizer
        self.dialogue = dialogue
        self.speaker = speaker
        self.events = events
        self.endpoint = endpoint
        self.settings = settings
        self.say = say
        self.tones = tones
        self.stopping = threading.Event()
        self.turns = 0
        self._quiet_until = 0.0
        self.over = OverItsVoice(settings)  # what is heard while it speaks, and what of it is acted on
        # energy heard, and kept by the canceller, over the endpointer's preroll from before a start over its voice
        self._levels: deque[tuple[float, float]] = deque(maxlen=max(1, round(endpoint.echo_preroll / getattr(getattr(mic, "settings", None), "block", 0.03))))
        self.watch = MicrophoneWatch(mic, events, self.stopping, typed=lambda text: typed_turn(self, text))
        self.output = SpeakerWatch(events)  # the output device lost (replies printed) and back
        self.echo_report = EchoReport(echo, events, mic=mic)  # the cancellers' figures every 10 minutes
        self.calls = Calls(dialogue, self.answer, lambda: self.speaker, events)  # a time-out's calls, any moment

    # -- speaking ------------------------------------------------------------------------------
    def _speaking(self) -> bool:
        if self.speaker is not None and self.speaker.speaking:
            self._quiet_until = time.monotonic() + self.settings.guard
            self.addressing.spoke()
            return True
        return time.monotonic() < self._quiet_until

    def answer(self, reply: Reply) -> float | None:
        """Print and speak a reply; returns seconds until its first audio (None when printed only)."""
        self.say(strip_pauses(reply.text))
        if self.transcript is not None:
            self.transcript.write("assistant", strip_pauses(reply.text))
        spoken = normalize(strip_pauses(reply.text))
        self.over.saying_safety = reply.intent == SAFETY
        self.over.saying = spoken  # a danger heard while it speaks that is its own words coming back is ignored
        # printed only when the output device is lost; it is tried again once a minute (output.py)
        self.speaker, first_audio = self.output.speak(self.speaker, reply, self.dialogue.session.rate, self.tones)
        if self.speaker is not None:
            self._quiet_until = time.monotonic() + self.settings.guard
        return first_audio

    # -- the loop ------------------------------------------------------------------------------
    def run(self, ready_text: str | None = None) -> int:
        with self.calls:  # a time-out that comes due is said whatever is playing or being heard
            return self._listen(ready_text)

    def _listen(self, ready_text: str | None) -> int:
        if ready_text:
            self.answer(Reply(ready_text))
        ep = Endpointer(self.endpoint, self.mic.settings.rate)
        in_utterance = False
        swallowing = False
        heard_during_speech = False
        last_speech = 0.0
        while not self.stopping.is_set():
            try:
                frame = self.mic.read(timeout=0.5)
            except AudioUnavailable as exc:  # unplugged mid-stream: say so once, wait for it to return
                self.watch.reconnect(exc)
                in_utterance, swallowing = False, False
                ep.reset()
                continue
            self.watch.report_drops()
            self.echo_report.poll()
            if frame is None:
                continue
            if self.echo is not None:
                frame = self.echo(frame, getattr(self.mic, "captured_at", 0.0))
            levels = getattr(self.echo, "levels", (0.0, 0.0))  # what the microphone heard, and the canceller kept
            self._levels.append(levels)
            if self.addressing.hear(frame) and in_utterance:  # the wake word just ended: what follows
                self.recognizer.finish()  # is the request, decoded without it ("hey jarvis" came out as
                self.recognizer.start(over_voice=heard_during_speech)  # "a therapist", and "i need a
                self.taking.reset()  # break" went to professional_help)
            speaking = self._speaking()
            if speaking and not self._listening_while_speaking():
                if in_utterance:
                    self.recognizer.finish()
                    in_utterance = False
                ep.reset()  # forget what was half-heard
                continue
            try:
                speech, ended = ep.process(frame, echo=self.echo is not None and self.echo.echo_only,
                                           audio=getattr(self.echo, "heard", None))
                if swallowing:  # the rest of an utterance already answered early ("stop ... talking")
                    swallowing = not ended
                    continue
                if speech is not None:
                    if not in_utterance:
                        self.recognizer.start(over_voice=speaking)
                        self.taking.reset()
                        self._checked = (None, False)
                        in_utterance = True
                        heard_during_speech = speaking
                        ep.over_voice = speaking  # a short one ends after a shorter silence
                        # from 0.6 s before its start (a start found over its voice comes late)
                        self.over.energy = [sum(h for h, _ in self._levels), sum(k for _, k in self._levels)]
                    else:
                        self.over.energy = [self.over.energy[0] + levels[0], self.over.energy[1] + levels[1]]
                    partial = self.recognizer.accept(speech)
                    if not heard_during_speech:
                        self.taking.frame(self.recognizer, ep)
                    last_speech = time.monotonic()
                    barged = self.over.barge_word(partial) if heard_during_speech and not self.over.mostly_echo() else None
                    if barged or self.settings.early and partial and self._certain(partial, heard_during_speech):
                        self._turn(last_speech, time.monotonic(), early=True, during_speech=heard_during_speech,
                                   barged=barged)
                        in_utterance = False
                        self._levels.clear()  # what follows is weighed on its own
                        # the rest of "stop talking" is swallowed; what follows a command word heard
                        # over its voice is heard afresh ("stop, he's hitting me")
                        swallowing = ep.in_speech and not barged
                        continue
                if ended and in_utterance:
                    waited = ep.time - (ep.speech_end or ep.time)  # the silence window actually waited
                    self._turn(time.monotonic() - waited, time.monotonic(), early=False,
                               during_speech=heard_during_speech)
                    in_utterance = False
                    self._levels.clear()
                    if self.dialogue.session.last is not None and self.dialogue.session.last.end_session:
                        break
            except Exception as exc:  # noqa: BLE001 - a failing recognizer must not end the night
                self._recover(exc)
                in_utterance, swallowing = False, False
                ep.reset()
        self.taking.close()
        return 0

    def _recover(self, problem: Exception) -> None:
        """Recognition (or what follows it) failed: log it, apologise, listen on."""
        log.exception("recognition failed: %s", problem)
        self.events.write(event="recognizer failed", problem=f"{type(problem).__name__}: {problem}")
        try:
            self.recognizer.finish()  # let the next utterance start afresh
        except Exception:  # noqa: BLE001
            pass
        self.answer(self.dialogue.apology())

    def _hush(self) -> None:
        """Stop a reply nobody asked for that people talk over (addressed.py); its question lapses."""
        with self.calls.lock:
            if self.speaker is not None:
                self.speaker.stop()
            self.dialogue.session.question = None
        self.events.write(event="talked over", stopped=True)

    def _listening_while_speaking(self) -> bool:
        return self.over.listening()

    def _heeded(self, intent: str | None, text: str, during_speech: bool, stage: str = "phrase") -> bool:
        """Whether what was heard is acted on: always when it was not said over its voice."""
        return not during_speech or self.over.heeded(intent, text, stage)

    def _addressed(self, intent: str | None, score: float, text: str, during_speech: bool):
        session = self.dialogue.session
        busy = (during_speech or (self.speaker is not None and self.speaker.speaking)
                or session.question is not None or self.dialogue.timer.running is not None)
        return self.addressing.decide(intent, score, text, busy=busy)

    def _certain(self, partial: str, during_speech: bool) -> bool:
        """A danger phrase in a partial result acts at once, before the silence window ends (unless
        it is its own echo). Other commands wait for the end of the utterance: in a room the first
        word of a sentence ("what ...", "stop interrupting me") is not a command."""
        if self._checked[0] == (partial, during_speech):  # the same partial, frame after frame
            return self._checked[1]
        m = self.dialogue.matcher.match(partial)
        certain = (m.intent == SAFETY and m.stage == "phrase" and self._heeded(m.intent, partial, during_speech, m.stage)
                   and self._addressed(m.intent, m.score, partial, during_speech).act)
        self._checked = ((partial, during_speech), certain)
        return certain

    def _turn(self, speech_end: float, endpoint_at: float, *, early: bool, during_speech: bool,
              barged: str | None = None) -> None:
        """One utterance decided. `barged`: a command word found over its voice in the partial
        result, which ended the utterance at once; the final result (or, for a short one, its
        alternatives: "he is stop" for a final "use that") must hold it too."""
        if self.reloader is not None:
            self.reloader.poll()
        t0 = time.perf_counter()
        transcript = self.recognizer.finish()
        t1 = time.perf_counter()
        heard, match = transcript.text, None  # the hypothesis acted on, and what it means
        if during_speech:
            barged, heard = self.over.barge_heard(transcript.text, transcript.alternatives)
            if barged is not None and heard != transcript.text:  # only in an alternative: a danger heard comes first
                match = self.dialogue.matcher.match_any(transcript.heard)
                if match.intent == SAFETY and self._heeded(SAFETY, transcript.text, True, match.stage):
                    barged, heard = None, transcript.text
        if barged is not None:  # the command word was heard over its own voice: no need to weigh the rest
            match = IntentMatch(barged, 100.0, stage="barge-in")
        elif match is None:
            match = self.dialogue.matcher.match_any(transcript.heard)
        t2 = time.perf_counter()
        if not self._heeded(match.intent, heard, during_speech, match.stage):
            why = "echo of the reply" if match.intent == SAFETY else "heard while speaking"
            why = "its own voice (the canceller took nearly all of it)" if self.over.mostly_echo() else why
            if why == "heard while speaking" and transcript.text.strip() and self.addressing.heard_over():
                self._hush()  # people talk over a reply nobody asked for: it stops without a word
            self.events.write(transcript=transcript.text, intent=match.intent, score=match.score,
                              ignored=why, engine=transcript.engine, **self.over.kept())
            return
        verdict = self._addressed(match.intent, match.score, transcript.text, during_speech)
        if not transcript.text.strip() and not self.addressing.settings.always_answer:
            verdict = Verdict(False, "nothing recognised")  # a noise, a cough, a door: not a miss to answer
        if not verdict.act:
            self.events.write(transcript=transcript.text, intent=match.intent, score=match.score,
                              ignored=verdict.why, engine=transcript.engine)
            return
        self.addressing.acted(verdict)
        if self.transcript is not None:
            self.transcript.write("you", transcript.text)
        silenced_at = None  # when the reply it cut short went quiet (seconds since the epoch)
        with self.calls.lock:
            if self.speaker is not None:
                if self.speaker.speaking:
                    silenced_at = round(time.time() + getattr(self.speaker.player, "ahead", 0.0), 3)
                self.speaker.stop()
            reply = self.dialogue.respond(match)
            t3 = time.perf_counter()
            first_audio = self.answer(reply)
        self.mic.flush()
        self.turns += 1
        self.events.write(
            turn=self.turns, transcript=transcript.text, engine=transcript.engine, biased=transcript.biased,
            alternatives=list(transcript.alternatives),
            intent=match.intent, score=match.score, slots=dict(match.slots), early=early, addressed=verdict.why,
            response=strip_pauses(reply.text), **({"silenced_at": silenced_at} if silenced_at else {}),
            **(self.over.kept() if during_speech else {}),
            end_of_turn=None if early or self.taking.verdict is None else self.taking.verdict.kind,
            timings_ms={"endpoint": round((endpoint_at - speech_end) * 1000, 1),
                        "turn": None if early else self.taking.decided_ms,
                        "decode": round((t1 - t0) * 1000, 1), "match": round((t2 - t1) * 1000, 1),
                        "dialogue": round((t3 - t2) * 1000, 1),
                        "first_audio": None if first_audio is None else round(first_audio * 1000, 1)})
