"""An area against a comparator group, England and its region: answers worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from gapwatch.analysis.comparators import compare_with_comparators
from gapwatch.analysis.frame import with_intervals
from gapwatch.domain.comparators import ComparatorGroup
from gapwatch.domain.indicators import Indicator
from tests.analysis.conftest import frame

NAMES = {"K": "Kent", "A": "Alpha", "B": "Beta", "C": "Gamma", "E92000001": "England", "R": "South East"}


def _ind(**kw: Any) -> Indicator:
    base = {"id": "ATT1", "code": "LOC 1", "title": "Expected standard", "measure": "proportion"}
    return Indicator.model_validate({**base, "polarity": "higher_is_better", **kw})


def _row(area: str, x: float | None, n: float | None, period: str = "2020/21 AY", value: float | None = None) -> dict:  # type: ignore[type-arg]
    v = value if value is not None else (100 * x / n if x is not None and n else None)
    return {"area": area, "period": period, "count": x, "denominator": n, "value": v}


GROUP = ComparatorGroup(id="sn", name="Neighbours", kind="statistical_neighbours", area="K", members=["A", "B", "C"])


def _data(ind: Indicator) -> Any:
    rows = [
        _row("K", 700, 1000),
        _row("K", 600, 1000, "2019/20 AY"),
        _row("A", 90, 100),  # 90% of a small area
        _row("B", 5000, 10000),  # 50% of a large one
        _row("C", 700, 1000),  # tied with Kent
        _row("E92000001", 60000, 100000),
        _row("R", 7000, 10000),
    ]
    return with_intervals(frame(rows), ind)


def test_group_value_is_from_summed_counts_never_an_average_of_rates() -> None:
    ind = _ind()
    out = compare_with_comparators(_data(ind), ind, "K", group=GROUP, england="E92000001", region="R", names=NAMES)
    group = out.benchmark("group")
    assert group is not None and out.period == "2020/21 AY"
    assert group.value == pytest.approx(100 * 5790 / 11100)  # 52.2%, not (90 + 50 + 70) / 3 = 70%
    assert group.count == 5790 and group.denominator == 11100 and group.members_used == 3
    assert group.lower is not None and group.upper is not None and group.lower < group.value < group.upper
    # Kent 70% (66.9 to 72.9) is well above the group's 52.2%: better; above England's 60%: better;
    # the South East's 70% lies inside Kent's interval: similar.
    assert group.comparison == "better"
    assert out.benchmark("england").comparison == "better"  # type: ignore[union-attr]
    assert out.benchmark("region").comparison == "similar"  # type: ignore[union-attr]


def test_rank_is_best_first_by_polarity_with_ties_shown() -> None:
    ind = _ind()
    out = compare_with_comparators(_data(ind), ind, "K", group=GROUP, england=None, region=None, names=NAMES)
    assert [(m.area, m.rank, m.tied) for m in out.members] == [
        ("A", 1, False),
        ("C", 2, True),
        ("K", 2, True),
        ("B", 4, False),
    ]
    assert (out.rank, out.rank_of, out.tied) == (2, 4, True)
    low = _ind(polarity="lower_is_better")
    flipped = compare_with_comparators(_data(low), low, "K", group=GROUP, england=None, region=None, names=NAMES)
    assert [m.area for m in flipped.members][0] == "B" and flipped.rank == 2
    assert flipped.rank_order.startswith("1 = lowest")


def test_members_are_coloured_against_the_chosen_benchmark() -> None:
    ind = _ind()
    data = _data(ind)
    by_group = compare_with_comparators(data, ind, "K", group=GROUP, england="E92000001", region="R", names=NAMES)
    by_england = compare_with_comparators(
        data, ind, "K", group=GROUP, england="E92000001", region="R", names=NAMES, colour_against="england"
    )
    assert {m.area: m.comparison for m in by_group.members}["B"] == "worse"  # 50% vs the group's 52.2%
    assert {m.area: m.comparison for m in by_england.members}["A"] == "better"  # 90/100 vs 60%
    with pytest.raises(ValueError, match="colour_against"):
        compare_with_comparators(
            data, ind, "K", group=GROUP, england=None, region=None, names=NAMES, colour_against="x"
        )


def test_members_without_counts_or_values_are_named_and_means_are_not_summed() -> None:
    ind = _ind()
    rows = [_row("K", 700, 1000), _row("A", None, None, value=80.0), _row("B", 500, 1000)]
    out = compare_with_comparators(
        with_intervals(frame(rows), ind), ind, "K", group=GROUP, england="E92000001", region=None, names=NAMES
    )
    group = out.benchmark("group")
    assert group is not None and group.value == pytest.approx(50.0) and group.members_used == 1
    assert group.reason == "from 1 of 3 members with counts"
    assert out.missing == ["C"] and any("Gamma" in n for n in out.notes)
    assert out.benchmark("england").reason == "no value for 2020/21 AY"  # type: ignore[union-attr]
    assert any("region" in n for n in out.notes)
    mean = _ind(measure="mean")
    means = compare_with_comparators(frame(rows), mean, "K", group=GROUP, england=None, region=None, names=NAMES)
    assert means.benchmark("group").value is None  # type: ignore[union-attr]
    assert "cannot be" in (means.benchmark("group").reason or "")  # type: ignore[union-attr]


def test_no_value_for_the_area_says_so() -> None:
    ind = _ind()
    out = compare_with_comparators(_data(ind), ind, "ZZ", group=GROUP, england=None, region=None, names=NAMES)
    assert out.period is None and out.members == [] and "no value for ZZ" in out.notes[0]
