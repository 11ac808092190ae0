"""grouping_members lists current areas only: a parent's abolished children are left out, an abolished
explicit member stands for its successor (once), and on England's built-in geography Kent's "rest of Kent"
is its eleven current districts."""

from __future__ import annotations

import polars as pl
import pytest

from gapwatch.services.areas import area_table, grouping_members, load_england_geography
from gapwatch.services.database import open_database
from gapwatch.services.frameworks import bundled_framework_path, validate_framework
from gapwatch.settings import Settings

KENT = "E10000016"
THANET = "E07000114"
KENT_DISTRICTS = [f"E07000{n}" for n in range(105, 117)]
FRAMEWORK = validate_framework(bundled_framework_path("kent")).framework


def _areas(rows: list[tuple[str, str | None, int | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"code": pl.String, "parent_code": pl.String, "end_year": pl.Int64, "successor_code": pl.String},
        orient="row",
    )


def test_abolished_children_are_not_members_of_the_rest_of_the_parent() -> None:
    rows = [(c, KENT, None, None) for c in KENT_DISTRICTS]
    rows.append(("E07000999", KENT, 2019, "E07000112"))  # an old code of a renamed district
    rest = grouping_members(FRAMEWORK, _areas(rows), "rest-of-kent")
    assert rest == sorted(set(KENT_DISTRICTS) - {THANET})
    assert "E07000999" not in rest
    # The same geography without the end year would list the old code beside the new one.
    still = _areas([(c, p, None, s) for c, p, _, s in rows])
    assert "E07000999" in grouping_members(FRAMEWORK, still, "rest-of-kent")


def test_an_abolished_explicit_member_stands_for_its_successor_once() -> None:
    # West Kent Partnership: Sevenoaks, Tunbridge Wells, Tonbridge and Malling.
    rows = [
        ("E07000111", KENT, 2021, "E07000116"),  # pretend Sevenoaks merged into Tunbridge Wells
        ("E07000116", KENT, None, None),
        ("E07000115", KENT, 2021, "E07000200"),  # a chain: merged, then merged again
        ("E07000200", KENT, 2023, "E07000201"),
        ("E07000201", KENT, None, None),
    ]
    assert grouping_members(FRAMEWORK, _areas(rows), "west-kent-partnership") == ["E07000116", "E07000201"]
    gone = _areas([("E07000111", KENT, 2021, None), ("E07000116", KENT, None, None)])
    assert grouping_members(FRAMEWORK, gone, "west-kent-partnership") == ["E07000116", "E07000115"]


@pytest.fixture(scope="module")
def england_areas(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """Every area of England's built-in geography (with its abolished areas) and the Kent framework's own."""
    engine = open_database(Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('geo') / 'g.db'}"))
    try:
        load_england_geography(engine)
        with engine.connect() as conn:
            return area_table(conn, FRAMEWORK)
    finally:
        engine.dispose()


def test_rest_of_kent_on_englands_built_in_geography(england_areas: pl.DataFrame) -> None:
    areas = england_areas
    ended = set(areas.filter(pl.col("end_year").is_not_null())["code"])
    assert ended, "the built-in geography keeps abolished areas for history"
    rest = grouping_members(FRAMEWORK, areas, "rest-of-kent")
    assert rest == sorted(set(KENT_DISTRICTS) - {THANET})
    assert not set(rest) & ended


def test_the_rest_of_the_south_east_leaves_out_buckinghamshire_county(england_areas: pl.DataFrame) -> None:
    from gapwatch.domain.areas import AreaGrouping, GroupingKind

    areas = england_areas
    rest = AreaGrouping(id="rest-of-se", name="South East but Kent", kind=GroupingKind.REST_OF_PARENT,
                        parent="E12000008", excluding=[KENT])  # fmt: skip
    framework = FRAMEWORK.model_copy(update={"area_groupings": [*FRAMEWORK.area_groupings, rest]})
    members = grouping_members(framework, areas, "rest-of-se")
    # Buckinghamshire County Council (E10000002) was abolished in 2020; its successor E06000060 is listed.
    assert "E10000002" not in members and "E06000060" in members
    children = areas.filter(pl.col("parent_code") == "E12000008")
    assert len(members) == children.filter(pl.col("end_year").is_null()).height - 1
