"""The time-out in the dialogue: starting one, how long is left, cancelling, and coming back.

`TimeOutTurns` is the part of `Dialogue` that answers time_out and timer_status, a "stop" or
"cancel the time-out" said about a running time-out (asked first: a stray word never ends it),
and the timer's own calls (`time_up`): the halfway reminder and the return prompt, which opens
a restart read one part at a time (next, go back and repeat work on it) and ends by offering
the step on fighting fair. The words are in content/time_out.yaml; the time in assistant/dialogue/timer.py.
"""

from __future__ import annotations

from assistant.dialogue.timer import DEFAULT_MINUTES, MAX_MINUTES, Call, in_range
from assistant.messages import IntentMatch, Reply
from assistant.understanding.durations import duration_words, remaining_words
from assistant.understanding.normalize import number_words

TIME_OUT = "time_out"
FIGHTING_FAIR = "resolve_conflict"  # the intent of the step offered after the restart
QUESTIONS = ("restart_time_out", "cancel_time_out", "start_time_out")  # yes/no questions asked here
ABOUT_TIME_OUT = (TIME_OUT, "timer_status")  # a plain "stop" right after these is about the time-out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class TimeOutTurns:
    """Mixed into Dialogue, which provides content, session, timer, settings, _say, _step and _read."""

    # -- the words ------------------------------------------------------------------------
    def _time_out_say(self, key: str, minutes: int | None = None) -> str:
        values: dict[str, str] = {}
        if minutes is not None:
            values.update(duration=duration_words(minutes), Duration=_cap(duration_words(minutes)))
        left = self.timer.remaining()
        if left is not None:
            values.update(remaining=remaining_words(left), Remaining=_cap(remaining_words(left)))
        step = self.content.section_for(FIGHTING_FAIR)
        if step is not None and step.number is not None:
            values.update(number=number_words(step.number), title=step.title)
        return self._say(key, **values)

    # -- intents ----------------------------------------------------------------------------
    def _on_time_out(self, m: IntentMatch) -> Reply:
        minutes = m.slots.get("minutes", DEFAULT_MINUTES)
        if not isinstance(minutes, (int, float)) or not in_range(minutes):
            too_long = isinstance(minutes, (int, float)) and minutes > MAX_MINUTES
            return Reply(self._say("time_out_too_long" if too_long else "time_out_too_short"), TIME_OUT)
        minutes = int(minutes)
        running = self.timer.running
        if running is not None:
            text = self._time_out_say("time_out_running", minutes)
            self.session.question = ("restart_time_out", minutes)
            return Reply(text, TIME_OUT, question=text)
        return self._start_time_out(minutes, TIME_OUT)

    def _start_time_out(self, minutes: int, key: str, intent: str = TIME_OUT) -> Reply:
        s = self.session
        s.section, s.walk = None, None
        self.timer.start(minutes)
        return Reply(self._time_out_say(key, minutes), intent)

    def _on_timer_status(self, m: IntentMatch) -> Reply:
        if self.timer.running is not None:
            return Reply(self._time_out_say("timer_status"), "timer_status")
        if self.session.walk is not None:
            return Reply(self._say("time_out_over"), "timer_status")
        return Reply(self._say("time_out_none"), "timer_status")

    def _stops_time_out(self, m: IntentMatch) -> bool:
        """Whether a "stop" is about the running time-out: said of it ("cancel the time-out"), or a
        plain "stop" when the last thing said was about it."""
        if self.timer.running is None:
            return False
        last = self.session.last
        return m.slots.get("timer") == TIME_OUT or (last is not None and last.intent in ABOUT_TIME_OUT)

    def _ask_cancel(self) -> Reply:
        text = self._time_out_say("time_out_cancel")
        self.session.question = ("cancel_time_out", None)
        return Reply(text, "stop", question=text)

    def _time_out_answer(self, kind: str, value: object, yes: bool) -> Reply:
        intent = "yes" if yes else "no"
        if kind == "cancel_time_out":
            if yes and self.timer.cancel() is not None:
                return Reply(self._say("time_out_cancelled"), intent)
            if self.timer.running is None:
                return Reply(self._say("time_out_none"), intent)
            return Reply(self._time_out_say("time_out_kept"), intent)
        if kind == "restart_time_out":
            if yes:
                return self._start_time_out(int(value), "time_out_restarted", intent)
            if self.timer.running is not None:
                return Reply(self._time_out_say("time_out_kept"), intent)
            return Reply(self._say("no"), intent)
        # "start_time_out": the offer after the time-out protocol
        if yes:
            return self._start_time_out(int(value), TIME_OUT, intent)
        return Reply(self._say("no"), intent)

    def _time_out_protocol(self, intent: str) -> Reply:
        """The steps of a proper time-out, then the offer to time one."""
        reply = self._read(self.content.time_out, intent)
        if self.timer.running is not None:
            return reply
        offer = self._time_out_say("time_out_offer", DEFAULT_MINUTES)
        self.session.question = ("start_time_out", DEFAULT_MINUTES)
        return Reply(f"{reply.text} [pause 1] {offer}", intent, question=offer)

    def _time_out_goodbye(self) -> str:
        """Said after goodbye when a time-out is running (it ends with the session)."""
        if self.timer.running is None:
            return ""
        self.timer.cancel()
        return " [pause] " + self._say("time_out_goodbye")

    # -- the timer's calls ----------------------------------------------------------------
    def time_up(self, call: Call | str) -> Reply:
        """What is said when the timer calls: "halfway" (the reminder) or "due" (the return prompt
        and the first part of the restart). Not a turn: nothing was heard."""
        kind = call.kind if isinstance(call, Call) else call
        s = self.session
        if kind == "halfway":
            reply = Reply(self._time_out_say("time_out_reminder"), TIME_OUT)
        elif s.unsafe:  # they said they are not safe: no call back into the room
            s.section, s.walk, s.question = None, None, None
            reply = Reply(" [pause 1] ".join(self.content.restart.when_unsafe or (self._say("unsafe_note"),)),
                          TIME_OUT)
        else:
            s.section, s.question, s.walk = None, None, 0
            reply = Reply(f"{self._say('time_out_return')} [pause 1] {self._restart_part(0)}", TIME_OUT)
        s.last, s.last_question = reply, s.question
        return reply

    def _restart_part(self, index: int) -> str:
        parts = self.content.restart.parts
        if index < len(parts) - 1:
            return f"{parts[index]} [pause 1] {self._say('time_out_next')}"
        step = self.content.section_for(FIGHTING_FAIR)
        self.session.walk = None
        if step is None or step.number is None:
            return parts[index]
        self.session.question = ("step", step.number)
        return f"{parts[index]} [pause 1] {self._time_out_say('time_out_offer_step')}"

    def _walk(self, by: int, intent: str) -> Reply:
        """The next (by=1) or previous (by=-1) part of the restart."""
        index = max(0, min(len(self.content.restart.parts) - 1, self.session.walk + by))
        self.session.walk = index
        return Reply(self._restart_part(index), intent)

    def restart_script(self) -> str:
        """The return prompt and the whole restart at once, for `assistant timeout`, which has
        nobody to say next to."""
        parts = " [pause 4] ".join(self.content.restart.parts)
        return f"{self._say('time_out_return')} [pause 1] {parts} [pause 2] {self._time_out_say('time_out_close')}"
