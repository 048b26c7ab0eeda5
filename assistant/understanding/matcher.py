"""The intent stage: rapidfuzz over the expanded sentences, helped by a sentence encoder.

For every intent two scores (0-100) are taken from its closest sentence:
  fuzzy    the larger of rapidfuzz's ratio on the words as said and on the words sorted
           (tolerant of slips of the ear and of word order);
  semantic cosine similarity of all-MiniLM-L6-v2 sentence embeddings (tolerant of new phrasings).
The intent's score is their weighted mean. An intent's `phrases` (used for safety) decide
it wherever they occur in what was said. `safety` is decided first: by a phrase, then by the
safety net over the same embedding (assistant/understanding/safety.py: `safety` when sure, `safety_check`, one
caring question, when unsure), then when its score reaches `safety_threshold`. Otherwise the best intent needs
`threshold` and a lead of `margin` over the runner-up, or the answer is None (a kind
reprompt beats a wrong guess). Slots come from the words said (a list value, a number heard in
the utterance, or for `minutes` a length of time), else from the closest sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Protocol, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from assistant.messages import IntentMatch
from assistant.understanding.durations import minutes_said
from assistant.understanding.encoder import Embedder, cached_embeddings
from assistant.understanding.intents import Catalogue, Sentence
from assistant.understanding.normalize import normalize, numbers_in
from assistant.understanding.phrases import SAFETY, PhraseSpotter
from assistant.understanding.safety import SAFETY_CHECK, SafetyNet

MINUTES = "minutes"  # the slot read as a length of time (assistant/understanding/durations.py), not as one number
SELF_CONTROL = "self_control"  # slot: the request named a harm they fear they might do (take_break's phrases)
SELF_CONTROL_INTENTS = ("take_break", "time_out")
SELF_CONTROL_LEAD = 5.0  # score points another request needs over a break or time-out to win over a self-control phrase
NEGATIONS = frozenset({"not", "never"})  # a "yes" said with one of these, unlike its sentence, is a no


@dataclass(frozen=True)
class MatchSettings:
    threshold: float = 62.0  # score 0-100 the best intent needs
    margin: float = 0.0  # score points the best intent must lead the runner-up by
    safety_threshold: float = 78.0  # score 0-100 at which safety wins over every other intent
    safety_floor: float = 74.0  # score 0-100 safety needs when it is merely the best intent
    fuzzy_weight: float = 0.4  # 0-1: share of the fuzzy score; the rest is the semantic score
    safety_sure: float | None = None  # 0-1: net probability for the safety answer; None = as trained
    safety_unsure: float | None = None  # 0-1: net probability for the safety question; None = as trained


class IntentRecognizer(Protocol):
    def match(self, text: str) -> IntentMatch: ...

    def match_any(self, heard: Sequence[str]) -> IntentMatch: ...


def _negated(text: str) -> bool:
    return bool(NEGATIONS.intersection(text.split()))


def _sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


class Matcher:
    def __init__(self, catalogue: Catalogue, settings: MatchSettings = MatchSettings(),
                 embedder: Embedder | None = None, safety_net: SafetyNet | None = None) -> None:
        self.catalogue = catalogue
        self.safety_net = safety_net
        self.settings = settings
        sentences = catalogue.sentences
        self.intents = sorted({s.intent for s in sentences} | {p.intent for p in catalogue.phrases})
        self._intent_of = np.array([self.intents.index(s.intent) for s in sentences], dtype=np.intp)
        self._texts = [s.text for s in sentences]
        self._sorted = [_sorted_words(t) for t in self._texts]
        self._embedder = embedder
        self._vectors = cached_embeddings(embedder, self._texts) if embedder is not None else None
        self._safety = self.intents.index(SAFETY) if SAFETY in self.intents else None
        self._phrases = self._slot_phrases(sentences)
        self._spotter = PhraseSpotter(catalogue.phrases)

    def triggered(self, query: str) -> str | None:
        """The intent whose phrase occurs in the words said, safety first."""
        return self._spotter.said(query)[0]

    def with_catalogue(self, catalogue: Catalogue) -> "Matcher":
        """A matcher for another catalogue (an edited intents/), with these settings and embedder."""
        return Matcher(catalogue, self.settings, self._embedder, self.safety_net)

    def _slot_phrases(self, sentences: tuple[Sentence, ...]) -> dict[str, dict[str, list[tuple[re.Pattern, object]]]]:
        """intent -> slot -> [(phrase pattern, value)], longest phrase first, from the list values."""
        values = self.catalogue.slot_values
        out: dict[str, dict[str, list]] = {}
        for s in sentences:
            for slot, _ in s.slots:
                if slot in values and slot not in out.setdefault(s.intent, {}):
                    ordered = sorted(values[slot], key=lambda pv: -len(pv[0]))
                    out[s.intent][slot] = [(re.compile(rf"\b{re.escape(p)}\b"), v) for p, v in ordered]
        return out

    def embed(self, query: str) -> np.ndarray | None:
        """The query's sentence embedding (None without an encoder)."""
        return self._embedder.embed([query])[0] if self._embedder is not None else None

    def scores(self, query: str, vector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per intent: combined, fuzzy and semantic scores; and per sentence fuzzy scores."""
        n = len(self.intents)
        r = process.cdist([query], self._texts, scorer=fuzz.ratio, dtype=np.float32, workers=1)[0]
        rs = process.cdist([_sorted_words(query)], self._sorted, scorer=fuzz.ratio, dtype=np.float32, workers=1)[0]
        per_sentence = np.maximum(r, rs)
        fuzzy = np.zeros(n, dtype=np.float32)
        np.maximum.at(fuzzy, self._intent_of, per_sentence)
        if self._vectors is None:
            return fuzzy, fuzzy, fuzzy, per_sentence
        if vector is None:
            vector = self.embed(query)
        sims = self._vectors @ vector * 100.0
        semantic = np.full(n, -100.0, dtype=np.float32)
        np.maximum.at(semantic, self._intent_of, sims)
        w = self.settings.fuzzy_weight
        return w * fuzzy + (1 - w) * semantic, fuzzy, semantic, per_sentence

    def match(self, text: str) -> IntentMatch:
        query = normalize(text)
        if not query:
            return IntentMatch(None, 0.0, stage="empty")
        vector = self.embed(query)
        combined, fuzzy, _, per_sentence = self.scores(query, vector)
        trigger, excepted = self._spotter.said(query)
        if trigger is not None:
            if trigger == SAFETY and self.safety_net is not None and vector is not None:
                # A danger phrase the net finds no danger around ("he shot me a look") is asked about.
                p = float(self.safety_net.probability(vector.reshape(1, -1), [query])[0])
                if p < self.safety_net.phrase_doubt:
                    return IntentMatch(SAFETY_CHECK, round(100.0 * p, 1), stage="phrase_doubted")
            if trigger == SAFETY:
                return replace(self._verdict(trigger, combined, per_sentence, query, None, "phrase"), score=100.0)
            return self._self_control(trigger, combined, fuzzy, per_sentence, query)
        order = np.argsort(-combined)
        top, second = int(order[0]), int(order[1]) if len(order) > 1 else int(order[0])
        s = self.settings
        exact = fuzzy[top] >= 100.0
        if self.safety_net is not None and vector is not None and not (exact and top != self._safety):
            verdict = self.safety_net.verdict(vector, query, SAFETY in excepted, s.safety_sure, s.safety_unsure)
            if verdict.outcome is not None:
                return IntentMatch(verdict.outcome, round(100.0 * verdict.probability, 1),
                                   runner_up=self.intents[top], stage="safety_net")
        if self._safety is not None and fuzzy[self._safety] < 100.0 and SAFETY in excepted:
            # A figure of speech ("killing it at work") vetoes safety by mere resemblance.
            combined = combined.copy()
            combined[self._safety] = -100.0
            order = np.argsort(-combined)
            top, second = int(order[0]), int(order[1]) if len(order) > 1 else int(order[0])
            exact = fuzzy[top] >= 100.0
        if self._safety is not None and combined[self._safety] >= s.safety_threshold and not (
                exact and top != self._safety):
            return self._verdict(SAFETY, combined, per_sentence, query, None, "safety")
        score = float(combined[top])
        lead = score - float(combined[second]) if second != top else score
        if top == self._safety and not exact and score < s.safety_floor:
            # Below its own bar, danger is not guessed at from resemblance alone: the phrases
            # and the safety threshold catch it; a near miss gets a reprompt, not coaching.
            best = self._closest(SAFETY, per_sentence)
            return IntentMatch(None, round(score, 1), sentence=best.text, runner_up=SAFETY)
        if exact or (score >= s.threshold and lead >= s.margin):
            verdict = self._verdict(self.intents[top], combined, per_sentence, query, self.intents[second], "fuzzy")
            if verdict.intent == "yes" and _negated(query) and not _negated(verdict.sentence or ""):
                # "we are not okay" resembles "we are okay"; asked "are you safe?", it means no.
                return replace(verdict, intent="no", stage="negated")
            return verdict
        best = self._closest(self.intents[top], per_sentence)
        return IntentMatch(None, round(score, 1), sentence=best.text, runner_up=self.intents[top])

    def _self_control(self, trigger: str, combined: np.ndarray, fuzzy: np.ndarray, per_sentence: np.ndarray,
                      query: str) -> IntentMatch:
        """A phrase of an intent other than safety was said (take_break's: "before i lose it", "or i'll say
        something awful"), with no safety phrase and no harm to a person: someone naming their own temper
        to keep it in check. The safety net is not asked: its words ("lose it", "hit something") sit near
        danger, and answering this with emergency numbers teaches people not to say it. The intents
        decide between a break and time apart (time_out when that is what was asked for); a confident
        other request is kept ("how do i say this so i don't lose my temper"); anything else is the
        phrase's intent. take_break and time_out carry the slot self_control (the break praises the choice)."""
        order = np.argsort(-combined)
        if self._safety is not None and int(order[0]) == self._safety:
            order = order[1:]
        top = self.intents[int(order[0])]
        second = self.intents[int(order[1])] if len(order) > 1 else None
        best = int(order[0])
        confident = fuzzy[best] >= 100.0 or combined[best] >= self.settings.threshold
        calmer = max(float(combined[self.intents.index(i)]) for i in SELF_CONTROL_INTENTS if i in self.intents)
        elsewhere = confident and top not in ("distress", SAFETY) and (
            top in SELF_CONTROL_INTENTS or fuzzy[best] >= 100.0 or combined[best] - calmer >= SELF_CONTROL_LEAD)
        intent = top if elsewhere else trigger
        verdict = self._verdict(intent, combined, per_sentence, query, second if intent == top else top, "self_control")
        if intent in SELF_CONTROL_INTENTS:  # decided by a phrase, like a safety phrase: a confident verdict
            verdict = replace(verdict, score=100.0, slots={**verdict.slots, SELF_CONTROL: True})
        return verdict

    def match_any(self, heard: Sequence[str]) -> IntentMatch:
        """The verdict over a recogniser's hypotheses, the best first. The best one decides, or when
        it is not understood, the likeliest alternative that is; when only another hypothesis holds
        danger, that is uncertain evidence, so the answer is the safety question. (Measured in BENCHMARKS.md, "Alternatives": letting an alternative give
        the safety answer, or an intent, doubled the everyday false alarms and lost intents.)"""
        best = self.match(heard[0] if heard else "")
        if best.intent in (SAFETY, SAFETY_CHECK):
            return best
        others = [self.match(text) for text in heard[1:]]
        for k, m in enumerate(others, 1):
            if m.intent in (SAFETY, SAFETY_CHECK):
                return IntentMatch(SAFETY_CHECK, m.score, runner_up=best.intent, stage=f"{m.stage} (alternative {k})")
        if best.intent is None:  # not understood: the likeliest alternative that is, rather than a reprompt
            for k, m in enumerate(others, 1):
                if m.intent is not None:
                    return replace(m, stage=f"{m.stage} (alternative {k})")
        return best

    def _closest(self, intent: str, per_sentence: np.ndarray) -> Sentence:
        index = self.intents.index(intent)
        masked = np.where(self._intent_of == index, per_sentence, -1.0)
        best = int(np.argmax(masked)) if len(masked) else 0
        if not len(masked) or masked[best] < 0:  # an intent known only by its phrases
            return Sentence("", intent)
        return self.catalogue.sentences[best]

    def _verdict(self, intent: str, combined: np.ndarray, per_sentence: np.ndarray, query: str,
                 runner_up: str | None, stage: str) -> IntentMatch:
        sentence = self._closest(intent, per_sentence)
        score = round(float(combined[self.intents.index(intent)]), 1)
        return IntentMatch(intent, min(100.0, score), self._slots(query, intent, sentence), sentence.text,
                           runner_up, stage)

    def _slots(self, query: str, intent: str, sentence: Sentence) -> dict:
        slots = dict(sentence.slots)
        numbers = numbers_in(query)
        for slot, phrases in self._phrases.get(intent, {}).items():
            if slot == MINUTES:  # a length of time, in minutes: "half an hour", "an hour and a half", "a year"
                slots.pop(slot, None)
                if (said := minutes_said(query)) is not None:
                    slots[slot] = said
                continue
            if slot in self.catalogue.integer_slots:
                if len(set(numbers)) == 1:
                    slots[slot] = numbers[0]
                continue
            for pattern, value in phrases:
                if pattern.search(query):
                    slots[slot] = value
                    break
        return slots
