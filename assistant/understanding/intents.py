"""Intent templates: load intents/*.yaml strictly, expand the hassil templates with their slots.

File format (hassil's sentence syntax, a strict subset of its file layout):

    language: en
    intents:
      take_break:
        sentences:
          - "(i need|give me) [a] <break>"
          - "[let us] do [some] {pattern} breathing"
        phrases:                 # another intent's phrases decide it when no safety phrase is said, and
          - "before i (snap|explode)"   # the safety net is not asked: self-control (matcher.py)
        except:                  # ...unless one of these is said anywhere in the utterance
          - "(hit|hurt) (him|her)"
      safety:
        sentences: [...]
        phrases:                 # said anywhere in an utterance, these decide the intent
          - "(hit|hits) me"
          - "(knife|gun) ... (at|to) (me|my)"   # "..." = up to GAP other words in between
        except:                  # ...unless one of these is said too, over the phrase (figures of speech);
          - "beat me at"         # one over another intent's exception voids it ("hurt her feelings")
    lists:
      pattern:
        values:
          - in: "(four seven eight|4 7 8)"
            out: "4-7-8"
    expansion_rules:
      break: "(break|pause|time out)"

Lists and expansion rules are shared by all files. Every problem is reported with file, line,
intent and the offending template.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from hassil.expression import Alternative, ListReference, Permutation, RuleReference, Sequence, TextChunk
from hassil.parse_expression import parse_sentence
from hassil.parser import ParseError

from assistant import yamlfile
from assistant.errors import IntentFileError
from assistant.understanding.normalize import normalize

MAX_EXPANSIONS = 20_000  # sentences one template may expand to before it is rejected
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Sentence:
    text: str  # normalised
    intent: str
    slots: tuple[tuple[str, Any], ...] = ()
    source: str = ""  # file:line of the template


@dataclass(frozen=True)
class Phrase:
    """Words that decide `intent` wherever they occur in an utterance (unless `exception`)."""

    text: str  # normalised ("a|b ... c" for a gapped phrase: each part's alternatives)
    intent: str
    exception: bool = False
    source: str = ""
    groups: tuple[frozenset[str], ...] = ()  # gapped phrase: alternatives for each part, in order


@dataclass(frozen=True)
class Catalogue:
    sentences: tuple[Sentence, ...]
    intents: tuple[str, ...]
    sources: dict[str, str] = field(default_factory=dict)  # intent -> file:line
    integer_slots: frozenset[str] = frozenset()  # slots whose values are all integers
    files: tuple[str, ...] = ()
    slot_values: dict[str, tuple[tuple[str, Any], ...]] = field(default_factory=dict)  # slot -> (phrase, value)
    phrases: tuple[Phrase, ...] = ()


@dataclass
class _Template:
    intent: str
    text: str
    path: str
    line: int
    kind: str = "sentences"  # or "phrases" / "except"


def load_catalogue(directory: Path) -> Catalogue:
    """Load every *.yaml under `directory` and expand it; raises IntentFileError on any problem."""
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        raise IntentFileError(str(directory), None, "no intent files (*.yaml) found; pass --intents DIR")
    templates: list[_Template] = []
    lists: dict[str, tuple[str, int, list[tuple[Any, str, int]]]] = {}
    rules: dict[str, tuple[str, int, str]] = {}
    sources: dict[str, str] = {}
    for path in files:
        data = yamlfile.load(path, IntentFileError)
        check = yamlfile.Checker(path, IntentFileError)
        if data is None:
            check.fail(1, "file is empty; remove it or add intents")
        check.mapping(data, 1, "the file", optional=("language", "intents", "lists", "expansion_rules"))
        if "language" in data and data["language"] != "en":
            check.fail(data.lines["language"], f"language {data['language']!r} is not supported (only 'en')")
        for name, body in check.mapping(data.get("intents", {}), data.lines.get("intents"), "intents",
                                        any_keys=True).items():
            line = yamlfile.line_of(data["intents"], name)
            if not isinstance(name, str) or not _NAME.match(name):
                check.fail(line, f"intent name {name!r} must be lowercase letters, digits and _")
            if name in sources:
                check.fail(line, f"intent {name!r} is already defined at {sources[name]}")
            sources[name] = f"{path}:{line}"
            check.mapping(body, line, f"intent {name!r}", required=("sentences",), optional=("phrases", "except"))
            for kind in ("sentences", "phrases", "except"):
                if kind not in body:
                    continue
                items = check.sequence(body[kind], body.lines[kind], f"{kind} of intent {name!r}")
                for i, text in enumerate(items):
                    item_line = items.lines[i]
                    what = f"an item of {kind} of intent {name!r}"
                    templates.append(_Template(name, check.text(text, item_line, what), str(path), item_line, kind))
            if "except" in body and "phrases" not in body:
                check.fail(body.lines["except"], f"intent {name!r} has 'except' but no 'phrases' to make exceptions to")
        for name, body in check.mapping(data.get("lists", {}), data.lines.get("lists"), "lists", any_keys=True).items():
            line = yamlfile.line_of(data["lists"], name)
            if name in lists:
                check.fail(line, f"list {name!r} is already defined at {lists[name][0]}:{lists[name][1]}")
            check.mapping(body, line, f"list {name!r}", required=("values",))
            values = check.sequence(body["values"], body.lines["values"], f"values of list {name!r}")
            entries = []
            for i, value in enumerate(values):
                vline = values.lines[i]
                if isinstance(value, str):
                    value = {"in": value, "out": value}
                else:
                    check.mapping(value, vline, f"a value of list {name!r}", required=("in", "out"))
                    if isinstance(value["out"], bool) or not isinstance(value["out"], (str, int, float)):
                        check.fail(value.lines.get("out", vline), f"'out' of list {name!r} must be one "
                                   f"text or number, got {value['out']!r}")
                entries.append((value["out"], check.text(value["in"], vline, f"'in' of list {name!r}"), vline))
            lists[name] = (str(path), line, entries)
        for name, text in check.mapping(data.get("expansion_rules", {}), data.lines.get("expansion_rules"),
                                        "expansion_rules", any_keys=True).items():
            line = yamlfile.line_of(data["expansion_rules"], name)
            if name in rules:
                check.fail(line, f"expansion rule {name!r} is already defined at {rules[name][0]}:{rules[name][1]}")
            rules[name] = (str(path), line, check.text(text, line, f"expansion rule {name!r}"))
    return _expand_all(templates, lists, rules, sources, tuple(map(str, files)))


class _Expander:
    def __init__(self, lists: dict, rules: dict) -> None:
        self.raw_lists = lists
        self.raw_rules = rules
        self.lists: dict[str, list[tuple[Any, Any]]] = {}
        self.rules: dict[str, Any] = {}
        self.stack: list[str] = []
        self.slot_lists: dict[str, set[str]] = {}  # slot name -> the lists that fill it

    def _parse(self, text: str, path: str, line: int, what: str) -> Any:
        try:
            return parse_sentence(text).expression
        except (ParseError, ValueError, IndexError) as exc:
            raise IntentFileError(path, line, f"{what}: cannot parse template {text!r}: {exc}") from None

    def list_values(self, name: str, where: tuple[str, int, str]) -> list[tuple[Any, Any]]:
        if name not in self.lists:
            if name not in self.raw_lists:
                raise IntentFileError(where[0], where[1], f"{where[2]}: unknown list {{{name}}}; define it under 'lists:'")
            path, _, entries = self.raw_lists[name]
            self.lists[name] = [(out, self._parse(text, path, vline, f"list {name!r}")) for out, text, vline in entries]
        return self.lists[name]

    def rule(self, name: str, where: tuple[str, int, str]) -> Any:
        if name not in self.rules:
            if name not in self.raw_rules:
                raise IntentFileError(where[0], where[1], f"{where[2]}: unknown expansion rule <{name}>; "
                                      "define it under 'expansion_rules:'")
            path, line, text = self.raw_rules[name]
            self.rules[name] = self._parse(text, path, line, f"expansion rule {name!r}")
        return self.rules[name]

    def expand(self, expr: Any, where: tuple[str, int, str]) -> Iterator[tuple[str, tuple]]:
        """Yield (text, slots) for every sentence the expression can produce."""
        if isinstance(expr, TextChunk):
            yield expr.original_text or "", ()
        elif isinstance(expr, Sequence) and not isinstance(expr, (Alternative, Permutation)):
            parts = [list(self.expand(item, where)) for item in expr.items]
            for combo in itertools.product(*parts):
                yield "".join(t for t, _ in combo), tuple(s for _, slots in combo for s in slots)
        elif isinstance(expr, Alternative):
            for item in expr.items:
                yield from self.expand(item, where)
        elif isinstance(expr, Permutation):
            parts = [list(self.expand(item, where)) for item in expr.items]
            for order in itertools.permutations(parts):
                for combo in itertools.product(*order):
                    yield " ".join(t for t, _ in combo), tuple(s for _, slots in combo for s in slots)
        elif isinstance(expr, ListReference):
            self.slot_lists.setdefault(expr.slot_name, set()).add(expr.list_name)
            for out, value_expr in self.list_values(expr.list_name, where):
                for text, slots in self.expand(value_expr, where):
                    yield text, ((expr.slot_name, out),) + slots
        elif isinstance(expr, RuleReference):
            if expr.rule_name in self.stack:
                raise IntentFileError(where[0], where[1], f"{where[2]}: expansion rule <{expr.rule_name}> refers to itself")
            self.stack.append(expr.rule_name)
            try:
                yield from self.expand(self.rule(expr.rule_name, where), where)
            finally:
                self.stack.pop()
        else:  # pragma: no cover - hassil added a new node type
            raise IntentFileError(where[0], where[1], f"{where[2]}: unsupported template syntax {type(expr).__name__}")


GAP_MARK = "..."  # in a phrase: up to GAP other words may come between the parts
GAP = 8  # words


def _phrase_group(expander: "_Expander", text: str, tpl: "_Template", where: tuple) -> frozenset[str]:
    """Everything one phrase template (or one part of a gapped one) can expand to, normalised."""
    if not text:
        raise IntentFileError(tpl.path, tpl.line, f"{where[2]}: '{GAP_MARK}' needs words on both sides")
    out = set()
    for said, slots in expander.expand(expander._parse(text, tpl.path, tpl.line, f"intent {tpl.intent!r}"), where):
        if slots:
            raise IntentFileError(tpl.path, tpl.line, f"{where[2]}: {tpl.kind} cannot hold slot lists")
        if len(out) >= MAX_EXPANSIONS:
            raise IntentFileError(tpl.path, tpl.line, f"{where[2]} expands to more than {MAX_EXPANSIONS} phrases")
        norm = normalize(said)
        if not norm:
            raise IntentFileError(tpl.path, tpl.line, f"{where[2]} can expand to an empty phrase")
        out.add(norm)
    return frozenset(out)


def _expand_all(templates: list[_Template], lists: dict, rules: dict, sources: dict[str, str],
                files: tuple[str, ...]) -> Catalogue:
    expander = _Expander(lists, rules)
    seen: set[tuple[str, str, tuple]] = set()
    sentences: list[Sentence] = []
    phrases: dict[tuple[str, str, bool], Phrase] = {}
    for tpl in templates:
        where = (tpl.path, tpl.line, f"intent {tpl.intent!r}, template {tpl.text!r}")
        if tpl.kind != "sentences":  # phrases and exceptions, plain or gapped ("a ... b")
            exception, source = tpl.kind == "except", f"{tpl.path}:{tpl.line}"
            groups = tuple(_phrase_group(expander, part.strip(), tpl, where) for part in tpl.text.split(GAP_MARK))
            if len(groups) == 1:
                for norm in groups[0]:
                    phrases.setdefault((norm, tpl.intent, exception), Phrase(norm, tpl.intent, exception, source))
            else:
                text = f" {GAP_MARK} ".join("|".join(sorted(g)) for g in groups)
                phrases.setdefault((text, tpl.intent, exception), Phrase(text, tpl.intent, exception, source, groups))
            continue
        expr = expander._parse(tpl.text, tpl.path, tpl.line, f"intent {tpl.intent!r}")
        count = 0
        for text, slots in expander.expand(expr, where):
            count += 1
            if count > MAX_EXPANSIONS:
                raise IntentFileError(tpl.path, tpl.line, f"{where[2]} expands to more than {MAX_EXPANSIONS} "
                                      "sentences; split it or use fewer alternatives")
            norm = normalize(text)
            if not norm:
                raise IntentFileError(tpl.path, tpl.line, f"{where[2]} can expand to an empty sentence")
            slots = tuple(sorted(dict(slots).items()))
            key = (norm, tpl.intent, slots)
            if key not in seen:
                seen.add(key)
                sentences.append(Sentence(norm, tpl.intent, slots, f"{tpl.path}:{tpl.line}"))
    slot_values = {}
    integer_slots = set()
    for slot, names in expander.slot_lists.items():
        said = {}
        for name in sorted(names):
            for out, expr in expander.lists[name]:
                for text, _ in expander.expand(expr, ("", 0, f"list {name!r}")):
                    if normalize(text):
                        said[normalize(text)] = out
        slot_values[slot] = tuple(said.items())
        if all(isinstance(v, int) and not isinstance(v, bool) for v in said.values()):
            integer_slots.add(slot)
    integer_slots = frozenset(integer_slots)
    return Catalogue(tuple(sentences), tuple(sources), sources, integer_slots, files, slot_values,
                     tuple(phrases.values()))


def ambiguous_sentences(catalogue: Catalogue) -> dict[str, list[Sentence]]:
    """Normalised sentences that two or more intents expand to."""
    by_text: dict[str, list[Sentence]] = {}
    for s in catalogue.sentences:
        by_text.setdefault(s.text, []).append(s)
    return {t: ss for t, ss in by_text.items() if len({s.intent for s in ss}) > 1}
