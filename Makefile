# `make serve` and `make test` each create .venv when missing and install the project into it.
VENV := .venv
PY := $(VENV)/bin/python
SERVE_STAMP := $(VENV)/.serve-stamp
TEST_STAMP := $(VENV)/.test-stamp
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: serve test lint format bench chromium clean

# serving needs the package alone; the tests add the test extra (Ray, pytest, Playwright, mypy)
$(SERVE_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) -e .
	touch $(SERVE_STAMP)

$(TEST_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) -e '.[test]'
	touch $(SERVE_STAMP) $(TEST_STAMP)

# ARGS go to `lossboard serve`: make serve ARGS="--port 9000"
serve: $(SERVE_STAMP)
	$(VENV)/bin/lossboard serve $(ARGS)

# The browser tests drive Debian's Chromium (with a CJK font for the tutorial's headings);
# CI runs as root, so install them when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wqy || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei; }

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint Dockerfile

format: $(TEST_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: $(TEST_STAMP) chromium lint
	$(VENV)/bin/pytest

bench: $(TEST_STAMP)
	$(PY) bench/engine.py
	$(PY) bench/stream.py
	$(PY) bench/losses.py
	$(PY) bench/playground.py
	$(PY) bench/sweep_page.py
	$(PY) bench/abuse.py
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(PY) bench/cluster.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache .mypy_cache dist
