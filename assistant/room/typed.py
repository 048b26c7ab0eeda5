"""Lines typed while the microphone is lost (room/microphone.py hands them over): each answered as
the typed chat answers it, through the voice loop's own way of replying (printed, and spoken when
the speaker works), and written to the events as a turn with `"typed": true`. A goodbye ends the
loop, as a spoken one does."""

from __future__ import annotations

from assistant.dialogue.content import strip_pauses


def typed_turn(loop, text: str) -> None:
    if loop.transcript is not None:
        loop.transcript.write("you", text)
    with loop.calls.lock:  # never in the middle of a time-out's call
        match, reply = loop.dialogue.turn(text)
        loop.answer(reply)
    loop.turns += 1
    loop.events.write(turn=loop.turns, typed=True, transcript=text, intent=match.intent, score=match.score,
                      slots=dict(match.slots), response=strip_pauses(reply.text))
    if reply.end_session:
        loop.stopping.set()
