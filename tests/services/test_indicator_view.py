"""Indicator page, gaps and dashboard statistics from constructed data whose answers are known."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from gapwatch.domain.cycle import CycleWindow
from gapwatch.errors import NotFound
from gapwatch.services.dashboard import DashboardFilters, dashboard
from gapwatch.services.frameworks import load_framework
from gapwatch.services.gaps_view import gap_targets
from gapwatch.services.indicator_view import indicator_csv, indicator_page
from gapwatch.store.engine import session_scope

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
YEARS = [f"{y}/{(y + 1) % 100:02d} AY" for y in range(2015, 2021)]  # 2015/16 AY .. 2020/21 AY
N = 4000


def _obs(
    i: int, area: str, period: str, x: int, n: int, ct: str | None = None, cat: str | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"G{i}",
        "indicator": "ATT1",
        "area": area,
        "period": period,
        "value": round(100 * x / n, 6),
        "numerator": x,
        "denominator": n,
    }
    if ct:
        row.update(category_type=ct, category=cat)
    return row


def _framework(tmp_path: Path) -> Path:
    data = yaml.safe_load(MINI.read_text())
    data["observations"] = []
    data["groups"].append(
        {
            "id": "imd-quintile",
            "name": "Deprivation quintile (IMD)",
            "kind": "ordinal",
            "categories": [
                {"id": f"q{k}", "name": f"Quintile {k}", "order": k, **({"comparator": "q5"} if k == 1 else {})}
                for k in range(1, 6)
            ],
        }
    )
    data["indicators"][0]["disaggregation"]["groups"] = ["fsm", "imd-quintile"]
    data["targets"].append(
        {
            "id": "T3",
            "title": "Close the North gap by 30% by 2021/22",
            "kind": "gap_closing",
            "indicator": "ATT1",
            "gap": {"subject": "N1", "comparator": "rest-of-riverton", "percent_min": 30},
            "baseline": {"period": YEARS[0]},
            "target": {"period": "2021/22 AY"},
        }
    )
    obs = data["observations"]
    i = 0
    for k, period in enumerate(YEARS):
        county = 2600 + 60 * k  # 65% -> 72.5% of 4000
        north, south = 1000 + 20 * k, county - (1000 + 20 * k)  # of 2000 each: North far below South
        fsm, non = 800 + 80 * k, 3000 + 4 * k  # FSM 40% -> 60%, non-FSM 75% -> 75.5%: the gap narrows
        rows = [
            _obs(i, "X0", period, county, N),
            _obs(i + 1, "N1", period, north, 2000),
            _obs(i + 2, "S1", period, south, 2000),
            _obs(i + 3, "X0", period, fsm, 2000, "fsm", "fsm"),
            _obs(i + 4, "X0", period, non, 5000, "fsm", "non-fsm"),
        ]
        for q in range(1, 6):
            rows.append(_obs(i + 4 + q, "X0", period, 500 + 50 * q + 10 * k, 1000, "imd-quintile", f"q{q}"))
        obs += rows
        i += 20
    obs[0]["note"] = '=HYPERLINK("http://evil.example")'  # a formula in a file must stay inert in the CSV
    path = tmp_path / "riverton.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def riverton(engine: Engine, tmp_path: Path) -> Engine:
    load_framework(engine, _framework(tmp_path))
    return engine


def test_headline_series_intervals_and_trend(riverton: Engine) -> None:
    with session_scope(riverton) as s:
        page = indicator_page(s, "ATT1")
    assert page.area == "X0" and [p.period for p in page.series] == YEARS
    last = page.series[-1]
    assert last.value == pytest.approx(100 * 2900 / N)
    assert last.lower is not None and last.upper is not None and last.lower < last.value < last.upper
    assert page.trend == "increasing" and page.trend_assessment == "getting better"


def test_level_target_status_from_the_trajectory(riverton: Engine) -> None:
    with session_scope(riverton) as s:
        page = indicator_page(s, "ATT1")
    (t1,) = page.level_targets
    # Baseline 68 in 2019/20 AY, target 75 in 2022/23 AY; the latest value 72.5 (2020/21 AY) is above the
    # straight line (68 + 7/3 = 70.33 one year on), so on track.
    assert t1.status_period == YEARS[-1] and t1.status == "on track"
    assert t1.expected == pytest.approx(68 + 7 / 3, abs=0.05)


def test_districts_compared_with_the_county(riverton: Engine) -> None:
    with session_scope(riverton) as s:
        page = indicator_page(s, "ATT1")
    assert page.districts_period == YEARS[-1]
    by_area = {d.area_id: d for d in page.districts}
    assert by_area["N1"].comparison == "worse" and by_area["S1"].comparison == "better"
    assert [d.area_id for d in page.districts] == ["S1", "N1"]  # higher is better: best first


def test_group_gap_narrows_and_deprivation_gap_and_sii(riverton: Engine) -> None:
    with session_scope(riverton) as s:
        page = indicator_page(s, "ATT1")
    fsm = next(g for g in page.gap_series if g.kind == "group")
    assert (fsm.subject, fsm.comparator) == ("fsm", "non-fsm")
    assert fsm.points[-1].gap == pytest.approx(100 * (1200 / 2000 - 3020 / 5000))
    # From 40% vs 60% (significant) to 60% vs 60.4% (interval includes 0): the gap has closed, which is
    # more than "narrowing"; the trend test itself found a significant narrowing at the stated level.
    assert fsm.verdict == "closed"
    assert fsm.trend is not None and fsm.trend.level == 0.95 and fsm.trend.p is not None and fsm.trend.p < 0.05
    deprived = next(g for g in page.gap_series if g.kind == "deprivation")
    # quintile 1 vs 2-5 in the last period: 600/1000 vs (650+700+750+800)/4000
    assert deprived.points[-1].gap == pytest.approx(100 * (600 / 1000 - 2900 / 4000))
    assert deprived.verdict == "no significant change"  # the same gap every year
    (sii,) = page.sii
    assert len(sii.points) == len(YEARS) and all(p.gap is not None and p.gap > 0 for p in sii.points)
    fsm_row = next(g for g in page.groups if g.category == "fsm")
    # 60% vs 60.4% in the last period: no significant difference; in the first, 40% vs 60%: lower.
    assert fsm_row.comparator_name == "Not FSM" and fsm_row.significance == "not significant"
    assert fsm.points[0].significance == "lower"


def test_gap_closing_targets(riverton: Engine) -> None:
    with session_scope(riverton) as s:
        views = {v.id: v for v in gap_targets(s)}
    t2 = views["T2"]
    assert t2.status == "not assessed" and any("no target date" in n for n in t2.notes)
    t3 = views["T3"]
    base = 100 * (1000 / 2000 - 1600 / 2000)  # North vs the rest (South) in 2015/16 AY
    latest = 100 * (1100 / 2000 - 1800 / 2000)
    assert t3.baseline_gap == pytest.approx(base) and t3.latest_gap == pytest.approx(latest)
    assert t3.closed_share == pytest.approx(1 - latest / base)
    assert t3.status == "off track"  # the gap widened


def test_csv_has_lineage_columns(riverton: Engine) -> None:
    with session_scope(riverton) as s:
        text = indicator_csv(s, "ATT1")
    header, *rows = text.strip().splitlines()
    assert header.split(",")[:3] == ["indicator", "period", "area"] and "batch" in header
    assert len(rows) == 10 * len(YEARS)
    assert "'=HYPERLINK(" in text and ",=HYPERLINK" not in text


def test_dashboard_counts(riverton: Engine) -> None:
    with session_scope(riverton) as s:
        window = CycleWindow.default(date(2022, 1, 1))
        view = dashboard(s, window=window)
        filtered = dashboard(s, DashboardFilters(locality="N1"), window=window)
        with pytest.raises(NotFound):
            dashboard(s, DashboardFilters(board="nope"), window=window)
    # The worst of its targets speaks for the indicator: T1 on track, T3 off track.
    assert view.overall.indicators == {
        "on track": 0,
        "at risk": 0,
        "off track": 1,
        "no target": 0,
        "cannot be assessed": 0,
    }
    # FSM gap closed (40% vs 60% to 60% vs 60.4%), North vs rest widening (counted once for T2 and T3),
    # deprivation gap and its slope index of inequality steady (the paper shows the same four).
    assert view.overall.gaps == {
        "narrowing": 0,
        "closed": 1,
        "widening": 1,
        "reversed": 0,
        "no significant change": 2,
        "could not be calculated": 0,
    }
    assert view.overall.latest_period == YEARS[-1]
    assert [a.key for a in view.ambitions] == ["R1"] and view.ambitions[0].indicator_total == 1
    assert [b.key for b in view.boards] == ["rpb"]
    assert view.overall.actions["total"] == 1 and view.overall.actions["overdue"] == 1
    assert filtered.overall.area == "N1" and filtered.notes


def test_an_area_outside_the_plan_is_named_from_the_stored_geography(riverton: Engine, tmp_path: Path) -> None:
    # Real files bring areas the plan does not hold (every English authority); asking for one by its code shows
    # its series under its name instead of failing (it raised KeyError before).
    from gapwatch.services.imports import import_file

    csv = tmp_path / "other.csv"
    csv.write_text(
        "indicator,area_code,area_name,period,value,numerator,denominator\n"
        + "".join(f"ATT1,E09000001,City of London,{p},50,5,10\n" for p in YEARS)
    )
    import_file(riverton, csv, add_unknown_areas=True, actor="test")
    with session_scope(riverton) as s:
        page = indicator_page(s, "ATT1", area="E09000001")
        assert page.area_name == "City of London" and ("E09000001", "City of London") in page.areas
        assert [p.period for p in page.series] == YEARS and page.series[-1].value == pytest.approx(50)
        assert ("E09000001", "City of London") not in indicator_page(s, "ATT1").areas
        with pytest.raises(NotFound):
            indicator_page(s, "ATT1", area="E09999999")
