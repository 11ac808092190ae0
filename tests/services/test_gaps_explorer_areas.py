"""The gaps explorer's area chooser on an indicator with small-area data: the plan's areas and districts are
offered by name, the thousands of LSOAs are not (with England's 32,844 the page was 1.5 MB), and an LSOA can still
be asked for by its code."""

from __future__ import annotations

from pathlib import Path

from gapwatch.queries.reading import reading
from gapwatch.services.database import open_database
from gapwatch.services.gaps_explorer import explore
from gapwatch.services.imports import import_file
from gapwatch.settings import Settings
from tests.conftest import copy_database

THANET, KENT = "E07000114", "E10000016"
THANET_LSOAS = ["E01024633", "E01024634", "E01024635", "E01024636"]


def test_small_areas_are_not_offered_but_can_be_named(kent_demo_file: Path, tmp_path: Path) -> None:
    engine = open_database(
        Settings(database_url=f"sqlite:///{copy_database(kent_demo_file, tmp_path / 'demo.db')}"), migrate=False
    )
    try:
        lines = ["indicator,area_code,period,value,numerator,denominator"]
        for period in ("2017/18", "2018/19", "2019/20"):
            lines += [f"NI116,{code},{period},{20 + i},{20 + i},100" for i, code in enumerate(THANET_LSOAS)]
            lines += [f"NI116,{THANET},{period},21.5,86,400", f"NI116,{KENT},{period},17,3400,20000"]
        data = tmp_path / "lsoa.csv"
        data.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert import_file(engine, data, actor="tester").inserted == 18
        with reading(engine) as session:
            offered = dict(explore(session, "NI116", "group").areas)
            named = dict(explore(session, "NI116", "group", area=THANET_LSOAS[0]).areas)
    finally:
        engine.dispose()
    assert offered.get(THANET) == "Thanet" and offered.get(KENT) == "Kent"
    assert not set(THANET_LSOAS) & set(offered)
    assert named[THANET_LSOAS[0]] == "Thanet 006A"  # named by the LSOA lookup the demo loads
    assert not set(THANET_LSOAS[1:]) & set(named)
