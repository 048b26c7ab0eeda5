"""Wiring: load the data once and build the stages the text and voice paths share."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from assistant.dialogue.content import BUILTIN, SYSTEM_RESPONSES, Content, load_content
from assistant.dialogue.session import Dialogue, DialogueSettings
from assistant.dialogue.timer import Clock
from assistant.errors import EncoderError
from assistant.understanding.catalogue_cache import cached_catalogue
from assistant.understanding.encoder import MiniLMEncoder
from assistant.understanding.intents import Catalogue, ambiguous_sentences
from assistant.understanding.matcher import Matcher, MatchSettings
from assistant.understanding.safety import SafetyNet

ROOT = Path(__file__).resolve().parent.parent
INTENTS_DIR = ROOT / "intents"
CONTENT_DIR = ROOT / "content"


@dataclass(frozen=True)
class Paths:
    intents: Path = INTENTS_DIR  # folder of intents/*.yaml
    content: Path = CONTENT_DIR  # folder of content/*.yaml


@dataclass(frozen=True)
class Assistant:
    catalogue: Catalogue
    content: Content
    matcher: Matcher

    def dialogue(self, settings: DialogueSettings = DialogueSettings(), clock: Clock | None = None) -> Dialogue:
        return Dialogue(self.matcher, self.content, settings, clock)


@dataclass(frozen=True)
class Data:
    """The intents and content alone, checked, without the matcher's models (`intents check`)."""

    catalogue: Catalogue
    content: Content


def load_data(paths: Paths = Paths()) -> Data:
    return Data(cached_catalogue(paths.intents), load_content(paths.content))


def build(paths: Paths = Paths(), match: MatchSettings = MatchSettings()) -> Assistant:
    catalogue = cached_catalogue(paths.intents)  # expanded once, then from ~/.cache/assistant/
    content = load_content(paths.content)
    return Assistant(catalogue, content, Matcher(catalogue, match, *understanding()))


def understanding() -> tuple[MiniLMEncoder | None, SafetyNet | None]:
    """The sentence encoder and the safety net over it; without them (a damaged install), a loud
    warning, and only the fuzzy matcher and the safety phrases serve."""
    try:
        encoder = MiniLMEncoder()
        return encoder, SafetyNet(encoder=encoder.name)
    except EncoderError as exc:
        logging.getLogger("assistant").warning("%s. Until then only the fuzzy matcher and the safety "
                                               "phrases are used: danger in words they do not list is missed", exc)
        return None, None


def check(assistant: "Assistant | Data") -> list[str]:
    """Cross-file problems: sentences shared by two intents, intents without content, and back."""
    problems = []
    for text, sentences in sorted(ambiguous_sentences(assistant.catalogue).items()):
        where = ", ".join(f"{s.intent} ({s.source})" for s in sentences)
        problems.append(f"sentence {text!r} appears in two intents: {where}")
    keys = assistant.content.keys()
    intents = set(assistant.catalogue.intents)
    for intent in assistant.catalogue.intents:
        if intent not in keys:
            problems.append(f"intent {intent!r} ({assistant.catalogue.sources[intent]}) has no content; "
                            "add it to content/ (a topic, a step's intent, or a dialogue response)")
    for key, where in sorted(keys.items()):
        if key not in intents and key not in SYSTEM_RESPONSES and key not in BUILTIN:
            problems.append(f"content key {key!r} in {where} has no intent; add it to intents/ or remove it")
    for key in BUILTIN:
        if key not in intents:
            problems.append(f"intent {key!r} is missing from intents/ but {BUILTIN[key]} answers it")
    for step in assistant.content.steps:
        if step.key not in intents:
            problems.append(f"step {step.number} names intent {step.key!r}, which intents/ does not define")
    return problems


ENGINES = ("moonshine", "vosk", "pocketsphinx")  # --engine; None: Moonshine, PocketSphinx when it cannot load


def recognizer(assistant: Assistant, engine: str | None = None, model: Path | None = None,
               bias: bool = True, live: bool = False):
    """The recognizer to use, and a one-line notice of what was chosen and why.

    Default: Moonshine tiny-en (hearing/moonshine.py, its model inside its wheel), with PocketSphinx
    biased to the intents beside it (hearing/ears.py: over its own voice, and as the second opinion
    on short unclear utterances). When Moonshine cannot load, the notice says why and PocketSphinx
    hears alone. --engine vosk: Vosk with a model found (--model, ASSISTANT_VOSK_MODEL, models/,
    Vosk's folders). --engine pocketsphinx: PocketSphinx alone. `live` (the voice loop): PocketSphinx
    decodes in a child process (hearing/decoder_process.py), so it never stalls the audio callbacks."""
    from assistant.hearing.models import find_model
    from assistant.hearing.recognize import PocketSphinxEngine, RecognizerError, VoskEngine

    phrases = [s.text for s in assistant.catalogue.sentences] if bias else None
    matcher = assistant.matcher

    def understood(text: str) -> bool:
        return matcher.match(text).intent is not None

    if engine == "vosk":
        path, where = find_model(model)
        if path is None:
            raise RecognizerError(f"no Vosk model found ({where}); run `assistant model download` "
                                  "or pass --model PATH")
        return VoskEngine(path, phrases, second_opinion=understood), f"Vosk model {path} ({where})"
    kind = PocketSphinxEngine
    if live:
        from assistant.hearing.decoder_process import DecoderProcess as kind
    notice = "PocketSphinx's built-in English model"
    if engine in (None, "moonshine"):
        from assistant.hearing.ears import Ears
        from assistant.hearing.moonshine import MoonshineEngine

        try:
            neural = MoonshineEngine()
            return (Ears(neural, kind(phrases, second_opinion=understood), understood),
                    "Moonshine tiny-en (bundled), PocketSphinx beside it for its own voice and short commands")
        except RecognizerError as exc:
            if engine == "moonshine":  # asked for by name: an error, not a quiet fallback
                raise
            notice = f"{exc}; listening with PocketSphinx's built-in English model"
    return kind(phrases, second_opinion=understood), notice
