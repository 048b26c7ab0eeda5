"""Bad intent and content files: one line naming file, line and problem; exit 2; no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.errors import ContentFileError, IntentFileError
from assistant.understanding.intents import load_catalogue
from tests.conftest import ROOT, run_cli

GOOD = """\
language: en
intents:
  take_break:
    sentences:
      - "(i need|give me) [a] <break>"
      - "do [some] {pattern} breathing"
lists:
  pattern:
    values:
      - in: "(four seven eight|4 7 8)"
        out: "4-7-8"
expansion_rules:
  break: "(break|pause)"
"""


def _write(tmp_path: Path, text: str | bytes, name: str = "a.yaml") -> Path:
    d = tmp_path / "intents"
    d.mkdir(exist_ok=True)
    (d / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return d


def test_good_file_expands_with_slots(tmp_path):
    cat = load_catalogue(_write(tmp_path, GOOD))
    texts = {s.text: dict(s.slots) for s in cat.sentences}
    assert texts["give me a pause"] == {}
    assert texts["do some four seven eight breathing"] == {"pattern": "4-7-8"}
    assert len(texts) == 10


@pytest.mark.parametrize("bad, line, words", [
    (GOOD.replace("    sentences:", "    sentence:", 1), 4, "unknown key 'sentence'"),
    (GOOD.replace('"(i need|give me) [a] <break>"', '"(i need|give me [a] <break>"'), 5, "cannot parse template"),
    (GOOD.replace("{pattern}", "{patern}"), 6, "unknown list {patern}"),
    (GOOD.replace("<break>", "<brake>"), 5, "unknown expansion rule <brake>"),
    (GOOD.replace("        out: \"4-7-8\"\n", ""), 10, "missing required key 'out'"),
    (GOOD + "intents:\n  x: {sentences: [a]}\n", 14, "duplicate key 'intents'"),
    (GOOD.replace("  take_break:", "  Take Break:"), 3, "must be lowercase"),
    (GOOD.replace("      - \"do [some]", "      - [\"do [some]"), 7, "invalid YAML"),
    (GOOD.replace('"(i need|give me) [a] <break>"', '"[please]"'), 5, "empty sentence"),
    ("intents:\n  a:\n    sentences: []\n", 3, "is empty"),
    ("- just\n- a list\n", 1, "must be a mapping"),
])
def test_bad_intent_file_is_named_with_its_line(tmp_path, bad, line, words):
    d = _write(tmp_path, bad)
    with pytest.raises(IntentFileError) as exc:
        load_catalogue(d)
    message = str(exc.value)
    assert message.startswith(f"{d / 'a.yaml'}:{line}: "), message
    assert words in message
    assert "\n" not in message


def test_template_naming_the_intent_and_the_text(tmp_path):
    d = _write(tmp_path, GOOD.replace("{pattern}", "{patern}"))
    with pytest.raises(IntentFileError) as exc:
        load_catalogue(d)
    assert "take_break" in str(exc.value) and "do [some] {patern} breathing" in str(exc.value)


def test_non_utf8_file_is_reported(tmp_path):
    d = _write(tmp_path, GOOD.encode() + b"# caf\xe9\n")
    with pytest.raises(IntentFileError, match=r"a\.yaml:14: not valid UTF-8"):
        load_catalogue(d)


def test_same_intent_in_two_files_is_rejected(tmp_path):
    _write(tmp_path, GOOD)
    d = _write(tmp_path, "intents:\n  take_break:\n    sentences: [a pause]\n", "b.yaml")
    with pytest.raises(IntentFileError, match="already defined"):
        load_catalogue(d)


def test_runaway_template_is_rejected(tmp_path):
    alt = "(" + "|".join(f"w{i}" for i in range(30)) + ")"
    d = _write(tmp_path, f"intents:\n  x:\n    sentences:\n      - \"{alt} {alt} {alt}\"\n")
    with pytest.raises(IntentFileError, match="expands to more than"):
        load_catalogue(d)


def _copy_data(tmp_path: Path) -> tuple[Path, Path]:
    intents, content = tmp_path / "intents", tmp_path / "content"
    shutil.copytree(ROOT / "intents", intents)
    shutil.copytree(ROOT / "content", content)
    return intents, content


def test_cli_reports_bad_yaml_in_one_line_with_exit_2(tmp_path):
    intents, content = _copy_data(tmp_path)
    path = next(iter(sorted(intents.glob("*.yaml"))))
    path.write_text(path.read_text() + "\nbogus: [\n")
    result = run_cli("ask", "i need a break", "--intents", str(intents), "--content", str(content))
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err and "invalid YAML" in err


def test_cli_reports_missing_content_file(tmp_path):
    intents, content = _copy_data(tmp_path)
    (content / "safety.yaml").unlink()
    result = run_cli("ask", "hello", "--intents", str(intents), "--content", str(content))
    assert result.returncode == 2
    assert f"{content / 'safety.yaml'}: file not found" in result.stderr.decode()


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace("parts:", "partz:", 1), "unknown key 'partz'"),
    (lambda t: t.replace("number: 2", "number: 3", 1), "must be numbered"),
    (lambda t: t.replace("parts:", "parts: [pause 1] oops\n  x:", 1), ""),
])
def test_bad_guide_is_named_with_its_line(tmp_path, edit, words):
    intents, content = _copy_data(tmp_path)
    guide = content / "guide.yaml"
    guide.write_text(edit(guide.read_text()))
    from assistant.dialogue.content import load_content
    with pytest.raises(ContentFileError) as exc:
        load_content(content)
    assert str(exc.value).startswith(f"{guide}:"), exc.value
    assert words in str(exc.value)


def test_unknown_pause_mark_is_rejected(tmp_path):
    intents, content = _copy_data(tmp_path)
    dialogue = content / "dialogue.yaml"
    text = dialogue.read_text()
    dialogue.write_text(text.replace("responses:", "responses:\n  extra_line: \"Wait [pawse 2] here\"", 1))
    from assistant.dialogue.content import load_content
    with pytest.raises(ContentFileError, match=r"dialogue\.yaml:2: .*'\[pawse 2\]' is not a pause mark"):
        load_content(content)


def test_a_reply_to_stop_that_would_stop_itself_is_rejected_with_its_line(tmp_path):
    # said just after a stop heard over its voice, "I've stopped" came back through the
    # microphone as "okay i stop": it stopped itself and said it again, five times in a row
    intents, content = _copy_data(tmp_path)
    dialogue = content / "dialogue.yaml"
    lines = dialogue.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  stop:"))
    lines[at] = '  stop: "Okay. I\'ve stopped."'
    dialogue.write_text("\n".join(lines) + "\n")
    from assistant.dialogue.content import load_content
    with pytest.raises(ContentFileError, match=rf"dialogue\.yaml:{at + 1}: response 'stop' says 'stop'"):
        load_content(content)
    result = run_cli("ask", "stop", "--intents", str(intents), "--content", str(content))
    assert result.returncode == 2 and result.stderr.decode().count("\n") == 1


def test_phrases_and_exceptions_load_from_templates(tmp_path):
    d = _write(tmp_path, GOOD.replace('''      - "do [some] {pattern} breathing"''', '''      - "do [some] {pattern} breathing"
    phrases:
      - "(i am|i'm) (flooded|overwhelmed)"
    except:
      - "flooded basement"'''))
    cat = load_catalogue(d)
    got = {(p.text, p.exception) for p in cat.phrases}
    assert got == {("i am flooded", False), ("i am overwhelmed", False), ("flooded basement", True)}


def test_except_without_phrases_is_rejected(tmp_path):
    d = _write(tmp_path, GOOD.replace('''      - "do [some] {pattern} breathing"''', '''      - "do [some] {pattern} breathing"
    except:
      - "flooded basement"'''))
    with pytest.raises(IntentFileError, match=r"a\.yaml:7: intent 'take_break' has 'except' but no 'phrases'"):
        load_catalogue(d)


def test_gapped_phrase_keeps_its_parts(tmp_path):
    d = _write(tmp_path, GOOD.replace('''      - "do [some] {pattern} breathing"''', '''      - "do [some] {pattern} breathing"
    phrases:
      - "(too|so) ... (flooded|overwhelmed)"'''))
    (phrase,) = load_catalogue(d).phrases
    assert phrase.groups == (frozenset({"too", "so"}), frozenset({"flooded", "overwhelmed"}))


@pytest.mark.parametrize("text", ["... flooded", "flooded ...", "too ... ... flooded"])
def test_gap_without_words_on_both_sides_is_rejected(tmp_path, text):
    d = _write(tmp_path, GOOD.replace('''      - "do [some] {pattern} breathing"''', f'''      - "do [some] {{pattern}} breathing"
    phrases:
      - "{text}"'''))
    with pytest.raises(IntentFileError, match=r"a\.yaml:8: intent 'take_break'.*'\.\.\.' needs words on both sides"):
        load_catalogue(d)
