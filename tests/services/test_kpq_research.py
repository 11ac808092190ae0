"""KPQ evidence from the third source, research and evaluation: consultation figures and initiatives' impact.

On constructed partnerships whose answers are known (an initiative with a planted effect, in areas that start
worse, on indicators of either polarity; a consultation's published shares either side of a threshold) and on
the Kent demo (A2-KPQ5 from the Vision for Kent consultation, under the coverage rule). The KPQ JSON's reasons
carry each item's estimate, interval and ``illustrative`` flag, the same as the initiative and consultation
commands print.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from gapwatch.cli._common import engine_for
from gapwatch.domain.cycle import CycleWindow
from gapwatch.domain.kpq import Answer, Direction, EvidenceFinding, KpqAnswer
from gapwatch.services.kpq import answer_kpqs
from tests.clirunner import run_cli

YEARS = range(2001, 2011)  # periods 2000/01 .. 2009/10; the initiative starts 1 April 2005
WINDOW = CycleWindow(start=date(2010, 4, 1), as_of=date(2010, 10, 1), cutoff=date(2010, 9, 30))


def _framework(*, target: float, comparison: float, effect: float, polarity: str) -> dict[str, Any]:
    """Two target wards at ``target``, two comparison wards at ``comparison`` (proportions), the target wards
    moved by ``effect`` from 2005/06; a consultation with published shares of 81% and 48% of 793."""
    wards = {"W1": target, "W2": target, "W4": comparison, "W5": comparison}
    observations = [
        {
            "id": f"OB-{w}-{y}",
            "indicator": "IND",
            "area": w,
            "period": f"{y - 1}/{str(y)[2:]}",
            "value": round(100 * (p + (effect if w in ("W1", "W2") and y >= 2006 else 0.0)), 6),
            "numerator": round((p + (effect if w in ("W1", "W2") and y >= 2006 else 0.0)) * 10000),
            "denominator": 10000,
        }
        for w, p in wards.items()
        for y in YEARS
    ]
    return {
        "schema_version": 1,
        "id": "testshire",
        "name": "Testshire",
        "partnership": "Testshire Partnership",
        "ambitions": [{"id": "A1", "number": 1, "title": "Tackle disadvantage"}],
        "indicators": [
            {"id": "IND", "code": "IN1", "title": "Outcome", "measure": "proportion", "polarity": polarity, "unit": "%"}
        ],
        "areas": [
            {"id": "X0", "name": "Testshire", "level": "county"},
            *({"id": w, "name": f"Ward {w}", "level": "ward", "parent": "X0"} for w in wards),
        ],
        "initiatives": [
            {
                "id": "tip",
                "name": "Testshire Independence Programme",
                "target_areas": ["W1", "W2"],
                "comparison_areas": ["W4", "W5"],
                "start": "2005-04-01",
                "indicators": ["IND"],
                "kpqs": ["A1-KPQ2"],
            }
        ],
        "consultations": [
            {
                "id": "survey",
                "name": "Residents' survey",
                "responses": 793,
                "respondent_types": [{"id": "public", "label": "Members of the public"}],
                "questions": [
                    {
                        "id": "confident",
                        "text": "Are you confident of a good quality of life?",
                        "options": [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}],
                        "kpqs": ["A1-KPQ2"],
                    }
                ],
                "published": [
                    {"question": "confident", "option": "yes", "percent": 81, "base": 793},
                    {"question": "confident", "option": "no", "percent": 48, "base": 793},
                ],
            }
        ],
        "kpqs": [
            {
                "id": "A1-KPQ1",
                "ambition": "A1",
                "number": 1,
                "question": "Is the initiative closing the gap?",
                "evidence": [{"measure": "initiative_impact", "initiative": "tip", "indicator": "IND"}],
            },
            {
                "id": "A1-KPQ2",
                "ambition": "A1",
                "number": 2,
                "question": "Are people confident of a good quality of life?",
                "evidence": [
                    {
                        "measure": "consultation",
                        "consultation": "survey",
                        "question": "confident",
                        "option": "yes",
                        "threshold": 50,
                    },
                    {
                        "measure": "consultation",
                        "consultation": "survey",
                        "question": "confident",
                        "option": "no",
                        "threshold": 50,
                    },
                    {
                        "measure": "consultation",
                        "consultation": "survey",
                        "question": "confident",
                        "option": "no",
                        "threshold": 40,
                    },
                ],
            },
        ],
        "observations": observations,
    }


def _load(tmp_path: Path, fw: dict[str, Any]) -> Path:
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(fw, sort_keys=False))
    db = tmp_path / "t.db"
    result = run_cli("framework", "load", str(path), "--db", str(db))
    assert result.exit_code == 0, result.output
    return db


def _answers(db: Path) -> dict[str, KpqAnswer]:
    engine: Engine = engine_for(db)
    try:
        return {a.kpq: a for a in answer_kpqs(engine, window=WINDOW)}
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("target", "comparison", "effect", "polarity"),
    [
        (0.06, 0.10, 0.03, "higher_is_better"),  # exits from benefits: the wards start 4 points behind, gain 3
        (0.20, 0.10, -0.03, "lower_is_better"),  # claimants: the wards start 10 points worse, fall by 3
    ],
)
def test_an_initiative_closing_a_gap_counts_for_with_its_interval(
    tmp_path: Path, target: float, comparison: float, effect: float, polarity: str
) -> None:
    db = _load(tmp_path, _framework(target=target, comparison=comparison, effect=effect, polarity=polarity))
    answer = _answers(db)["A1-KPQ1"]
    finding = answer.reasons[0]
    assert finding.measure == "initiative_impact" and finding.source == "research"
    assert finding.direction is Direction.SUPPORTS
    assert finding.verdict == "improved (closes the gap)"
    assert finding.value == pytest.approx(100 * effect)
    assert finding.lower is not None and finding.upper is not None
    assert finding.lower < 100 * effect < finding.upper and (finding.lower > 0 or finding.upper < 0)
    assert finding.unit == "percentage points" and finding.illustrative is False
    assert answer.answer is Answer.YES and answer.coverage == "1 of 1"
    # The same difference in differences as `gapwatch initiative impact` prints.
    impact = json.loads(run_cli("initiative", "impact", "tip", "--db", str(db), "--format", "json").stdout)
    assert (impact["did"]["value"], impact["did"]["lower"], impact["did"]["upper"]) == pytest.approx(
        (finding.value, finding.lower, finding.upper)
    )


def test_an_initiative_whose_areas_fell_further_behind_counts_against(tmp_path: Path) -> None:
    db = _load(tmp_path, _framework(target=0.06, comparison=0.10, effect=-0.02, polarity="higher_is_better"))
    finding = _answers(db)["A1-KPQ1"].reasons[0]
    assert finding.direction is Direction.AGAINST and finding.verdict == "worsened"
    assert finding.upper is not None and finding.upper < 0


def test_consultation_shares_are_judged_by_their_wilson_interval(tmp_path: Path) -> None:
    db = _load(tmp_path, _framework(target=0.06, comparison=0.10, effect=0.0, polarity="higher_is_better"))
    answer = _answers(db)["A1-KPQ2"]
    above, spanning, above_40 = answer.reasons[:3]
    # 81% of 793: Wilson 95% interval 78.1% to 83.6%, wholly above 50%.
    assert above.direction is Direction.SUPPORTS and above.verdict == "significantly above 50%"
    assert (above.value, round(above.lower or 0, 1), round(above.upper or 0, 1)) == (81, 78.1, 83.6)
    assert above.unit == "%" and above.source == "research" and above.illustrative is False
    assert "self-selected" in (above.detail or "")
    # 48% of 793: 44.5% to 51.5% spans 50% (no significant difference) but lies wholly above 40%.
    assert spanning.direction is Direction.NEUTRAL and spanning.verdict == "not significantly different from 50%"
    assert above_40.direction is Direction.SUPPORTS and above_40.verdict == "significantly above 40%"
    assert answer.answer is Answer.YES and answer.coverage == "3 of 3"  # two for, one neutral, none against
    # The initiative names this KPQ but no rule of it judges the initiative: context, counted neither way. The
    # question names it too, but rules already judge it, so it is not listed again.
    assert len(answer.reasons) == 4
    context = answer.reasons[3]
    assert context.label == "Initiative: Testshire Independence Programme" and context.counted is False


def test_a_share_below_the_threshold_counts_against(tmp_path: Path) -> None:
    fw = _framework(target=0.06, comparison=0.10, effect=0.0, polarity="higher_is_better")
    fw["kpqs"][1]["evidence"] = [
        {"measure": "consultation", "consultation": "survey", "question": "confident", "option": "no", "threshold": 60}
    ]
    answer = _answers(_load(tmp_path, fw))["A1-KPQ2"]
    assert answer.reasons[0].direction is Direction.AGAINST and answer.answer is Answer.NO


def test_a_rule_naming_an_option_the_question_lacks_is_refused_with_its_field(tmp_path: Path) -> None:
    fw = _framework(target=0.06, comparison=0.10, effect=0.0, polarity="higher_is_better")
    fw["kpqs"][1]["evidence"][0]["option"] = "maybe"
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(fw, sort_keys=False))
    result = run_cli("framework", "load", str(path), "--db", str(tmp_path / "t.db"))
    assert result.exit_code == 1
    assert "option" in result.stderr and "'maybe' is not an option of question 'confident'" in result.stderr
    assert (
        not (tmp_path / "t.db").exists()
        or "survey" not in run_cli("consultation", "list", "--db", str(tmp_path / "t.db")).stdout
    )


def _kent_a2_kpq5(engine: Engine) -> KpqAnswer:
    window = CycleWindow.ending(date(2012, 12, 31), "2012 H2")
    return next(a for a in answer_kpqs(engine, window=window, ambition=2) if a.kpq == "A2-KPQ5")


def test_kent_a2_kpq5_counts_the_vision_for_kent_consultation(kent_demo: tuple[Engine, Path]) -> None:
    answer = _kent_a2_kpq5(kent_demo[0])
    consult = [r for r in answer.reasons if r.measure == "consultation"]
    counted = next(r for r in consult if r.counted)
    assert counted.direction is Direction.SUPPORTS and counted.illustrative is False
    assert counted.value == 81 and counted.source == "research"
    assert (round(counted.lower or 0, 1), round(counted.upper or 0, 1)) == (78.1, 83.6)
    # The coverage rule: one item of five has data, so the consultation alone cannot make it a Yes.
    assert answer.coverage == "1 of 5" and answer.answer is Answer.NOT_ENOUGH_EVIDENCE
    assert answer.rule.startswith("6:")
    context = [r for r in consult if not r.counted]
    assert len(context) == 1 and "56%" in (context[0].detail or "") and "52.5% to 59.4%" in (context[0].detail or "")


def test_kent_consultation_figure_is_the_same_on_the_consultation_page_and_the_kpq(
    kent_demo: tuple[Engine, Path],
) -> None:
    from gapwatch.queries.consultations import consultation_doc

    doc = consultation_doc(kent_demo[0], "vision-for-kent-2011")
    fig = next(f for f in doc["published"] if f["question"] == "right-balance" and f["option"] == "yes")
    counted = next(r for r in _kent_a2_kpq5(kent_demo[0]).reasons if r.measure == "consultation" and r.counted)
    assert (counted.value, counted.lower, counted.upper) == (fig["percent"], fig["lower"], fig["upper"])


def test_kent_kpq_json_carries_the_interval_and_illustrative_flag(kent_demo: tuple[Engine, Path]) -> None:
    engine, path = kent_demo
    result = run_cli(
        "kpq", "answer", "--db", str(path), "--cutoff", "2012-12-31", "--ambition", "2", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    shown = body if isinstance(body, list) else body["answers"]
    item = next(a for a in shown if a["kpq"] == "A2-KPQ5")
    reasons = [EvidenceFinding.model_validate(r) for r in item["reasons"]]
    assert reasons == _kent_a2_kpq5(engine).reasons
    counted = next(r for r in item["reasons"] if r["measure"] == "consultation" and r["counted"])
    assert {"value", "lower", "upper", "unit", "illustrative", "source"} <= set(counted)
    # Kent's initiatives name KPQs but have no start date: listed as context, counted neither way.
    a2 = {a["kpq"]: a for a in shown}
    sip = [r for r in a2["A2-KPQ1"]["reasons"] if r["label"] == "Initiative: Supporting Independence Programme (SIP)"]
    assert len(sip) == 1 and sip[0]["counted"] is False and "no start date recorded" in sip[0]["verdict"]


def test_imported_responses_replace_the_published_figure_and_the_cached_answer(tmp_path: Path) -> None:
    from gapwatch.services._plan import current_plan
    from gapwatch.services.kpq import dashboard_answers
    from gapwatch.store.engine import session_scope

    db = _load(tmp_path, _framework(target=0.06, comparison=0.10, effect=0.0, polarity="higher_is_better"))
    engine: Engine = engine_for(db)

    def first_reason() -> EvidenceFinding:
        with session_scope(engine) as session:
            answers = dashboard_answers(session, current_plan(session), window=WINDOW)["A1"]
        return next(a for a in answers if a.kpq == "A1-KPQ2").reasons[0]

    try:
        assert first_reason().value == 81  # the published summary
        rows = "response_id,respondent_type,confident\n" + "".join(
            f"R{i},public,{'yes' if i < 3 else 'no'}\n" for i in range(10)
        )
        (tmp_path / "r.csv").write_text(rows)
        result = run_cli("consultation", "import", "survey", str(tmp_path / "r.csv"), "--illustrative", "--db", str(db))
        assert result.exit_code == 0, result.output
        after = first_reason()  # not the cached answer: the responses are part of the cache key
        assert after.value == pytest.approx(30.0) and after.illustrative is True
        assert after.direction is Direction.NEUTRAL  # 3 of 10: 10.8% to 60.3%, spanning 50%
        assert (round(after.lower or 0, 1), round(after.upper or 0, 1)) == (10.8, 60.3)
        assert after.upper is not None and after.lower is not None and after.lower < 30 < after.upper
    finally:
        engine.dispose()


def test_the_kpq_text_output_gives_the_estimate_with_its_interval_and_marks_context(tmp_path: Path) -> None:
    db = _load(tmp_path, _framework(target=0.06, comparison=0.10, effect=0.03, polarity="higher_is_better"))
    out = tmp_path / "answers.txt"
    result = run_cli("kpq", "answer", "--cutoff", "2010-09-30", "--db", str(db), "--output", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    impact = next(line for line in lines if "impact of Testshire Independence Programme" in line)
    assert (
        impact.startswith("  [+] IN1 Outcome: impact of")
        and "improved (closes the gap) (3 percentage points, 95% CI" in impact
    )
    share = next(line for line in lines if "significantly above 50%" in line)
    assert share.endswith("(81%, 95% CI 78.1% to 83.6%)")
    assert any(line.startswith("  [·] Initiative: Testshire Independence Programme") for line in lines)
