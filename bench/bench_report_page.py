"""Benchmark of the board report web page (issue 15: "the report web page under 1 s"), first view and warm views.

    python bench/bench_report_page.py                        # 3 pages, 10 warm views each, one server process
    python bench/bench_report_page.py --warm 2               # a quick check
    python bench/bench_report_page.py --workers 2 --warm-up-wait 10
    python bench/bench_report_page.py --page forum           # only the Kent Forum's paper (repeat --page for more)
    python bench/bench_report_page.py --demo kent.db         # copy a file already holding the demo (no build)

Builds the Kent demo (`build_demo`, as `gapwatch demo` does, then its workflow: the demo accounts and the open
cycle "2012 H2") in a temporary SQLite file, or copies ``--demo``; adds one board-member account; starts a real
`gapwatch serve --db ... --port <free port>` process on 127.0.0.1 (``--workers``, one by default), waits until
it answers /healthz, then waits ``--warm-up-wait`` seconds (default 5) so that the background warm-up of
gapwatch/web/warmup.py (importing the report builder, starting the chart engine, compiling templates) has
finished, as it would have long before a board member opened a paper. One client signs in through the sign-in
form (CSRF token from the page's ``<meta name="csrf-token">``) and keeps one connection, so every request goes to
the same worker process. Then, page by page, in this order:

* ``forum``: the open cycle's Kent Forum paper, GET /reports/2012%20H2/kent-forum;
* ``thanet``: a locality board's paper, GET /reports/2012%20H2/locality-board-thanet;
* ``forum-annexes``: the Kent Forum's paper with its 12 locality annexes, GET /reports/2012%20H2/kent-forum?annexes=1;

it times the FIRST view (cold: nothing of that page computed yet in the server; what the pages share — the
figures of areas an earlier page already showed, in the server's one cache — is as a real server would have
it after the earlier pages were read) and then ``--warm`` more views (default 10). Wall time is measured at the
client, from sending the request to reading the whole body; the server's CPU time (all its processes) during
the first view is read from /proc, to tell a slow page from a busy machine. Every response must be a 200 with
a complete HTML page (ending ``</html>``), or the run stops with the page and status named.

Target (issue 15): on every page, the first view and the p95 of the warm views under 1,000 ms. Every page is
judged, the annexes page included (13 boards' worth of paper): a miss is printed as FAIL with its figures.
Prints the machine and load average before and after, per page the first-view ms, p50, p95, max and HTML size,
PASS/FAIL per page and overall; exits 0 (``--strict``: exit 1 on FAIL). Percentiles are nearest-rank, as in
bench_web.py. The figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import machine  # noqa: E402
from bench_web import start_server, stop_server  # noqa: E402

from gapwatch.services.accounts import create_user  # noqa: E402
from gapwatch.services.database import open_database  # noqa: E402
from gapwatch.services.demo import build_demo  # noqa: E402
from gapwatch.services.demo_workflow import DEMO_CYCLE, seed_demo_workflow  # noqa: E402
from gapwatch.settings import Settings  # noqa: E402
from gapwatch.store.engine import session_scope  # noqa: E402

__all__ = ["PAGES", "TARGET_MS", "PageFigures", "main", "run"]

TARGET_MS = 1000.0
#: The pages measured, in order: key -> (label, board id, with the locality annexes).
PAGES: dict[str, tuple[str, str, bool]] = {
    "forum": ("Kent Forum", "kent-forum", False),
    "thanet": ("Thanet Locality Board", "locality-board-thanet", False),
    "forum-annexes": ("Kent Forum + annexes", "kent-forum", True),
}
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_USER = "bench-board-member"


@dataclass
class PageFigures:
    """One page's measurements (milliseconds, bytes) and its verdict against the target."""

    key: str
    label: str
    path: str
    first_ms: float
    first_server_cpu_ms: float
    warm_ms: list[float] = field(default_factory=list)
    html_bytes: int = 0

    @property
    def p50_ms(self) -> float:
        return nearest_rank(self.warm_ms, 50)

    @property
    def p95_ms(self) -> float:
        return nearest_rank(self.warm_ms, 95)

    @property
    def max_ms(self) -> float:
        return max(self.warm_ms) if self.warm_ms else float("nan")

    @property
    def passed(self) -> bool:
        """First view and warm p95 both under the target (a page with no warm views is judged on its first)."""
        p95 = self.p95_ms if self.warm_ms else self.first_ms
        return self.first_ms < TARGET_MS and p95 < TARGET_MS


