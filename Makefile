# Everything runs inside a private virtualenv that the first target builds.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Empty: mockserver serve's own defaults (127.0.0.1, port 8000); set either to change it.
HOST ?=
PORT ?=
ARGS ?=

.PHONY: setup serve test check bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/mockserver serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT)) $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

bench: $(STAMP)
	sh scripts/bench-tools.sh
	$(BIN)/mockserver bench $(ARGS)

check: $(STAMP)
	$(BIN)/mockserver check

clean:
	rm -rf $(VENV) .bench-tools .pytest_cache .hypothesis build dist *.egg-info
