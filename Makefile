# gapwatch: two commands on a fresh machine — `make run` (the Kent demo on SQLite) and `make test`.
# `make run` builds the demo in the database every `gapwatch` command uses without --db: GAPWATCH_DATABASE_URL
# (default sqlite:///gapwatch.db; a PostgreSQL URL works too), so the README's command lines work as printed
# afterwards. `make run DEMO_DB=other.db` builds and serves that SQLite file instead.
# Everything the project needs is installed by these targets: Debian packages (apt-get, when root),
# Python packages from uv.lock, and npm packages from web/package-lock.json.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DB ?=
DB_OPTION = $(if $(DEMO_DB),--db $(DEMO_DB))
APT_PACKAGES := postgresql chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core

# Installed packages are compiled to bytecode once (uv --compile-bytecode), and the tests may write the
# project's own: with PYTHONDONTWRITEBYTECODE set (as some shells and containers do) every test worker and every
# process it starts compiled the same thousands of modules again (~7% of the suite's CPU).
NO_BYTECODE_OFF := env -u PYTHONDONTWRITEBYTECODE

.PHONY: run test install system-deps demo serve lint typecheck clean docs

include bench/bench.mk

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

install: $(BIN)/uv  ## Python packages from the lock file (and the web assets when the web app is present)
	$(BIN)/uv sync --frozen --all-extras --quiet --compile-bytecode
	@if [ -f gapwatch/web/package-lock.json ]; then cd gapwatch/web && npm ci --silent --no-audit --no-fund; fi

system-deps:  ## Debian packages for PostgreSQL, Chromium, PDF rendering (skipped when present or not root)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v npm >/dev/null 2>&1 || echo npm); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Not root: please install $$missing with apt-get"; fi; \
	fi

demo: install
	$(BIN)/gapwatch demo $(DB_OPTION)

run: install demo  ## Build the Kent demo (in GAPWATCH_DATABASE_URL, SQLite by default) and show it
	$(BIN)/gapwatch framework show $(DB_OPTION)
	@if $(BIN)/gapwatch --help | grep -q ' serve '; then $(BIN)/gapwatch serve $(DB_OPTION) --host $(HOST) --port $(PORT); fi

test: system-deps install  ## Lint, types, then the whole suite (two workers, one per core; slowest tests listed): SQLite, PostgreSQL (a throwaway server), browsers
	$(BIN)/ruff check gapwatch tests bench scripts
	$(BIN)/mypy gapwatch/domain gapwatch/stats gapwatch/analysis gapwatch/store gapwatch/services gapwatch/queries
	$(NO_BYTECODE_OFF) bash scripts/with-postgres.sh $(BIN)/python -m pytest -n 2 --dist loadfile --durations=15 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check gapwatch tests bench scripts
	$(BIN)/mypy gapwatch/domain gapwatch/stats gapwatch/analysis gapwatch/store gapwatch/services gapwatch/queries

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(DEMO_DB) test-artifacts

docs: install  ## Regenerate docs/cli.md from the commands' --help
	TERM=dumb COLUMNS=100 $(BIN)/python scripts/gen_cli_docs.py
