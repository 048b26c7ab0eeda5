"""The intent stage: rapidfuzz over the expanded sentences, with a threshold and a margin.

`safety` is decided before everything: if any safety sentence is close enough, it wins.
Otherwise the best intent must score at least `threshold` and beat the runner-up intent by
`margin`; below that the answer is None (a kind reprompt beats a wrong guess).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz, process

from assistant.intents import Catalogue
from assistant.messages import IntentMatch
from assistant.normalize import normalize, numbers_in

SAFETY = "safety"


@dataclass(frozen=True)
class MatchSettings:
    threshold: float = 80.0  # score 0-100 the best intent needs
    margin: float = 4.0  # score points the best intent must lead the runner-up by
    safety_threshold: float = 86.0  # score 0-100 at which safety wins outright
    candidates: int = 60  # nearest sentences examined per utterance


class IntentRecognizer(Protocol):
    def match(self, text: str) -> IntentMatch: ...


def _score(query: str, choice: str, *, score_cutoff: float | None = None, **_: object) -> float:
    """Whole-string similarity, forgiving word order and a few extra or missing words."""
    return max(fuzz.ratio(query, choice), fuzz.token_sort_ratio(query, choice),
               0.95 * fuzz.token_set_ratio(query, choice) if abs(len(query) - len(choice)) < 12 else 0.0)


class Matcher:
    def __init__(self, catalogue: Catalogue, settings: MatchSettings = MatchSettings()) -> None:
        self.catalogue = catalogue
        self.settings = settings
        self._texts = [s.text for s in catalogue.sentences]
        self._safety = [i for i, s in enumerate(catalogue.sentences) if s.intent == SAFETY]
        self._safety_texts = [self._texts[i] for i in self._safety]

    def match(self, text: str) -> IntentMatch:
        query = normalize(text)
        if not query:
            return IntentMatch(None, 0.0, stage="empty")
        safety = self._best_safety(query)
        if safety is not None:
            return safety
        best: dict[str, tuple[float, int]] = {}
        for _, score, index in process.extract(query, self._texts, scorer=fuzz.WRatio,
                                               limit=self.settings.candidates):
            intent = self.catalogue.sentences[index].intent
            if intent not in best or score > best[intent][0]:
                best[intent] = (score, index)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
        if not ranked:
            return IntentMatch(None, 0.0)
        intent, (score, index) = ranked[0]
        runner_up, runner_score = (ranked[1][0], ranked[1][1][0]) if len(ranked) > 1 else (None, 0.0)
        sentence = self.catalogue.sentences[index]
        if score < self.settings.threshold or score - runner_score < self.settings.margin:
            return IntentMatch(None, round(score, 1), sentence=sentence.text, runner_up=intent)
        return IntentMatch(intent, round(score, 1), self._slots(query, sentence), sentence.text, runner_up)

    def _best_safety(self, query: str) -> IntentMatch | None:
        if not self._safety:
            return None
        hit = process.extractOne(query, self._safety_texts, scorer=fuzz.WRatio,
                                 score_cutoff=self.settings.safety_threshold)
        if hit is None:
            return None
        sentence = self.catalogue.sentences[self._safety[hit[2]]]
        return IntentMatch(SAFETY, round(hit[1], 1), {}, sentence.text, stage="safety")

    def _slots(self, query: str, sentence) -> dict:
        slots = dict(sentence.slots)
        numbers = numbers_in(query)
        for name in slots:
            if name in self.catalogue.integer_slots and len(set(numbers)) == 1:
                slots[name] = numbers[0]
        return slots
