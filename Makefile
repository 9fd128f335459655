# Two commands on a fresh machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[demo,test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pcicheck demo --out out

test: $(STAMP)
	$(BIN)/ruff check pcicheck tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check pcicheck tests bench
	$(BIN)/ruff format --check pcicheck tests bench

bench: $(STAMP)
	$(BIN)/python bench/evaluate.py
	$(BIN)/python bench/k8s_collect.py
	$(BIN)/python bench/segmentation.py

clean:
	rm -rf $(VENV) out build dist *.egg-info
