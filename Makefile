# Two commands for a fresh machine with Python >= 3.11:
#   make demo   set up .venv and run the example case
#   make test   set up .venv and run lint, type checks, the whole test suite and the notebooks
#               (what CI runs)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CASE ?= cases/housing_first.toml
# make test executes the notebooks with small samples (their defaults are 20.000 draws)
NB_SMALL := SOM_MC_NB_DRAWS=2000 SOM_MC_NB_SOBOL_BASE=512

.PHONY: setup demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/som-mc run $(CASE) --draws 20000 --seed 1

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest
	$(NB_SMALL) $(BIN)/python -m pytest --nbmake --nbmake-timeout=300 notebooks

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
