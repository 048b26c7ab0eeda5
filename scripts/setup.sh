#!/usr/bin/env bash
# Idempotent setup on Debian/Ubuntu: system packages (when missing) and a venv in .venv. The default
# recognizer (Moonshine tiny-en) ships in its wheel; the optional Vosk model (--engine vosk) is fetched
# only on request: `.venv/bin/assistant model download` (or `python -m assistant.cli.model --setup`).
# Usage: scripts/setup.sh            (runtime + test dependencies)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(espeak-ng libespeak-ng1 libportaudio2 pulseaudio libasound2-plugins libspeexdsp1 sox python3-venv)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
echo "setup: ready (.venv/bin/assistant)"
