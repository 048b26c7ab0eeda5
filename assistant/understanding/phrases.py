"""Phrases said anywhere in an utterance: an intent's `phrases` and `except` phrases (intents.py).

Each phrase is a run of words, or parts joined by "..." (up to GAP other words between them).
`said` answers which intent a phrase decides (safety first) and which intents' exceptions
were heard; the matcher (matcher.py) acts on that before any resemblance is weighed.
"""

from __future__ import annotations

from typing import Iterable

from assistant.understanding.intents import GAP, Phrase

SAFETY = "safety"


class PhraseSpotter:
    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self._triggers: dict[str, str] = {}  # phrase -> intent
        self._exceptions: dict[str, str] = {}
        self._gapped: list[Phrase] = []  # "a ... b" phrases
        self._parts: dict[str, list[tuple[int, int]]] = {}  # words -> [(gapped phrase, part)]
        longest = [0]
        for p in phrases:
            if p.groups:
                for g, group in enumerate(p.groups):
                    for alt in group:
                        self._parts.setdefault(alt, []).append((len(self._gapped), g))
                        longest.append(len(alt.split()))
                self._gapped.append(p)
            else:
                (self._exceptions if p.exception else self._triggers)[p.text] = p.intent
                longest.append(len(p.text.split()))
        self._longest = max(longest)

    def _occurrences(self, words: list[str]) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]]:
        """(start, end, intent) of every trigger phrase and every exception phrase in the words."""
        found, excepted = [], []
        parts: dict[int, dict[int, list[tuple[int, int]]]] = {}  # gapped phrase -> part -> spans
        for i in range(len(words)):
            for n in range(1, min(self._longest, len(words) - i) + 1):
                gram = " ".join(words[i:i + n])
                if gram in self._triggers:
                    found.append((i, i + n, self._triggers[gram]))
                if gram in self._exceptions:
                    excepted.append((i, i + n, self._exceptions[gram]))
                for pid, g in self._parts.get(gram, ()):
                    parts.setdefault(pid, {}).setdefault(g, []).append((i, i + n))
        for pid, spans in parts.items():
            phrase = self._gapped[pid]
            if len(spans) < len(phrase.groups):
                continue
            for start, end in spans[0]:
                last = self._chain(spans, 1, len(phrase.groups), end)
                if last is not None:
                    (excepted if phrase.exception else found).append((start, last, phrase.intent))
                    break
        return found, excepted

    @staticmethod
    def _chain(spans: dict[int, list[tuple[int, int]]], g: int, count: int, end: int) -> int | None:
        """Where the parts g.. of a gapped phrase end, each within GAP words of the one before."""
        if g == count:
            return end
        for start, stop in spans[g]:
            if end <= start <= end + GAP:
                last = PhraseSpotter._chain(spans, g + 1, count, stop)
                if last is not None:
                    return last
        return None

    def said(self, query: str) -> tuple[str | None, set[str]]:
        """The intent whose phrase occurs in the words said (safety first), and the intents one of
        whose `except` phrases occurs.

        Safety's exceptions are figures of speech: one cancels only the phrases it overlaps ("beat
        me at chess" is not "beat me"), so a figure of speech never hides a real danger said in the
        same breath. Another intent's exceptions cancel its phrases wherever they are said (take_break's
        self-control phrases, "before i lose it", give way to any harm to a person: "before i hit him"),
        unless one of safety's figures of speech covers them ("hurt her feelings" is not "hurt her")."""
        if not self._triggers and not self._gapped:
            return None, set()
        found, excepted = self._occurrences(query.split())
        figures = [(s, e) for s, e, intent in excepted if intent == SAFETY]
        cancelled = {intent for s, e, intent in excepted
                     if intent != SAFETY and not any(fs < e and s < fe for fs, fe in figures)}
        live = {intent for start, end, intent in found
                if (intent != SAFETY and intent not in cancelled)
                or (intent == SAFETY and not any(s < end and start < e for s, e in figures))}
        trigger = (SAFETY if SAFETY in live else sorted(live)[0]) if live else None
        return trigger, {intent for _, _, intent in excepted}
