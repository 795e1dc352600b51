# shadowfleet: `make demo` runs the main job (the simulated DPRK coal case, served), `make test` runs the tests.
# Both create the virtual environment in .venv and install everything on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

WEB := src/shadowfleet/web/index.html
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/package.json \
	frontend/package-lock.json frontend/tsconfig.json frontend/vite.config.ts

.PHONY: demo test lint typecheck unit web bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

# The web application: TypeScript built by Vite into the package (npm ci installs
# exactly the versions of package-lock.json).
$(WEB): $(FRONTEND_SOURCES)
	cd frontend && npm ci --no-audit --no-fund && npm run build
	touch $(WEB)

web: $(WEB)

demo: $(INSTALLED) $(WEB)
	$(BIN)/shadowfleet demo --store shadowfleet-demo

test: lint typecheck unit

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(INSTALLED)
	$(BIN)/mypy --strict src

unit: $(INSTALLED) $(WEB)
	$(BIN)/pytest

bench: $(INSTALLED)
	$(BIN)/python benchmarks/decode.py
	$(BIN)/python benchmarks/simulate.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/encounters.py
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/api.py

clean:
	rm -rf $(VENV) shadowfleet-demo benchmarks/out .pytest_cache .mypy_cache .ruff_cache \
		frontend/node_modules src/shadowfleet/web
