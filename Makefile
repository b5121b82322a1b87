# One-command entry points. `make run` and `make test` set everything up on a fresh
# machine (a virtualenv in .venv) and then run.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test bench lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q

# The benchmark (not part of the tests): default and 1M data sets, both stores.
bench: install
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
