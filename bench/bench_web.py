"""Load benchmark of the web app (issue 6): the dashboard and an indicator page, 50 concurrent users.

    python bench/bench_web.py                         # 50 users, 60 s, ~1 s think time between pages
    python bench/bench_web.py --think 0               # no think time: every user fires back to back
    python bench/bench_web.py --users 5 --seconds 5   # a smoke run
    python bench/bench_web.py --public-data ../shared/data   # the real-data demo (LSOA-level indicators)

Builds the Kent demo (`build_demo`) in a fresh SQLite file with one board-member account per simulated user,
starts `gapwatch serve` on 127.0.0.1 in its own process (as `make run` does), signs every user in through
the sign-in form, then for a bounded time each user alternately opens /dashboard and /indicators/<id>
(the indicator with the most observations), waiting a random think time between pages (uniform between
0.5x and 1.5x ``--think``, seeded). Every response must be a 200 with a complete HTML page, or it counts
as an error. Prints the figures per page (count, p50, p95, p99, max), throughput, errors and the server
process's CPU use, then PASS/FAIL for the target: p95 under 200 ms and no errors. Exits 0 (``--strict``:
exit 1 on FAIL). The figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text

from gapwatch.services.accounts import create_user
from gapwatch.services.database import open_database
from gapwatch.services.demo import build_demo
from gapwatch.services.frameworks import stored_framework
from gapwatch.settings import Settings
from gapwatch.store.engine import session_scope

__all__ = ["Sample", "main", "run"]

TARGET_P95_MS = 200.0
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class Sample:
    page: str
    seconds: float
    ok: bool


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    server_cpu_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _busiest_indicator(settings: Settings) -> str:
    """The indicator with the most observations (the heaviest indicator page); else the first one."""
    engine = open_database(settings)
    try:
        with engine.connect() as conn:
            try:
                row = conn.execute(
                    text(
                        "SELECT s.indicator_id, COUNT(*) AS n FROM observations o "
                        "JOIN observation_series s ON s.pk = o.series_pk GROUP BY s.indicator_id "
                        "ORDER BY n DESC LIMIT 1"
                    )
                ).first()
            except Exception:  # the data tables may not exist in this version
                row = None
        if row is not None:
            return str(row[0])
        return stored_framework(engine).indicators[0].id
    finally:
        engine.dispose()


def prepare(
    folder: Path, users: int, public_data: Path | None = None, demo: Path | None = None
) -> tuple[Path, list[tuple[str, str]], str]:
    """The demo database (with the real public files of ``public_data`` when given; a copy of ``demo``, a file
    already holding the demo, when given) and ``users`` board members; returns (db, [(username, password)],
    indicator id)."""
    db = folder / "bench-web.db"
    if demo is not None:
        shutil.copyfile(demo, db)
    settings = Settings(database_url=f"sqlite:///{db}")
    engine = open_database(settings)
    try:
        for line in build_demo(engine, public_data=public_data) if demo is None else []:
            print(f"  {line}")
        accounts = [(f"bench{i:03d}", secrets.token_urlsafe(12)) for i in range(users)]
        with session_scope(engine) as session:
            for username, password in accounts:
                create_user(session, username=username, display_name=username, role="board_member", password=password)
    finally:
        engine.dispose()
    return db, accounts, _busiest_indicator(settings)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (the uvicorn workers), from /proc, in seconds."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent and child not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(p, 0.0) for p in tree)


def start_server(db: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """`gapwatch serve` in its own process, quiet (no access log), with a fixed secret for the run."""
    env = dict(os.environ, GAPWATCH_SECRET_KEY=secrets.token_urlsafe(32), GAPWATCH_LOG_LEVEL="warning")
    command = [
        sys.executable,
        "-c",
        # `gapwatch serve`, without loading every other command of the CLI
        "import typer; from gapwatch.cli.serve import serve_command; typer.run(serve_command)",
        "--db",
        str(db),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 180  # worker processes import the whole app: slow on a busy machine
    with httpx.Client(timeout=1) as poll:  # one client: each new one builds an SSL context (~50 ms of CPU)
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with code {server.returncode}")
            try:
                if poll.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    return server
            except httpx.HTTPError:
                time.sleep(0.2)
    stop_server(server)
    raise SystemExit("the server did not start within 180 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, so that uvicorn's parent stops its workers too; SIGKILL only if it will not stop."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


async def _sign_in(client: httpx.AsyncClient, username: str, password: str) -> None:
    page = await client.get("/sign-in")
    match = _CSRF.search(page.text)
    if not match:
        raise SystemExit("no CSRF token on the sign-in page")
    response = await client.post(
        "/sign-in", data={"username": username, "password": password, "next": "/", "csrf_token": match.group(1)}
    )
    if response.status_code != 303:
        raise SystemExit(f"sign-in of {username} failed: {response.status_code}")


def _percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (the smallest value with at least q% of the values at or below it)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))  # nearest rank
    return ordered[index]


def report(results: Results, pages: list[str], users: int, think: float, workers: int = 1) -> bool:
    """Print the figures; return whether the target is met."""
    print(
        f"\n{users} users, {results.elapsed:.0f} s window, think time ~{think:g} s, {workers} server process(es), "
        f"{os.cpu_count()} CPU cores"
    )
    print(f"{'page':<40} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    passed = True
    for page in [*pages, "all"]:
        chosen = [s for s in results.samples if page == "all" or s.page == page]
        ms = [s.seconds * 1000 for s in chosen]
        errors = sum(not s.ok for s in chosen)
        p95 = _percentile(ms, 95)
        print(
            f"{page:<40} {len(chosen):>9} {_percentile(ms, 50):>8.1f} {p95:>8.1f} {_percentile(ms, 99):>8.1f} "
            f"{max(ms) if ms else float('nan'):>8.1f} {errors:>7}"
        )
        if page == "all":
            passed = bool(chosen) and p95 < TARGET_P95_MS and errors == 0
    total = len(results.samples)
    print(
        f"throughput: {total / results.elapsed:.1f} requests/s; server CPU: "
        f"{results.server_cpu_seconds:.1f} s ({100 * results.server_cpu_seconds / results.elapsed:.0f}% of a core)"
    )
    if results.errors:
        print("first errors:", "; ".join(results.errors[:5]))
    print(f"target p95 < {TARGET_P95_MS:.0f} ms and no errors: {'PASS' if passed else 'FAIL'}")
    return passed


def run(
    users: int,
    seconds: float,
    think: float,
    seed: int,
    indicator: str | None,
    workers: int = 1,
    public_data: Path | None = None,
    demo: Path | None = None,
) -> bool:
    """Prepare, serve, load, report. Returns whether the target is met."""
    with tempfile.TemporaryDirectory(prefix="gapwatch-bench-web-") as tmp:
        print("Building the Kent demo" + (f" with the real public data of {public_data}" if public_data else "") + " …")
        db, accounts, busiest = prepare(Path(tmp), users, public_data, demo)
        chosen = indicator or busiest
        pages = ["/dashboard", f"/indicators/{chosen}", f"/gaps?indicator={chosen}"]
        port = _free_port()
        server = start_server(db, port, workers)
        try:
            base = f"http://127.0.0.1:{port}"
            # a thread of its own, so that it also runs where an event loop is already running (pytest
            # after Playwright's sync API, notebooks)
            with ThreadPoolExecutor(max_workers=1) as pool:
                results = pool.submit(
                    lambda: asyncio.run(_run_load(base, accounts, pages, seconds, think, seed, server.pid))
                ).result()
        finally:
            stop_server(server)
        return report(results, pages, users, think, workers)


async def _run_load(
    base: str,
    accounts: list[tuple[str, str]],
    pages: list[str],
    seconds: float,
    think: float,
    seed: int,
    server_pid: int,
) -> Results:
    """Sign everyone in and warm up, then measure every user for the same bounded window."""
    results = Results()
    start = asyncio.Event()
    ready = 0
    all_ready = asyncio.Event()
    window = {"deadline": 0.0}

    async def user(i: int) -> None:
        nonlocal ready
        rng = random.Random(seed * 1000 + i)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            await _sign_in(client, *accounts[i])
            for page in pages:  # warm-up, not measured
                await client.get(page)
            ready += 1
            if ready == len(accounts):
                all_ready.set()
            await start.wait()
            turn = rng.randrange(len(pages))
            if think > 0:  # spread the first requests over one think time, as real users arrive
                await asyncio.sleep(think * rng.random())
            while time.perf_counter() < window["deadline"]:
                page = pages[turn % len(pages)]
                turn += 1
                began = time.perf_counter()
                try:
                    response = await client.get(page)
                    ok = response.status_code == 200 and response.text.rstrip().endswith("</html>")
                    if not ok:
                        results.errors.append(f"{page}: HTTP {response.status_code}")
                except httpx.HTTPError as exc:
                    ok = False
                    results.errors.append(f"{page}: {type(exc).__name__}")
                results.samples.append(Sample(page, time.perf_counter() - began, ok))
                if think > 0:
                    await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    tasks = [asyncio.create_task(user(i)) for i in range(len(accounts))]
    waiter = asyncio.create_task(all_ready.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    if waiter not in done:  # a user failed before everyone was ready
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            task.result()
        raise SystemExit("a user failed during sign-in or warm-up")
    cpu_before = _cpu_seconds(server_pid)
    window["deadline"] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    results.elapsed = time.perf_counter() - began
    results.server_cpu_seconds = _cpu_seconds(server_pid) - cpu_before
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the measured window (default 60)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between pages, s (default 1)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the think times")
    parser.add_argument("--indicator", help="indicator id for the indicator page (default: most observations)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (gapwatch serve --workers)")
    parser.add_argument("--public-data", type=Path, help="build the demo with the real files of this folder")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is not met")
    args = parser.parse_args(argv)
    passed = run(args.users, args.seconds, args.think, args.seed, args.indicator, args.workers, args.public_data)
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
