"""The commands as a user or another tool runs them."""

from __future__ import annotations

import json
import shutil

from tests.conftest import ROOT, run_cli


def test_ask_json_is_one_object_with_the_contract_keys():
    result = run_cli("ask", "explain step three", "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert set(obj) == {"intent", "score", "slots", "response"}
    assert obj["intent"] == "explain_step" and obj["slots"] == {"step": 3}
    assert 0 <= obj["score"] <= 100 and obj["response"]
    assert "[pause" not in obj["response"]


def test_ask_plain_prints_the_spoken_answer():
    result = run_cli("ask", "help me apologize")
    assert result.returncode == 0
    assert result.stdout.decode().strip() and "{" not in result.stdout.decode()


def test_ask_stdin_answers_each_line_as_a_fresh_session():
    lines = ["i need a break", "next", "", "x" * 10_000, "explain step 13"]
    result = run_cli("ask", "--json", "-", stdin="\n".join(lines).encode() + b"\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [o["intent"] for o in out] == ["take_break", "next", None, None, "explain_step"]
    # "next" in a fresh session has nothing to go on to, so it does not read step one
    assert out[4]["slots"] == {"step": 13}


def test_ask_stdin_survives_non_utf8_bytes():
    result = run_cli("ask", "--json", "-", stdin=b"i need a break\n\xff\xfe\xfd\nhelp me apologize\n")
    assert result.returncode == 0
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [o["intent"] for o in out] == ["take_break", None, "apologize"]
    assert "line 2 is not valid UTF-8" in result.stderr.decode()


def test_chat_keeps_state_between_turns_and_ends_on_goodbye():
    result = run_cli("chat", stdin=b"explain step three\nnext\nrepeat\nstop\ngoodbye\nnever read\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode().splitlines()
    assert len(out) == 6  # greeting + five replies; nothing after goodbye
    assert out[2] == out[3]  # repeat says step four again


def test_chat_ends_cleanly_at_end_of_input():
    result = run_cli("chat", stdin=b"")
    assert result.returncode == 0 and result.stdout.strip()


def test_bad_option_values_are_one_line_errors():
    result = run_cli("ask", "hi", "--region", "mars")
    assert result.returncode == 2
    assert "--region 'mars'" in result.stderr.decode() and "Traceback" not in result.stderr.decode()
    result = run_cli("ask", "hi", "--threshold", "150")
    assert result.returncode == 2 and "Traceback" not in result.stderr.decode()


def test_intents_check_passes_on_shipped_data():
    result = run_cli("intents", "check")
    assert result.returncode == 0, result.stdout.decode()
    assert "no problems" in result.stdout.decode()


def test_intents_check_reports_conflicts_and_orphans(tmp_path):
    intents, content = tmp_path / "intents", tmp_path / "content"
    shutil.copytree(ROOT / "intents", intents)
    shutil.copytree(ROOT / "content", content)
    (intents / "extra.yaml").write_text(
        "intents:\n  orphan_intent:\n    sentences: [\"i need a break\", \"tell me about quokkas\"]\n")
    walk = content / "walkthroughs.yaml"
    walk.write_text(walk.read_text().replace("topics:", "topics:\n  unheard_of:\n    title: X\n    parts: [Hello.]", 1))
    result = run_cli("intents", "check", "--intents", str(intents), "--content", str(content))
    out = result.stdout.decode()
    assert result.returncode == 1, out
    assert "'i need a break' appears in two intents" in out
    assert "intent 'orphan_intent'" in out and "has no content" in out
    assert "content key 'unheard_of'" in out and "has no intent" in out


def test_help_tells_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for word in ("ask", "chat", "intents"):
        assert word in result.stdout.decode()
