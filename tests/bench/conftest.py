"""Shared by the benchmark smoke tests: loading a script from bench/ as a module.

The scripts in bench/ are run as files (``python bench/bench_x.py``), not imported as a package, so the
smoke tests load them by path; each script puts bench/ on ``sys.path`` itself for its own helpers
(``generate``, ``_timing``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load_bench(name: str) -> ModuleType:
    """The script ``bench/<name>.py`` as a module (loaded once per test session, then reused)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec and spec.loader, f"no benchmark script {name}.py in {BENCH}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
