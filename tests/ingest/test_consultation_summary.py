"""A consultation's published summary counts imported from a CSV file (question, option, respondent type, count,
base): Kent's Vision for Kent figures as counts, and each refusal — an option not in the question, a count above
its base, a 'choose two' question whose counts exceed twice the base — named by file, row and field, with nothing
written. Rows are numbered as the file's lines (the header is line 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gapwatch.domain.consultations import Consultation
from gapwatch.errors import InvalidInput
from gapwatch.ingest.consultations import read_summary
from tests.clirunner import run_cli

KENT = Path(__file__).resolve().parents[2] / "gapwatch" / "frameworks" / "kent" / "consultation-vision-for-kent.yaml"

HEADER = "question,option,respondent_type,count,base\n"
#: Kent's published shares as whole counts of 793 (81% -> 642; the Ambition 2 actions: 56/48/31/25/19/17%).
SOUND = HEADER + (
    "right-balance,yes,,642,793\n"
    "vcs-priorities,Well represented,vcs,27,46\n"
    "a2-actions,young-people-ete,,444,793\n"
    "a2-actions,unemployed-into-work,,381,793\n"
    "a2-actions,health-social-care,,246,793\n"
    "a2-actions,homes-communities,,198,793\n"
    "a2-actions,find-public-services,,151,793\n"
    "a2-actions,mental-health,,135,793\n"
    "respondent_type,Parish Councils,,56,793\n"
)


def _kent() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(KENT.read_text(encoding="utf-8"))["consultations"][0]
    data["kpqs"] = []
    for q in data["questions"]:
        q["kpqs"] = []
    return data


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "summary.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        read_summary(_csv(tmp_path, text), Consultation.model_validate(_kent()))
    assert "nothing was written" in caught.value.message
    return [str(p) for p in caught.value.problems]


def test_a_sound_summary_gives_the_published_figures(tmp_path: Path) -> None:
    figures = read_summary(_csv(tmp_path, SOUND), Consultation.model_validate(_kent()))
    assert len(figures) == 9
    first = figures[0]
    assert (first.question, first.option, first.respondent_type, first.count, first.base) == (
        "right-balance",
        "yes",
        None,
        642,
        793,
    )
    assert figures[1].option == "yes" and figures[1].respondent_type == "vcs"  # labels resolved to ids
    assert figures[-1].option == "parish-council"
    # choose two: 444+381+246+198+151+135 = 1,555 of 793, 196% (at most 200%)
    assert sum(f.count or 0 for f in figures if f.question == "a2-actions") == 1555


def test_an_option_not_in_the_question_is_refused_by_row_and_field(tmp_path: Path) -> None:
    problems = _problems(tmp_path, HEADER + "right-balance,yes,,642,793\nright-balance,perhaps,,10,793\n")
    assert problems == ["summary.csv, row 3, field 'option': 'perhaps' is not an option of question 'right-balance'"]


def test_a_count_above_its_base_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, HEADER + "business-better-place,yes,business,14,13\n")
    assert "summary.csv, row 2, field 'count': the count 14 is more than the base 13" in problems


def test_a_choose_two_question_whose_counts_exceed_twice_the_base_is_refused(tmp_path: Path) -> None:
    rows = "".join(
        f"a2-actions,{o},,{n},100\n"
        for o, n in [("young-people-ete", 90), ("unemployed-into-work", 80), ("mental-health", 40)]
    )
    problems = _problems(tmp_path, HEADER + rows)
    assert problems == [
        "summary.csv, row 4, field 'count': the counts of question 'a2-actions' add up to 210, more than 2 x the base"
        " 100 (each respondent answers it at most 2 time(s))"
    ]
    # The same counts are fine for a base of 105 (210 = 2 x 105).
    fine = read_summary(_csv(tmp_path, HEADER + rows.replace(",100\n", ",105\n")), Consultation.model_validate(_kent()))
    assert len(fine) == 3


def test_unknown_question_type_and_bad_numbers_are_each_located(tmp_path: Path) -> None:
    text = HEADER + "wellbeing,yes,,1,10\nright-balance,yes,martian,1,10\nright-balance,no,,x,10\n"
    problems = _problems(tmp_path, text)
    assert any(p.startswith("summary.csv, row 2, field 'question': 'wellbeing' is not a question") for p in problems)
    assert any(p.startswith("summary.csv, row 3, field 'respondent_type': 'martian'") for p in problems)
    assert "summary.csv, row 4, field 'count': 'x' is not a whole number of 0 or more" in problems


def test_the_cli_imports_it_or_writes_nothing(tmp_path: Path) -> None:
    fw = {"schema_version": 1, "id": "kentish", "name": "Kentish", "partnership": "P", "consultations": [_kent()]}
    (tmp_path / "fw.yaml").write_text(yaml.safe_dump(fw, sort_keys=False))
    db = tmp_path / "t.db"
    assert run_cli("framework", "load", str(tmp_path / "fw.yaml"), "--db", str(db)).exit_code == 0
    show = ["consultation", "show", "vision-for-kent-2011", "--db", str(db), "--format", "json"]
    before = json.loads(run_cli(*show).stdout)["published"]
    bad = _csv(tmp_path, SOUND + "a2-actions,three-choices,,1,793\n")
    result = run_cli("consultation", "import", "vision-for-kent-2011", str(bad), "--summary", "--db", str(db))
    assert result.exit_code == 1 and "row 11, field 'option'" in result.stderr
    assert json.loads(run_cli(*show).stdout)["published"] == before  # nothing written
    good = _csv(tmp_path, SOUND)
    result = run_cli("consultation", "import", "vision-for-kent-2011", str(good), "--summary", "--db", str(db))
    assert result.exit_code == 0, result.output
    after = json.loads(run_cli(*show).stdout)["published"]
    balance = next(f for f in after if f["question"] == "right-balance")
    # 642 of 793 = 80.96%, Wilson 95% interval 78.1% to 83.5%: the counts, not a printed percentage
    assert balance["count"] == 642 and balance["percent"] == pytest.approx(100 * 642 / 793)
    assert (round(balance["lower"], 1), round(balance["upper"], 1)) == (78.1, 83.5)
    assert len(after) == 9
