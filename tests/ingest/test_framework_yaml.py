"""Framework files: every kind of bad input is reported with file and line, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from gapwatch.errors import InvalidInput
from gapwatch.ingest.framework_yaml import dump_framework_yaml, framework_json, read_framework
from gapwatch.services.frameworks import load_framework
from gapwatch.store.engine import session_scope
from gapwatch.store.tables import FrameworkItemRow, FrameworkRow
from tests.clirunner import run_cli

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"


def mutate(tmp_path: Path, old: str, new: str, name: str = "bad.yaml") -> Path:
    text = MINI.read_text()
    assert old in text, f"fixture no longer contains {old!r}"
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


# (case name, old text, new text, expected message fragment, text on the line the message must name)
BAD_CASES = [
    (
        "unknown reference",
        "    outcome: O1A\n    text: Fund",
        "    outcome: O9Z\n    text: Fund",
        "unknown outcome 'O9Z'",
        "outcome: O9Z",
    ),
    (
        "duplicate id",
        "  - {id: S1, name: South",
        "  - {id: N1, name: South",
        "duplicate id 'N1'",
        "id: N1, name: South",
    ),
    (
        "missing field",
        "    question: Is the attainment gap narrowing?\n",
        "",
        "missing required field",
        "- id: R1-KPQ1",
    ),
    (
        "wrong type",
        "    number: 1\n    title: Close",
        "    number: one\n    title: Close",
        "valid integer",
        "number: one",
    ),
    ("unknown field", "    horizon: long", "    horizen: long", "unknown field", "horizen: long"),
    (
        "target before baseline",
        "period: 2022/23 AY",
        "period: 2017/18 AY",
        "ends before its baseline",
        "- id: T1",
    ),
    (
        "gap-closing target without its gap",
        "    gap: {subject: N1, comparator: rest-of-riverton, percent_min: 30}\n",
        "",
        "needs a 'gap'",
        "- id: T2",
    ),
    (
        "bad enum value",
        "polarity: higher_is_better",
        "polarity: up_is_good",
        "higher_is_better",
        "polarity: up_is_good",
    ),
    (
        "bad period",
        'period: "2019/20 AY", value: 54',
        'period: "Spring-ish", value: 54',
        "not a period",
        "Spring-ish",
    ),
    ("likelihood out of range", "likelihood: 3", "likelihood: 9", "less than or equal to 5", "likelihood: 9"),
    (
        "duplicate YAML key",
        "    horizon: long\n",
        "    horizon: long\n    horizon: short\n",
        "duplicate key 'horizon'",
        "horizon: short",
    ),
    ("id with a space", "  - id: RA-1\n", "  - id: RA 1\n", "no spaces", "id: RA 1"),
    (
        "area parent below child",
        "{id: X0, name: Riverton, level: county}",
        "{id: X0, name: Riverton, level: lsoa}",
        "is not above",
        "id: N1",
    ),
    (
        "category not in its type",
        "category_type: fsm, category: non-fsm",
        "category_type: fsm, category: sen",
        "not a category",
        "id: OB2",
    ),
]


@pytest.mark.parametrize(("case", "old", "new", "message", "line_text"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_framework_names_file_line_and_writes_nothing(
    tmp_path: Path, sqlite_engine: Engine, case: str, old: str, new: str, message: str, line_text: str
) -> None:
    path = mutate(tmp_path, old, new)
    with pytest.raises(InvalidInput) as caught:
        load_framework(sqlite_engine, path)
    problems = caught.value.problems
    matching = [p for p in problems if message in p.message]
    assert matching, f"{case}: no problem mentions {message!r}: {[str(p) for p in problems]}"
    assert matching[0].file == str(path)
    assert matching[0].line == line_of(path, line_text), str(matching[0])
    with session_scope(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(FrameworkRow)) == 0
        assert session.scalar(select(func.count()).select_from(FrameworkItemRow)) == 0


def test_malformed_yaml_gives_line(tmp_path: Path) -> None:
    path = mutate(tmp_path, "    title: Fairer outcomes", "    title: [Fairer outcomes")
    with pytest.raises(InvalidInput) as caught:
        read_framework(path)
    (problem,) = caught.value.problems
    assert "not valid YAML" in problem.message
    assert problem.line is not None and problem.line >= line_of(path, "[Fairer outcomes")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINI.read_text().replace("Jo Bloggs", "Jo Blögs").encode("latin-1"))
    with pytest.raises(InvalidInput) as caught:
        read_framework(path)
    assert "not UTF-8" in caught.value.problems[0].message
    assert caught.value.problems[0].line == line_of(MINI, "Jo Bloggs")


def test_missing_file_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_framework(tmp_path / "nope.yaml")
    with pytest.raises(InvalidInput, match="no .yaml files"):
        read_framework(tmp_path)


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    path = mutate(tmp_path, "    outcome: O1A\n    text: Fund", "    outcome: O9Z\n    text: Fund")
    text = path.read_text().replace("owner: jo, likelihood", "owner: nobody, likelihood")
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        read_framework(path)
    messages = " | ".join(p.message for p in caught.value.problems)
    assert "unknown outcome 'O9Z'" in messages and "unknown person 'nobody'" in messages


def test_folder_merges_files_and_locates_problems_in_the_right_file(tmp_path: Path) -> None:
    text = MINI.read_text()
    head, tail = text.split("indicators:\n", 1)
    (tmp_path / "a.yaml").write_text(head)
    (tmp_path / "b.yaml").write_text("indicators:\n" + tail.replace("outcomes: [O1A]", "outcomes: [O1A, NOPE]"))
    with pytest.raises(InvalidInput) as caught:
        read_framework(tmp_path)
    (problem,) = caught.value.problems
    assert problem.file == str(tmp_path / "b.yaml")
    assert problem.line == line_of(tmp_path / "b.yaml", "NOPE")
    assert "unknown outcome 'NOPE'" in problem.message


def test_round_trip_yaml_is_exact(tmp_path: Path) -> None:
    first = read_framework(MINI).framework
    out = tmp_path / "export.yaml"
    out.write_text(dump_framework_yaml(first))
    second = read_framework(out).framework
    assert second == first
    assert dump_framework_yaml(second) == out.read_text()


def test_json_export_has_one_list_per_kind_with_ids() -> None:
    import json

    data = json.loads(framework_json(read_framework(MINI).framework))
    for kind in [
        "ambitions",
        "kpqs",
        "priorities",
        "outcomes",
        "actions",
        "enablers",
        "indicators",
        "targets",
        "areas",
        "groups",
        "boards",
        "organisations",
        "delivery_plans",
        "risks",
        "evidence",
    ]:
        assert isinstance(data[kind], list), kind
        assert all("id" in item for item in data[kind]), kind
    assert data["actions"][0]["outcome"] == "O1A"
    assert data["framework"]["id"] == "riverton"


def test_cli_validate_bad_file_exit_1_one_clear_message(tmp_path: Path) -> None:
    path = mutate(tmp_path, "    outcome: O1A\n    text: Fund", "    outcome: O9Z\n    text: Fund")
    result = run_cli("framework", "validate", str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}, line {line_of(path, 'outcome: O9Z')}" in result.output
    assert "unknown outcome 'O9Z'" in result.output


def test_cli_usage_error_exit_2() -> None:
    result = run_cli("framework", "validate")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- hostile framework files: refused within bounded time and memory, with the file named -------------------


def _problems(path: Path) -> str:
    with pytest.raises(InvalidInput) as info:
        read_framework(path)
    return " | ".join(f"{p.file}: {p.message}" for p in info.value.problems)


def test_alias_bomb_is_refused_not_expanded(tmp_path: Path) -> None:
    """A "billion laughs" file (nine levels of ten aliases: 10^9 values once expanded) is refused while walking."""
    lines = [
        "id: bomb",
        "name: Bomb",
        "partnership: P",
        'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for n in range(1, 10):
        refs = ",".join(f"*a{n - 1}" for _ in range(10))
        lines.append(f"a{n}: &a{n} [{refs}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    message = _problems(bomb)
    assert "bomb.yaml" in message and "more than 1,000,000 values" in message


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    for depth in (100, 5000):
        deep = tmp_path / f"deep{depth}.yaml"
        deep.write_text("id: deep\nx: " + "[" * depth + "]" * depth + "\n")
        message = _problems(deep)
        assert f"deep{depth}.yaml" in message and "nested more than 64 deep" in message


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("id: big\nnote: " + "x" * (6 * 1024 * 1024) + "\n")
    message = _problems(big)
    assert "big.yaml" in message and "at most 5 MB" in message
