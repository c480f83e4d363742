# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find Python >= 3.12 even in a bare shell (pyenv shims may point at 3.11).
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 \
	$$HOME/.pyenv/versions/3.12*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9] python3; do \
	if [ -x "$$(command -v $$p 2>/dev/null)" ] && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3,12) else 1)' >/dev/null 2>&1; then \
	command -v $$p; break; fi; done)

.PHONY: demo test test-slow lint venv clean bench docs gallery validate app app-setup

$(STAMP): pyproject.toml Makefile
	@if [ -z "$(PYTHON)" ]; then echo "error: Python >= 3.12 not found (tried python3.13, python3.12, ~/.pyenv/versions/3.1[23]*); install one or run 'make PYTHON=/path/to/python3.12'" >&2; exit 2; fi
	@echo "using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) (log: $(VENV)/install.log) ..."
	@$(PY) -m pip install --upgrade pip > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@$(PY) -m pip install -e '.[dev,ema]' >> $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	touch $(STAMP)

venv: $(STAMP)

# The classroom app and its browser test: Debian's chromium and npm (apt-get, as root), then the
# app's front-end assets from the npm registry into build/solara-assets, so the app runs offline.
APP_STAMP := build/solara-assets/.complete
$(APP_STAMP): $(STAMP) scripts/install_browser.sh scripts/fetch_solara_assets.py simulation/viz/app_assets.py
	PY=$(PY) bash scripts/install_browser.sh
	$(PY) scripts/fetch_solara_assets.py --check
	touch $(APP_STAMP)

app-setup: $(APP_STAMP)

app: $(APP_STAMP)
	$(VENV)/bin/joint-sanctions app

demo: $(STAMP)
	$(VENV)/bin/joint-sanctions run scenarios/baseline.toml

test: $(STAMP) $(APP_STAMP)
	$(VENV)/bin/ruff check simulation tests benchmarks scripts
	# Two workers: one per core (tests that start their own processes still pass; about 4.5 min).
	$(VENV)/bin/python -m pytest -n 2

# Checks too slow for `make test` (long validation and calibration runs).
test-slow: $(STAMP)
	$(VENV)/bin/python -m pytest -n 2 -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check simulation tests benchmarks scripts

docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

gallery: $(STAMP)
	$(PY) scripts/make_gallery.py

bench: $(STAMP)
	$(PY) benchmarks/scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
