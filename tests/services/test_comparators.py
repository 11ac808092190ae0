"""Comparator groups end to end: the DfE neighbour file loaded into the framework from the real file, and an
indicator compared with a group, England and the region from stored observations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from gapwatch.errors import InvalidInput
from gapwatch.services.areas import load_areas_file
from gapwatch.services.comparators import comparator_view, list_comparator_groups, load_comparators_file
from gapwatch.services.frameworks import bundled_framework_path, load_framework, stored_framework
from gapwatch.store.engine import session_scope

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
SN_FILE = "comparators/New_Statistical_Neighbour_Groupings_April_2021.csv"
KENT_SN = ["E10000012", "E10000011", "E06000030", "E10000034", "E10000017"]
KENT_SN += ["E06000062", "E10000024", "E10000031", "E10000029", "E10000028"]


def _obs(i: int, area: str, x: int, n: int, period: str = "2020/21 AY") -> dict[str, Any]:
    return {
        "id": f"C{i}",
        "indicator": "ATT1",
        "area": area,
        "period": period,
        "value": round(100 * x / n, 6),
        "numerator": x,
        "denominator": n,
    }


def _riverton(tmp_path: Path, groups: list[dict[str, Any]] | None = None) -> Path:
    data = yaml.safe_load(MINI.read_text())
    data["areas"] = [
        {"id": "E92000001", "name": "England", "level": "country"},
        {"id": "E12000008", "name": "South East", "level": "region", "parent": "E92000001"},
        {"id": "X0", "name": "Riverton", "level": "county", "parent": "E12000008"},
        *[a for a in data["areas"] if a["id"] != "X0"],
        {"id": "Y1", "name": "Yonder", "level": "county"},
        {"id": "Y2", "name": "Yarrow", "level": "county"},
    ]
    data["comparator_groups"] = groups or [
        {
            "id": "riverton-sn",
            "name": "Riverton's neighbours",
            "kind": "statistical_neighbours",
            "area": "X0",
            "members": ["Y1", "Y2"],
        },  # fmt: skip
        {"id": "far", "name": "Far away", "members": ["E10000012"]},
    ]
    data["observations"] = [
        _obs(1, "X0", 700, 1000),
        _obs(2, "Y1", 300, 1000),
        _obs(3, "Y2", 7000, 10000),
        _obs(4, "E92000001", 60000, 100000),
        _obs(5, "E12000008", 6500, 10000),
    ]
    path = tmp_path / "riverton.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_an_area_against_its_group_england_and_region(sqlite_engine: Engine, tmp_path: Path) -> None:
    load_framework(sqlite_engine, _riverton(tmp_path))
    with session_scope(sqlite_engine) as s:
        view = comparator_view(s, "ATT1", group="riverton-sn")
    r = view.result
    assert (r.area, r.period) == ("X0", "2020/21 AY")
    group, england, region = (r.benchmark(k) for k in ("group", "england", "region"))
    assert group is not None and group.value == pytest.approx(100 * 7300 / 11000)  # summed: 66.4%, not 50%
    assert england is not None and england.value == pytest.approx(60.0) and england.comparison == "better"
    assert region is not None and region.code == "E12000008"  # found by walking the parents
    assert (r.rank, r.rank_of, r.tied) == (1, 3, True)  # 70% ties Yarrow's 70%
    assert view.choices == [("riverton-sn", "Riverton's neighbours"), ("far", "Far away")]
    with session_scope(sqlite_engine) as s:
        far = comparator_view(s, "ATT1", group="far")
    assert far.result.benchmark("group").value is None  # type: ignore[union-attr]
    assert any("holds no LOC 1 data for any of Far away" in n for n in far.notes)
    assert any("not areas the store knows (E10000012)" in n for n in far.notes)


def test_bad_choices_are_refused_plainly(sqlite_engine: Engine, tmp_path: Path) -> None:
    load_framework(sqlite_engine, _riverton(tmp_path))
    with session_scope(sqlite_engine) as s, pytest.raises(InvalidInput) as err:
        comparator_view(s, "ATT1", group="nope")
    assert err.value.problems[0].field == "comparator" and "riverton-sn" in err.value.problems[0].message
    with session_scope(sqlite_engine) as s, pytest.raises(InvalidInput):
        comparator_view(s, "ATT1", colour_against="mars")


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ([{"id": "g", "name": "G", "members": ["Essex"]}], "comparator group 'g': unknown area 'Essex'"),
        ([{"id": "g", "name": "G", "members": []}], "a comparator group needs at least one member area"),
        (
            [{"id": "g", "name": "G", "members": ["Y1"]}, {"id": "g", "name": "H", "members": ["Y2"]}],
            "duplicate id 'g'",
        ),
        ([{"id": "g", "name": "G", "area": "X0", "members": ["X0"]}], "is the group's own area"),
    ],
)
def test_bad_groups_in_a_framework_file_name_file_line_and_area(
    sqlite_engine: Engine, tmp_path: Path, groups: list[dict[str, Any]], expected: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        load_framework(sqlite_engine, _riverton(tmp_path, groups))
    (problem,) = [p for p in err.value.problems if expected in p.message]
    assert problem.file and problem.file.endswith("riverton.yaml") and problem.line is not None
    assert "comparator_groups" in problem.message


def test_the_dfe_file_loads_every_authority_by_name(sqlite_engine: Engine, shared_data: Path) -> None:
    load_areas_file(sqlite_engine, shared_data / "lookups" / "lookup_ltla21_utla21.csv")
    load_framework(sqlite_engine, bundled_framework_path("kent"))
    report = load_comparators_file(sqlite_engine, shared_data / SN_FILE)
    # 152 authorities; Kent's own group is already in the bundled framework and is not repeated.
    assert report.groups == 151 and report.skipped == [
        "Kent: already in the framework as 'kent-statistical-neighbours'"
    ]
    assert report.warnings == ["4 pre-reorganisation authorities under 'Old SNs:' were not loaded"]
    fw = stored_framework(sqlite_engine)
    kent = next(g for g in fw.comparator_groups if g.id == "kent-statistical-neighbours")
    assert kent.members == KENT_SN
    medway = next(g for g in fw.comparator_groups if g.id == "sn-E06000035")
    assert medway.members[:2] == ["E06000030", "E06000020"]  # 866 Swindon, 894 Telford and Wrekin
    again = load_comparators_file(sqlite_engine, shared_data / SN_FILE)
    assert again.revision is None  # loading the same file twice changes nothing
    with session_scope(sqlite_engine) as s:
        listed = list_comparator_groups(s, area="E10000016")
    assert [g.id for g in listed] == ["kent-statistical-neighbours"]
    assert listed[0].members[0] == ("E10000012", "Essex", True)


def test_unmatched_authorities_are_refused_with_line_and_field(
    sqlite_engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    load_areas_file(sqlite_engine, shared_data / "lookups" / "lookup_ltla21_utla21.csv")
    load_framework(sqlite_engine, bundled_framework_path("kent"))
    text = (shared_data / SN_FILE).read_text(encoding="utf-8-sig").replace(",Swindon,", ",Swindonshire,")
    bad = tmp_path / "sn.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_comparators_file(sqlite_engine, bad)
    (problem,) = err.value.problems
    assert (problem.field, problem.line) == ("LA Name", 108) and "Swindonshire" in problem.message
    assert "nothing was loaded" in err.value.message
    assert [g.id for g in stored_framework(sqlite_engine).comparator_groups] == ["kent-statistical-neighbours"]


def test_bad_neighbour_files_name_line_and_field(tmp_path: Path) -> None:
    from gapwatch.ingest.comparators import read_statistical_neighbours

    head = "LA num,LA Name,LA number,GOInd,GOReg,SN1,SNP,SN2,SNP\n"
    bad = tmp_path / "sn.csv"
    bad.write_text(
        head
        + "886,Kent,886,6,South East,881,Very Close,999,Close\n"
        + "881,Essex,881,2,East,,,,\n"
        + "886,Kent again,886,6,South East,881,Close,,\n"
    )
    with pytest.raises(InvalidInput) as err:
        read_statistical_neighbours(bad)
    found = {(p.line, p.field): p.message for p in err.value.problems}
    assert "not an authority of this file" in found[(2, "SN2")]
    assert "empty group" in found[(3, "SN1")]
    assert "listed twice" in found[(4, "LA num")]
