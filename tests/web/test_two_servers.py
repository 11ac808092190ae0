"""Two `gapwatch serve` processes on one PostgreSQL database give the same answers: an import made through
one and an action update made through the other are seen on each other's next request, so no process-local
cache can serve stale numbers (how a partnership scales past one server)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from gapwatch.services.accounts import create_api_token, create_user
from gapwatch.store.accounts import get_user
from gapwatch.store.engine import session_scope

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "mini.yaml"
GAPWATCH = [str(Path(sys.executable).parent / "gapwatch")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAPWATCH_")}
    env.update(GAPWATCH_DATABASE_URL=url, GAPWATCH_SECRET_KEY="two-servers-test-secret-key")
    return env


def _run(url: str, *args: str) -> None:
    done = subprocess.run([*GAPWATCH, *args], env=_env(url), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def servers(pg_engine: Engine) -> Iterator[tuple[str, str, str, str]]:
    """(url of server A, url of server B, database URL, a lead officer's API token)."""
    url = pg_engine.url.render_as_string(hide_password=False)
    _run(url, "framework", "load", str(MINI))
    with session_scope(pg_engine) as session:
        create_user(
            session,
            username="jo",
            display_name="Jo",
            role="lead_officer",
            password="a long test passphrase 1",
            person_id="jo",
        )
    with session_scope(pg_engine) as session:
        user = get_user(session, "jo")
        assert user is not None
        _, token = create_api_token(session, user, name="two servers")
    procs, urls = [], []
    try:
        for _ in range(2):
            port = _free_port()
            procs.append(
                subprocess.Popen(
                    [*GAPWATCH, "serve", "--port", str(port)],
                    env=_env(url),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        with httpx.Client(timeout=2) as poll:  # one client: each new one builds an SSL context (~50 ms of CPU)
            for base in urls:
                while True:
                    try:
                        if poll.get(base + "/healthz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    assert time.monotonic() < deadline, "a server did not start"
                    time.sleep(0.2)
        yield urls[0], urls[1], url, token
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)


def test_an_import_and_an_action_update_through_one_server_are_seen_by_the_other(
    servers: tuple[str, str, str, str], tmp_path: Path
) -> None:
    a, b, url, token = servers
    headers = {"Authorization": f"Bearer {token}"}

    def gap_periods(base: str) -> list[str]:
        r = httpx.get(base + "/api/v1/gaps/ATT1?by=fsm", headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        return [p["period"] for p in r.json()["data"]["series"]["points"]]

    before_a, before_b = gap_periods(a), gap_periods(b)  # both servers now hold the answer in memory
    assert before_a == before_b == ["2019/20 AY"]
    csv = tmp_path / "new.csv"
    csv.write_text(
        "indicator,area_code,period,value,numerator,denominator,category_type,category\n"
        "ATT1,X0,2020/21 AY,60,600,1000,fsm,fsm\nATT1,X0,2020/21 AY,80,3200,4000,fsm,non-fsm\n"
    )
    _run(url, "data", "import", str(csv))  # a third process, as a performance officer at the command line
    assert gap_periods(a) == gap_periods(b) == ["2019/20 AY", "2020/21 AY"]

    def dashboard(base: str) -> dict[str, int]:
        r = httpx.get(base + "/api/v1/dashboard", headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()["data"]["overall"]["actions"]  # type: ignore[no-any-return]

    assert dashboard(a) == dashboard(b) and dashboard(b)["green"] == 0
    action = httpx.get(a + "/api/v1/actions/RA-1", headers=headers, timeout=30).json()["data"]
    update = {"version": action["version"], "rag": "green", "percent_complete": 50, "commentary": "Tutors in place"}
    r = httpx.post(a + "/api/v1/actions/RA-1/updates", json=update, headers=headers, timeout=30)
    assert r.status_code == 201, r.text
    assert dashboard(b)["green"] == 1 == dashboard(a)["green"]
