"""Consultation figures: Kent's published Vision for Kent summary with Wilson intervals, response-level shares by
respondent type on a generated file flagged illustrative, free-text coding, and bad response files refused with
row and field."""

from __future__ import annotations

import polars as pl
import pytest

from gapwatch.analysis.consultations import code_texts, kpq_evidence, published_results, response_results, theme_counts
from gapwatch.domain.consultations import Consultation
from gapwatch.errors import InvalidInput
from gapwatch.ingest.consultations import parse_responses
from gapwatch.services.frameworks import bundled_framework_path, validate_framework
from gapwatch.stats.proportions import wilson_limits


@pytest.fixture(scope="module")
def vfk() -> Consultation:
    fw = validate_framework(bundled_framework_path()).framework
    found: Consultation = fw.index("consultations")["vision-for-kent-2011"]
    return found


def test_kent_published_summary_is_transcribed_with_intervals(vfk: Consultation) -> None:
    assert vfk.responses == 793
    rows = {(r.question, r.option, r.respondent_type): r for r in published_results(vfk)}
    types = {k[1]: r for k, r in rows.items() if k[0] == "respondent_type"}
    assert {k: r.count for k, r in types.items()} == {
        "public": 595.0,  # 75% of 793, derived
        "parish-council": 56.0,
        "public-sector": 64.0,
        "vcs": 46.0,
        "business": 13.0,
    }
    assert types["public"].derived_count and not types["vcs"].derived_count
    actions = [r.percent for k, r in rows.items() if k[0] == "a2-actions"]
    assert actions == [56, 48, 31, 25, 19, 17]
    balance = rows[("right-balance", "yes", None)]
    assert balance.percent == 81 and balance.base == 793
    lo, hi = wilson_limits([0.81 * 793], [793], 0.95)  # the interval is Wilson's on the stated base
    assert balance.lower == pytest.approx(lo[0] * 100) and balance.upper == pytest.approx(hi[0] * 100)
    assert 78 < balance.lower < 81 < balance.upper < 84
    business = rows[("business-better-place", "yes", "business")]
    assert business.base == 13 and business.upper - business.lower > 40  # 13 respondents: a wide interval
    assert all(r.source and "001_1ede7d43dc0ae1c4.txt" in r.source for r in rows.values())
    evidence = kpq_evidence(vfk, published_results(vfk))
    assert {e.kpq for e in evidence} == {"A2-KPQ5"} and len(evidence) == 6
    assert evidence[0].finding.startswith("56% (95% CI 52.5% to 59.4%)") and "self-selected" in evidence[0].caveat


def _frame(rows: list[dict[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows).with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))


def _generated(n: int = 200) -> pl.DataFrame:
    """An illustrative response file: deterministic, not real responses."""
    types = ["public", "public", "public", "parish-council", "vcs"]
    opts = ["young-people-ete", "unemployed-into-work", "health-social-care", "homes-communities"]
    texts = ["More apprenticeships for young people", "Better bus services in rural areas", "", "Affordable housing"]
    return _frame(
        [
            {
                "response_id": f"R{i:04d}",
                "respondent_type": types[i % 5],
                "right-balance": "yes" if i % 5 else "No",
                "a2-actions": f"{opts[i % 4]}; {opts[(i + 1) % 4]}" if i % 3 else opts[i % 4],
                "other-actions": texts[i % 4],
            }
            for i in range(n)
        ]
    )


def test_response_level_shares_overall_and_by_type(vfk: Consultation) -> None:
    parsed = parse_responses(_generated(), vfk, "generated.csv")
    results = response_results(vfk, parsed.answers, illustrative=True)
    overall = {(r.question, r.option): r for r in results if r.respondent_type is None}
    yes = overall[("right-balance", "yes")]
    assert (yes.count, yes.base) == (160, 200) and yes.percent == pytest.approx(80.0) and yes.illustrative
    lo, hi = wilson_limits([160], [200], 0.95)
    assert yes.lower == pytest.approx(lo[0] * 100) and yes.upper == pytest.approx(hi[0] * 100)
    chosen = sum(r.count or 0 for (q, _), r in overall.items() if q == "a2-actions")
    assert chosen == 200 + 133  # one choice each, a second for the 133 rows with i % 3 != 0
    vcs = [r for r in results if r.respondent_type == "vcs" and r.question == "right-balance" and r.option == "yes"]
    assert vcs and vcs[0].base == 40 and vcs[0].count == 40 and vcs[0].respondent_label.startswith("Voluntary")


def test_free_text_coded_by_the_codebook(vfk: Consultation) -> None:
    parsed = parse_responses(_generated(8), vfk, "generated.csv")
    coded = code_texts(parsed.texts.select("response", "text"), vfk.codebook)
    themes = {
        r: sorted(coded.filter(pl.col("response") == r).get_column("theme").to_list()) for r in ("R0000", "R0001")
    }
    assert themes["R0000"] == ["education-skills"]  # apprenticeships (a whole word), "young people" (a phrase)
    assert themes["R0001"] == ["services-access", "transport"]  # "services" and "bus", "rural": two themes
    counts = {t.theme: t for t in theme_counts(parsed.texts.select("response", "text"), coded, vfk.codebook)}
    assert counts["housing"].count == 2 and counts["housing"].base == 6
    assert counts["housing"].examples == ["Affordable housing", "Affordable housing"]


def test_an_answer_outside_the_options_and_three_choices_are_refused(vfk: Consultation) -> None:
    bad = _frame(
        [
            {"response_id": "A", "respondent_type": "public", "right-balance": "maybe", "a2-actions": "mental-health"},
            {
                "response_id": "B",
                "respondent_type": "public",
                "right-balance": "yes",
                "a2-actions": "mental-health; homes-communities; Support unemployed people to get back into work",
            },
            {"response_id": "C", "respondent_type": "martian", "right-balance": "yes", "a2-actions": ""},
        ]
    )
    with pytest.raises(InvalidInput) as caught:
        parse_responses(bad, vfk, "responses.csv")
    text = [str(p) for p in caught.value.problems]
    assert "responses.csv, row 1, field 'right-balance': 'maybe' is not an option of question 'right-balance'" in text
    assert any(t.startswith("responses.csv, row 2, field 'a2-actions': 3 choices") and "at most 2" in t for t in text)
    assert any(t.startswith("responses.csv, row 3, field 'respondent_type': 'martian'") for t in text)
    assert "nothing was written" in caught.value.message
