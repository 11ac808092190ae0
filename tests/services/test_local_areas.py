"""Local areas end to end (issue 12, item 5): a ward cluster in Thanet built from the real 2024 wards of the ONS
lookup, ward-level counts imported through the normal import service, and the area's rate and interval from
the summed counts — checked by hand and against :func:`gapwatch.stats.rates.rate` — the same on the indicator
page, the gap against the rest of Thanet, the CLI; incomplete periods withheld with the reason; bad files
refused with file, line and field and nothing written.

The cluster is an EXAMPLE (Margate's wards), not one of Kent's 23 LCSPs, whose boundaries are not in the seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from gapwatch.errors import InvalidInput
from gapwatch.services.areas import load_areas_file
from gapwatch.services.frameworks import bundled_framework_path, load_framework
from gapwatch.services.imports import import_file
from gapwatch.services.indicator_view import indicator_csv, indicator_page
from gapwatch.services.local_areas import load_local_areas, local_area_view
from gapwatch.stats.rates import rate
from gapwatch.store.engine import session_scope
from gapwatch.store.tables import FrameworkRevisionRow
from tests.clirunner import run_cli

THANET = "E07000114"
#: Margate's wards (2024 boundaries, as in ONS lookup_lsoa21_ward24_ltla24.csv).
WARDS = {
    "E05005093": "Margate Central",
    "E05005088": "Cliftonville West",
    "E05005087": "Cliftonville East",
    "E05005102": "Westbrook",
}
LOCAL = "example-margate-wards"
#: Made-up ward counts (under-18 conceptions, women aged 15-17): the test checks arithmetic, not Kent's figures.
COUNTS = {"E05005093": (14, 310), "E05005088": (19, 402), "E05005087": (6, 355), "E05005102": (3, 288)}
DEFINITION = "area_code,area_name,parent_code,member_code,member_level\n" + "".join(
    f"{LOCAL},Example: Margate wards,{THANET},{code},ward24\n" for code in WARDS
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def thanet(sqlite_engine: Engine, shared_data: Path, tmp_path: Path) -> Engine:
    """Kent's framework and Thanet's real 2024 wards and 2021 LSOAs (rows of the ONS lookup)."""
    load_framework(sqlite_engine, bundled_framework_path("kent"))
    lookup = pl.read_csv(shared_data / "lookups" / "lookup_lsoa21_ward24_ltla24.csv", infer_schema_length=0)
    lookup.filter(pl.col("ltla24_code") == THANET).write_csv(tmp_path / "lookup_lsoa21_ward24_ltla24.csv")
    load_areas_file(sqlite_engine, tmp_path / "lookup_lsoa21_ward24_ltla24.csv")
    return sqlite_engine


def revisions(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(FrameworkRevisionRow)) or 0)


def import_counts(engine: Engine, tmp_path: Path, rows: list[tuple[str, str, int, int]]) -> None:
    text = "indicator,area_code,period,numerator,denominator\n" + "".join(
        f"NI112,{a},{p},{x},{n}\n" for a, p, x, n in rows
    )
    import_file(engine, write(tmp_path, "ward_counts.csv", text), actor="tester")


def test_ward_cluster_rate_from_summed_counts(thanet: Engine, tmp_path: Path) -> None:
    load = load_local_areas(thanet, write(tmp_path, "local.csv", DEFINITION), actor="tester")
    assert load.added == [LOCAL] and load.members == 4 and load.revision is not None
    rows = [(a, "2019", x, n) for a, (x, n) in COUNTS.items()]
    rows += [(a, "2020", x, n) for a, (x, n) in COUNTS.items() if a != "E05005102"]  # Westbrook missing
    rows += [(THANET, "2019", 120, 2900)]
    import_counts(thanet, tmp_path, rows)

    x, n = sum(c for c, _ in COUNTS.values()), sum(d for _, d in COUNTS.values())
    assert (x, n) == (42, 1355)
    expected = rate(pl.DataFrame({"x": [float(x)], "n": [float(n)]}), "x", "n", multiplier=1000).row(0, named=True)
    with session_scope(thanet) as session:
        page = indicator_page(session, "NI112", area=LOCAL)
        by_period = {p.period: p for p in page.series}
        p2019 = by_period["2019"]
        # 42 / 1,355 x 1,000 = 30.996 per 1,000, never the mean of the four ward rates (29.9)
        assert p2019.value == pytest.approx(42 / 1355 * 1000) == pytest.approx(30.9963, abs=1e-4)
        mean_of_rates = sum(c / d * 1000 for c, d in COUNTS.values()) / 4
        assert abs(p2019.value - mean_of_rates) > 1
        assert (p2019.count, p2019.denominator) == (42, 1355)
        assert (p2019.lower, p2019.upper) == (pytest.approx(expected["lowercl"]), pytest.approx(expected["uppercl"]))
        assert p2019.lower < p2019.value < p2019.upper
        # 2020: one member has no data, so the area's value is withheld and the row says why
        assert by_period["2020"].value is None and by_period["2020"].count is None
        note = next(r["note"] for r in page.table if r["area"] == LOCAL and r["period"] == "2020")
        assert note == "incomplete: no data for Westbrook"
        assert (LOCAL, "Example: Margate wards") in page.areas
        # the local area against the rest of Thanet: Thanet's own row less the cluster's counts
        gap = next(g for g in page.gap_series if g.kind == "area")
        point = next(p for p in gap.points if p.period == "2019")
        assert point.comparator_value == pytest.approx((120 - 42) / (2900 - 1355) * 1000)
        assert f"{LOCAL},Example: Margate wards" in indicator_csv(session, "NI112")
        view = local_area_view(session, LOCAL)
    assert view.vintages == {"ward": 2024} and view.parent == THANET
    status = dict((i, s) for i, _, s in view.indicators)
    assert status["NI112"] == "re-aggregated from members' counts"
    assert status["NI58"].startswith("not re-aggregated")

    db = str(thanet.url.database)
    cli = run_cli("indicator", "show", "NI112", "--area", LOCAL, "--format", "json", "--db", db)
    assert cli.exit_code == 0, cli.output
    doc = json.loads(cli.stdout)
    point_2019 = next(p for p in doc["series"] if p["period"] == "2019")
    assert point_2019["value"] == pytest.approx(p2019.value) and point_2019["lower"] == pytest.approx(p2019.lower)
    shown = run_cli("area", "show", LOCAL, "--db", db)
    assert shown.exit_code == 0 and "Cliftonville East" in shown.stdout and "ward 2024" in shown.stdout


BAD = [
    ("unknown member", "E05999999,ward24", 2, "member_code", "unknown ward 'E05999999'"),
    ("wrong level", "E01024677,ward24", 2, "member_level", "is a lsoa, not a ward"),
    ("mixed vintages", "E05005093,ward24\n{L},E05005088,ward20", 3, "member_level", "ward boundaries of 2020 mixed"),
    ("duplicate", "E05005093,ward24\n{L},E05005093,ward24", 3, "member_code", "listed twice"),
    ("itself", "{L},group", 2, "member_code", "cannot contain itself"),
    ("real area code", None, 2, "area_code", "is an existing district"),
    ("bad level", "E05005093,parish", 2, "member_level", "is not a member level"),
]


@pytest.mark.parametrize(("case", "member", "line", "field", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_local_area_files_are_refused_whole(
    thanet: Engine, tmp_path: Path, case: str, member: str | None, line: int, field: str, message: str
) -> None:
    body = f"{LOCAL},{member}\n".replace("{L}", LOCAL) if member else f"{THANET},E05005093,ward24\n"
    path = write(tmp_path, "bad.csv", "area_code,member_code,member_level\n" + body)
    before = revisions(thanet)
    with pytest.raises(InvalidInput) as caught:
        load_local_areas(thanet, path, actor="tester")
    found = [p for p in caught.value.problems if p.line == line and p.field == field and message in p.message]
    assert found and found[0].file == "bad.csv", [str(p) for p in caught.value.problems]
    assert "nothing was written" in str(caught.value)
    assert revisions(thanet) == before


def test_groups_containing_each_other_and_members_outside_the_parent(thanet: Engine, tmp_path: Path) -> None:
    text = (
        "area_code,member_code,member_level,parent_code\n"
        "cluster-a,cluster-b,group,\ncluster-b,cluster-a,group,\n"
        f"cluster-c,E05005093,ward,{THANET}\ncluster-c,E07000113,district,\n"
    )
    with pytest.raises(InvalidInput) as caught:
        load_local_areas(thanet, write(tmp_path, "cycle.csv", text), actor="tester")
    messages = [str(p) for p in caught.value.problems]
    assert any("cluster-a" in m and "contains itself" in m and "line 2" in m for m in messages), messages
    assert any("E07000113" in m and "does not lie within the parent area" in m and "line 5" in m for m in messages)


def test_cli_refuses_a_bad_file_with_one_located_line(thanet: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", f"area_code,member_code,member_level\n{LOCAL},E05999999,ward\n")
    result = run_cli("area", "load", str(path), "--db", str(thanet.url.database))
    assert result.exit_code == 1
    assert "bad.csv, line 2, field 'member_code': unknown ward 'E05999999'" in result.output
    assert "Traceback" not in result.output
