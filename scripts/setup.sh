#!/usr/bin/env bash
# Idempotent setup on Debian/Ubuntu: system packages (when missing), a venv in .venv and, on a
# connected machine, the English Vosk model in models/ (once).
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
# The English Vosk model (~40 MB), once: skipped when a model is already found (models/,
# $ASSISTANT_VOSK_MODEL, Vosk's folders) or when ASSISTANT_NO_MODEL_FETCH=1. Offline, or on any
# failure, one line and the assistant uses PocketSphinx; setup still succeeds. Nothing is kept
# from a failed attempt. The assistant itself never uses the network at run time.
.venv/bin/python -m assistant.cli.model --setup || [ $? -ne 130 ] || exit 130
echo "setup: ready (.venv/bin/assistant)"
