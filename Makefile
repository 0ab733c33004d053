# OneStop Hall — the two commands:
#   make run    set everything up and run the whole hall on this machine (Ctrl-C stops it)
#   make test   set everything up and run the whole test suite
# Both are idempotent and quick on the second run.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HALL_HOME ?= var
export HALL_HOME

.PHONY: run test soak bench screenshots setup system-packages venv clips clean help

help:
	@echo "make run | make test | make bench | make soak | make screenshots | make clean"

system-packages:
	@scripts/install-system-packages.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	@touch $@

venv: $(VENV)/.installed

# Voice clips (espeak-ng, voice cmn-latn-pinyin); a hall may drop recorded WAVs of the same names.
$(HALL_HOME)/clips/.generated: | $(VENV)/.installed
	$(BIN)/python -m signage.voice $(HALL_HOME)/clips
	@touch $@

clips: $(HALL_HOME)/clips/.generated

setup: system-packages venv clips

run: setup
	$(BIN)/hall run --traffic

test: setup
	$(BIN)/python -m pytest -q

soak: setup
	$(BIN)/python -m pytest -q -m soak tests/soak

# The pictures in README.md and docs/screenshots/: the tests that take them, writing there.
screenshots: setup
	HALL_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/kiosk/test_app.py \
		tests/catalog/test_browser.py tests/announce/test_browser.py tests/queue/test_console_browser.py
	$(BIN)/python -m signage.morning docs/screenshots

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(HALL_HOME) .pytest_cache
