"""`assistant service install|remove` (issue 25): the voice loop at login as a systemd user unit that
restarts on failure, logs to the journal and keeps nothing said. Real files and the real systemd
tools; a fake `systemctl` only injects the fault of a session without a user bus."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def assistant(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def home(tmp_path):
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path))
    return env, tmp_path / "config" / "systemd" / "user" / "couples-coach.service"


def test_install_writes_a_unit_that_starts_listen_restarts_on_failure_and_keeps_nothing(home):
    env, unit = home
    done = assistant("service", "install", "--no-start", "--", "--silence", "1.0", env=env)
    assert done.returncode == 0, done.stderr
    assert f"wrote {unit}" in done.stdout and "systemctl --user enable --now couples-coach.service" in done.stdout
    text = unit.read_text()
    assert "Restart=on-failure" in text and "WantedBy=default.target" in text and "StandardInput=null" in text
    assert "--events" not in text and "--transcript" not in text
    exec_start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    command = shlex.split(exec_start.removeprefix("ExecStart="))
    assert command[1:] == ["-m", "assistant", "listen", "--silence", "1.0"]
    ran = subprocess.run([*command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0 and "listen" in ran.stdout  # the command it runs is real
    if shutil.which("systemd-analyze"):
        verified = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
        assert verified.returncode == 0, verified.stderr


@pytest.mark.parametrize("options", [("--transcript", "/tmp/said.txt"), ("--events=/tmp/e.jsonl",)])
def test_a_service_refuses_to_keep_what_was_said(home, options):
    env, unit = home
    done = assistant("service", "install", "--no-start", "--", *options, env=env)
    assert done.returncode == 2 and "keeps nothing said" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not unit.exists()


def test_a_listen_option_that_does_not_exist_is_refused_before_anything_is_written(home):
    env, unit = home
    done = assistant("service", "install", "--no-start", "--", "--no-such-option", env=env)
    assert done.returncode == 2 and "--no-such-option" in done.stderr and "Traceback" not in done.stderr
    assert not unit.exists()


def test_without_a_user_session_the_unit_is_kept_and_one_line_says_how_to_start_it(home, tmp_path):
    env, unit = home
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"  # fault injection: no user bus, as on a server or in a container
    fake.write_text("#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n")
    fake.chmod(0o755)
    env = dict(env, PATH=f"{bin_dir}:{env['PATH']}")
    done = assistant("service", "install", env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Failed to connect to bus" in lines[0] and "enable --now" in lines[0]
    assert unit.exists()
    removed = assistant("service", "remove", env=env)
    assert removed.returncode == 0 and not unit.exists()
    again = assistant("service", "remove", env=env)
    assert again.returncode == 0 and "no service to remove" in again.stdout
