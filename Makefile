# Two commands on a fresh machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean browser image

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[demo,test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pcicheck demo --out out

# The HTML evidence pack is tested in a real headless Chromium (Debian's chromium + chromium-driver).
# Installed when missing and apt-get can run; otherwise those tests skip, unless CI is set.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver \
	    || echo "make: chromium not installed; the browser tests will skip outside CI"; }

test: $(STAMP) browser lint
	$(BIN)/python -m pytest

# Style, the stage contracts of the import graph (pyproject's [tool.importlinter]) and types (strict mypy).
lint: $(STAMP)
	$(BIN)/ruff check pcicheck tests bench
	$(BIN)/ruff format --check pcicheck tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/evaluate.py
	$(BIN)/python bench/k8s_collect.py
	$(BIN)/python bench/segmentation.py
	$(BIN)/python bench/html_report.py
	$(BIN)/python bench/aws_collect.py
	$(BIN)/python bench/aws_reach.py

# The container image (image/README.md): root, mmdebstrap and umoci needed; OCI layout in build/image.
image: $(STAMP)
	BUILD_PYTHON=$(BIN)/python sh image/build.sh

clean:
	rm -rf $(VENV) out build dist *.egg-info
