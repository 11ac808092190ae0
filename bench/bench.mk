# Benchmark targets, included by the top-level Makefile (`include bench/bench.mk`). Paths are relative
# to the repository root. See bench/README.md.
#
#   make bench-stats                      # full size (~10 million rows) + the peer comparison
#   make bench-stats BENCH_ARGS=--quick   # ~1 million rows
#   make bench-peer-env                   # only (re)build the peer's virtualenv
#   make bench-startup                    # `gapwatch --help` and `gapwatch stats --help`, median of 5 runs

BENCH_PYTHON ?= .venv/bin/python
BENCH_ARGS ?=
UV ?= $(firstword $(wildcard .venv/bin/uv) uv)
PEER_VENV := bench/.venv-peer

.PHONY: bench-stats bench-peer-env bench-startup

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
