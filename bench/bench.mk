# Benchmark targets, included by the top-level Makefile (`include bench/bench.mk`). Paths are relative
# to the repository root. See bench/README.md.
#
#   make bench-stats                      # full size (~10 million rows) + the peer comparison
#   make bench-stats BENCH_ARGS=--quick   # ~1 million rows
#   make bench-peer-env                   # only (re)build the peer's virtualenv
#   make bench-startup                    # `gapwatch --help` and `gapwatch stats --help`, median of 5 runs
#   make bench-cli                        # `gapwatch stats proportion` on 2 million CSV rows, end to end, + the peer
#   make bench-suite                      # time the fast test suite, list the 15 slowest tests
#   make bench-trends                     # recent trends of 990,000 series against the pre-speed-up version
#   make bench-report-page                # the report web page: first and warm views of three papers, served

BENCH_PYTHON ?= .venv/bin/python
BENCH_ARGS ?=
UV ?= $(firstword $(wildcard .venv/bin/uv) uv)
PEER_VENV := bench/.venv-peer

.PHONY: bench-stats bench-peer-env bench-startup bench-cli bench-suite bench-trends bench-report-page

# PHStatsMethods (GPL-3) goes into its own virtualenv, never into gapwatch's: the benchmark runs it in a
# subprocess with this venv's python. Rebuilt when bench/peer_requirements.txt changes.
bench-peer-env: $(PEER_VENV)/.installed

$(PEER_VENV)/.installed: bench/peer_requirements.txt
	$(UV) venv --quiet --allow-existing --python 3.11 $(PEER_VENV)
	$(UV) pip install --quiet --python $(PEER_VENV)/bin/python -r bench/peer_requirements.txt
	touch $@

bench-stats: bench-peer-env
	$(BENCH_PYTHON) bench/bench_stats.py $(BENCH_ARGS)

bench-startup:
	$(BENCH_PYTHON) bench/bench_startup.py $(BENCH_ARGS)

# The peer is measured when its venv exists; `make bench-peer-env` first to include it.
bench-cli:
	$(BENCH_PYTHON) bench/bench_cli.py $(BENCH_ARGS)

bench-suite:
	$(BENCH_PYTHON) bench/bench_suite.py $(BENCH_ARGS)

bench-trends:
	$(BENCH_PYTHON) bench/bench_trends.py $(BENCH_ARGS)

bench-report-page:
	$(BENCH_PYTHON) bench/bench_report_page.py $(BENCH_ARGS)