def nearest_rank(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with at least q% of the values at or below it (NaN if none)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def prepare(folder: Path, demo: Path | None = None) -> tuple[Path, str, tuple[str, str]]:
    """The demo database with its open cycle and one board member; returns (db, cycle name, (user, password))."""
    db = folder / "bench-report-page.db"
    if demo is not None:
        shutil.copyfile(demo, db)
    engine = open_database(Settings(database_url=f"sqlite:///{db}"))
    password = secrets.token_urlsafe(12)
    try:
        for line in build_demo(engine) if demo is None else []:
            print(f"  {line}")
        _, steps = seed_demo_workflow(engine)  # the demo accounts and the open cycle, as `gapwatch demo` makes
        for line in steps:
            print(f"  {line}")
        with session_scope(engine) as session:
            create_user(
                session, username=_USER, display_name="Benchmark reader", role="board_member", password=password
            )
    finally:
        engine.dispose()
    return db, DEMO_CYCLE[0], (_USER, password)


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants (uvicorn's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, frontier = 0.0, [pid]
    while frontier:
        current = frontier.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                frontier.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):  # gone meanwhile, or no /proc: counted as nothing
            continue
    return total


def _sign_in(client: httpx.Client, username: str, password: str) -> None:
    page = client.get("/sign-in")
    match = _CSRF.search(page.text)
    if page.status_code != 200 or not match:
        raise SystemExit(f"no CSRF token on the sign-in page (HTTP {page.status_code})")
    done = client.post(
        "/sign-in", data={"username": username, "password": password, "next": "/", "csrf_token": match.group(1)}
    )
    if done.status_code != 303:
        raise SystemExit(f"sign-in of {username} failed: HTTP {done.status_code}")


def _view(client: httpx.Client, path: str) -> tuple[float, int]:
    """One view of ``path``: (wall milliseconds, HTML bytes); anything but a complete 200 page stops the run."""
    began = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: HTTP {response.status_code} (expected 200): {response.text[:300]!r}")
    if not response.text.rstrip().endswith("</html>"):
        raise SystemExit(f"GET {path}: the page is incomplete ({len(response.content):,} bytes, no closing </html>)")
    return elapsed, len(response.content)


def page_path(cycle: str, board: str, annexes: bool) -> str:
    """The report page's address, as the reports list links to it."""
    return f"/reports/{quote(cycle, safe='')}/{quote(board, safe='')}" + ("?annexes=1" if annexes else "")


def run(
    *,
    warm: int = 10,
    pages: list[str] | None = None,
    workers: int = 1,
    warm_up_wait: float = 5.0,
    demo: Path | None = None,
) -> dict[str, Any]:
    """Prepare, serve, measure; returns the figures (``pages``: one :class:`PageFigures` as a dict each, in order,
    with ``p50_ms``, ``p95_ms``, ``max_ms`` and ``passed`` added; ``passed``: every page met the target)."""
    chosen = pages or list(PAGES)
    unknown = [key for key in chosen if key not in PAGES]
    if unknown:
        raise SystemExit(f"unknown page {', '.join(unknown)}: choose from {', '.join(PAGES)}")
    figures: dict[str, Any] = {"machine_before": machine(), "workers": workers, "warm_up_wait_s": warm_up_wait}
    figures["warm_views"] = warm
    with tempfile.TemporaryDirectory(prefix="gapwatch-bench-report-page-") as tmp:
        print("Building the Kent demo …" if demo is None else f"Copying the demo {demo} …")
        db, cycle, account = prepare(Path(tmp), demo)
        figures["cycle"] = cycle
        port = _free_port()
        began = time.perf_counter()
        server = start_server(db, port, workers)
        try:
            figures["server_start_s"] = time.perf_counter() - began
            print(
                f"server answered after {figures['server_start_s']:.1f} s; waiting {warm_up_wait:g} s for its warm-up"
            )
            time.sleep(warm_up_wait)
            measured: list[PageFigures] = []
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)  # one worker serves them all
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300, limits=limits) as client:
                _sign_in(client, *account)
                for key in chosen:
                    label, board, annexes = PAGES[key]
                    path = page_path(cycle, board, annexes)
                    cpu = _tree_cpu_seconds(server.pid)
                    first_ms, size = _view(client, path)
                    page = PageFigures(key, label, path, first_ms, (_tree_cpu_seconds(server.pid) - cpu) * 1000)
                    page.html_bytes = size
                    page.warm_ms = [_view(client, path)[0] for _ in range(warm)]
                    measured.append(page)
        finally:
            stop_server(server)
    figures["pages"] = [
        {**asdict(p), "p50_ms": p.p50_ms, "p95_ms": p.p95_ms, "max_ms": p.max_ms, "passed": p.passed} for p in measured
    ]
    figures["passed"] = all(p.passed for p in measured)
    figures["machine_after"] = machine()
    return figures


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def report(figures: dict[str, Any]) -> None:
    """Print the figures, the verdict per page and overall."""
    print(f"\nmachine before: {figures['machine_before']}")
    print(
        f"cycle {figures['cycle']}, {figures['workers']} server process(es), "
        f"warm-up wait {figures['warm_up_wait_s']:g} s, "
        f"{figures['warm_views']} warm view(s) per page after the first"
    )
    head = f"{'page':<22} {'first ms':>9} {'(server CPU)':>12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'HTML kB':>8}"
    print(head + "  verdict")
    for p in figures["pages"]:
        print(
            f"{p['label']:<22} {p['first_ms']:>9.0f} {p['first_server_cpu_ms']:>12.0f} {p['p50_ms']:>8.0f} "
            f"{p['p95_ms']:>8.0f} {p['max_ms']:>8.0f} {p['html_bytes'] / 1000:>8.0f}  "
            + ("PASS" if p["passed"] else "FAIL")
        )
    print(f"machine after: {figures['machine_after']}")
    missed = [p["label"] for p in figures["pages"] if not p["passed"]]
    print(
        f"target: first view and p95 under {TARGET_MS:,.0f} ms on every page: "
        + ("PASS" if figures["passed"] else f"FAIL ({', '.join(missed)})")
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; 0, or 1 with ``--strict`` when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warm", type=int, default=10, help="warm views per page after the first (default 10)")
    parser.add_argument(
        "--page", action="append", choices=list(PAGES), help="measure only this page (repeatable; default all three)"
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (gapwatch serve --workers)")
    parser.add_argument(
        "--warm-up-wait", type=float, default=5.0, help="seconds to let the server warm up before the first view (5)"
    )
    parser.add_argument("--demo", type=Path, help="copy this SQLite file holding the Kent demo instead of building it")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is not met")
    args = parser.parse_args(argv)
    if args.warm < 0 or args.warm_up_wait < 0:
        parser.error("--warm and --warm-up-wait cannot be negative")
    figures = run(warm=args.warm, pages=args.page, workers=args.workers, warm_up_wait=args.warm_up_wait, demo=args.demo)
    report(figures)
    return 1 if args.strict and not figures["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
