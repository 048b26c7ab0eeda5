"""The small frozen values that pass between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Utterance:
    """What the person said, as text (typed, or decoded from audio)."""

    text: str
    source: str = "text"  # "text" | "voice"
    alternatives: tuple[str, ...] = ()  # the recogniser's other hypotheses, most likely first


@dataclass(frozen=True)
class IntentMatch:
    """The matcher's verdict: an intent name or None (not understood / out of scope)."""

    intent: str | None
    score: float  # 0-100, confidence of the winning intent (or of the best guess when None)
    slots: Mapping[str, Any] = field(default_factory=dict)
    sentence: str | None = None  # the catalogue sentence that matched best
    runner_up: str | None = None  # the second-best intent, for explanations
    stage: str = "fuzzy"  # which stage decided: "fuzzy", "semantic", "safety", "empty"


@dataclass(frozen=True)
class BreathingPlan:
    """A breathing break to run: the dialogue decides it, the speech stage paces it."""

    pattern: str
    cycles: int


@dataclass(frozen=True)
class Reply:
    """What the assistant answers. `text` may contain pause marks such as "[pause 2]"."""

    text: str
    intent: str | None = None
    breathing: BreathingPlan | None = None
    end_session: bool = False
    question: str | None = None  # a pending yes/no question, if the reply asked one
