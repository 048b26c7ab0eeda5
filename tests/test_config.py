"""The config file: XDG location or --config, every key checked, the command line wins."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import ROOT, run_cli


def xdg(tmp_path, text: str) -> dict:
    folder = tmp_path / "xdg" / "assistant"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(text)
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}


def test_defaults_work_without_any_config_file(tmp_path):
    result = run_cli("ask", "he hit me", env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert result.returncode == 0 and "911" in result.stdout.decode()


def test_region_from_the_config_file_in_the_xdg_folder(tmp_path):
    result = run_cli("ask", "he hit me", env=xdg(tmp_path, "region: uk\n"))
    assert result.returncode == 0, result.stderr
    assert "999" in result.stdout.decode() and "911" not in result.stdout.decode()


def test_a_flag_on_the_command_line_wins_over_the_file(tmp_path):
    result = run_cli("ask", "he hit me", "--region", "us", env=xdg(tmp_path, "region: uk\n"))
    assert "911" in result.stdout.decode()


def test_config_option_names_another_file_and_relative_paths_are_from_its_folder(tmp_path):
    shutil.copytree(ROOT / "intents", tmp_path / "mine" / "intents")
    (tmp_path / "mine" / "intents" / "extra.yaml").write_text(
        'language: en\nintents:\n  take_break:\n    sentences:\n      - "purple elephant"\n')
    shutil.copytree(ROOT / "content", tmp_path / "mine" / "content")
    (tmp_path / "mine" / "settings.yaml").write_text("intents: intents\ncontent: ./content\nthreshold: 70\n")
    result = run_cli("ask", "--json", "purple elephant", "--config", str(tmp_path / "mine" / "settings.yaml"))
    assert result.returncode == 2 and "take_break" in result.stderr.decode()  # two files define take_break
    (tmp_path / "mine" / "intents" / "extra.yaml").unlink()
    result = run_cli("--config", str(tmp_path / "mine" / "settings.yaml"), "ask", "i need a break", "--json")
    assert result.returncode == 0 and '"take_break"' in result.stdout.decode()


@pytest.mark.parametrize("text, line, words", [
    ("rate: 150\nrat: 3\n", 2, "unknown key 'rat'"),
    ("rate: fast\n", 1, "rate must be a whole number from 60 to 400, got 'fast'"),
    ("volume: 2\n", 1, "volume must be a number from 0 to 1"),
    ("engine: whisper\n", 1, "engine must be one of moonshine, vosk, pocketsphinx"),
    ("barge-in: maybe\n", 1, "barge-in must be true or false"),
    ("region: [uk\n", 2, "invalid YAML"),
    ("- rate: 150\n", 1, "the config file must be a mapping"),
    ("rate: 150\nrate: 160\n", 2, "duplicate key 'rate'"),
    ("unprompted-distress-threshold: 120\n", 1, "unprompted-distress-threshold must be a number from 0 to 100"),
])
def test_bad_config_is_one_line_naming_file_and_line(tmp_path, text, line, words):
    result = run_cli("ask", "hello", env=xdg(tmp_path, text))
    err = result.stderr.decode()
    assert result.returncode == 2 and len(err.splitlines()) == 1, err
    assert f"config.yaml:{line}: " in err and words in err and "Traceback" not in err


def test_missing_config_named_on_the_command_line_is_an_error(tmp_path):
    result = run_cli("--config", str(tmp_path / "nope.yaml"), "ask", "hello")
    assert result.returncode == 2 and "nope.yaml: file not found" in result.stderr.decode()
