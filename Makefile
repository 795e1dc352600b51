# shadowfleet: `make demo` runs the main job on the bundled data, `make test` runs the tests.
# Both create the virtual environment in .venv and install everything on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/shadowfleet demo --store shadowfleet-demo

test: lint typecheck unit

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(INSTALLED)
	$(BIN)/mypy --strict src

unit: $(INSTALLED)
	$(BIN)/pytest

bench: $(INSTALLED)
	$(BIN)/python benchmarks/decode.py
	$(BIN)/python benchmarks/simulate.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/encounters.py
	$(BIN)/python benchmarks/accuracy.py

clean:
	rm -rf $(VENV) shadowfleet-demo benchmarks/out .pytest_cache .mypy_cache .ruff_cache
