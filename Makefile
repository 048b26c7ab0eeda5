# Two commands: `make run` sets up and starts the assistant; `make test` sets up and runs every test.
.PHONY: setup run test check bench

setup:
	@scripts/setup.sh

run: setup
	.venv/bin/assistant

test: setup
	.venv/bin/python -m pytest -q

check: setup
	.venv/bin/assistant intents check

bench: setup
	.venv/bin/python -m pip install -q -e ".[bench]"
	.venv/bin/python scripts/bench
