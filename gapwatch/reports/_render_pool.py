"""Draw many charts at once: vl-convert in helper processes, so a large report uses every core.

vl-convert runs Vega in one embedded JavaScript runtime per process, and threads only queue behind it
(measured: two threads were slower than one). For a large batch the charts are split between this
process and ``cores - 1`` helper processes. A helper is a bare ``python -c`` that imports nothing but
vl-convert and reads JSON specifications on standard input (not ``multiprocessing``, whose spawned
children re-import the caller's ``__main__`` — seconds for a CLI or a web server — and which cannot
start from every ``__main__``). Small batches are drawn in-process: a helper costs ~0.4 s to start.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["MIN_PARALLEL", "draw_many"]

#: Below this many charts, drawing in-process is quicker than starting helpers.
MIN_PARALLEL = 30

_HELPER = """
import base64, json, sys
import vl_convert
jobs = json.load(sys.stdin)
out = []
for kind, spec, scale in jobs:
    if kind == "svg":
        out.append(vl_convert.vegalite_to_svg(spec))
    else:
        out.append(base64.b64encode(vl_convert.vegalite_to_png(spec, scale=scale)).decode("ascii"))
json.dump(out, sys.stdout)
"""


def _draw_here(jobs: Sequence[tuple[str, dict[str, Any], float]]) -> list[str | bytes]:
    import vl_convert  # noqa: PLC0415 - an optional dependency (the "reports" extra)

    out: list[str | bytes] = []
    for kind, spec, scale in jobs:
        out.append(vl_convert.vegalite_to_svg(spec) if kind == "svg" else vl_convert.vegalite_to_png(spec, scale=scale))
    return out


def _draw_in_helper(jobs: Sequence[tuple[str, dict[str, Any], float]]) -> list[str | bytes]:
    done = subprocess.run(
        [sys.executable, "-c", _HELPER],
        input=json.dumps(jobs).encode("utf-8"),
        capture_output=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode("utf-8", "replace")[-2000:])
    drawn: list[str] = json.loads(done.stdout)
    return [d if kind == "svg" else base64.b64decode(d) for (kind, _, _), d in zip(jobs, drawn, strict=True)]


def draw_many(
    specs: Sequence[dict[str, Any]], kind: str, *, scale: float = 1.0, workers: int | None = None
) -> list[str | bytes]:
    """Each Vega-Lite spec drawn as ``kind`` ("svg" or "png"), in order.

    ``workers`` is the number of processes drawing (this one included); by default one per core, at
    most four. A helper that fails leaves its share to be drawn here, so the result never depends on it.
    """
    jobs = [(kind, spec, scale) for spec in specs]
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(jobs) < MIN_PARALLEL:
        return _draw_here(jobs)
    shares = [jobs[i::workers] for i in range(workers)]
    results: list[list[str | bytes]] = [[] for _ in shares]
    with ThreadPoolExecutor(max_workers=workers - 1) as pool:
        helpers = [pool.submit(_draw_in_helper, share) for share in shares[1:]]
        results[0] = _draw_here(shares[0])
        for i, future in enumerate(helpers, start=1):
            try:
                results[i] = future.result()
            except (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError):
                results[i] = _draw_here(shares[i])
    out: list[str | bytes] = [""] * len(jobs)
    for i, share in enumerate(results):
        out[i::workers] = share
    return out
