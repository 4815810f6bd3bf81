# Two commands set everything up on a fresh machine: `make run` and `make test`.
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT  ?= 8501

.PHONY: run test bench lint format system

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# What the tests need from Debian: chromium for the browser tests (Playwright cannot download a
# browser here), fonts-noto-cjk so screenshots show Chinese, and the PostgreSQL server that the
# tests start themselves on a free local port (tests/services.py) and stop afterwards, and
# redis-server, the broker of the batch queue, which the tests start the same way.
system:
	@{ command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ] \
	   && ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1; } \
	|| { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk postgresql redis-server; }

run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

test: $(STAMP) system
	$(PY) -m pytest

bench: $(STAMP) system
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
