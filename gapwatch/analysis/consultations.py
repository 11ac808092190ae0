"""What a consultation says: percentages with Wilson intervals, themes of the free text, evidence for KPQs.

One place decides every consultation figure gapwatch shows (pages, API, CLI, board papers):

* :func:`published_results` — a published summary's figures as proportions of their base with Wilson score
  intervals (Wilson 1927; Newcombe 1998 method 3, as Fingertips uses). A figure printed as a percentage has its
  count derived as percent x base (marked ``derived``); a figure with no base has no interval, and says why.
* :func:`response_results` — the same from response-level rows, overall and by respondent type, the base of
  each question being the respondents who answered it. For a "choose two" question each option is the share of
  respondents choosing it, so the shares sum to up to 200%.
* :func:`code_texts` / :func:`theme_counts` — free text coded to the codebook's themes (a keyword matches a whole
  word, a phrase anywhere, case ignored; an answer may carry several themes), and the share of answers per theme
  with its interval and a few examples.
* :func:`kpq_evidence` — the consultation's figures for the KPQs its questions serve, each with its interval.
* :func:`judge_share` — the statistical verdict a KPQ rule counts: is the share of respondents giving an answer
  above or below a stated threshold? Above when the whole Wilson interval lies above it, below when the whole
  interval lies below, otherwise not significantly different (the benchmark rule Fingertips applies to a value
  and its interval, Public Health England 2018, "Technical Guide: Confidence intervals").

A consultation's results are views: they describe who responded, not the whole population (a consultation is a
self-selected sample), and every evidence item says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import polars as pl

from gapwatch.domain.consultations import Consultation, QuestionKind, Theme
from gapwatch.stats.proportions import wilson_limits

__all__ = [
    "LEVEL",
    "SELF_SELECTED",
    "ConsultationResult",
    "KpqEvidenceItem",
    "ShareJudgement",
    "ShareVerdict",
    "ThemeCount",
    "code_texts",
    "judge_share",
    "kpq_evidence",
    "published_results",
    "response_results",
    "theme_counts",
]

#: The confidence level of every consultation interval.
LEVEL = 0.95
METHOD = "Wilson score interval"
SELF_SELECTED = "views of those who responded (a self-selected sample), not of all residents"


@dataclass(frozen=True)
class ConsultationResult:
    """One answer's share of a base: count, percent and Wilson interval (percent scale), or why none."""

    question: str
    question_text: str
    option: str | None
    option_label: str | None
    respondent_type: str | None
    respondent_label: str
    count: float | None
    base: int | None
    percent: float | None
    lower: float | None
    upper: float | None
    level: float
    method: str
    derived_count: bool = False
    source: str | None = None
    note: str | None = None
    reason: str | None = None
    illustrative: bool = False


@dataclass(frozen=True)
class ThemeCount:
    """How many free-text answers were coded to a theme, their share of the answers, and examples."""

    theme: str
    label: str
    count: int
    base: int
    percent: float | None
    lower: float | None
    upper: float | None
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class KpqEvidenceItem:
    """A consultation figure offered as evidence for a KPQ (research and consultation: the third source)."""

    kpq: str
    consultation: str
    question: str
    finding: str
    percent: float | None
    lower: float | None
    upper: float | None
    caveat: str = SELF_SELECTED
    illustrative: bool = False


def _labels(c: Consultation) -> tuple[dict[str, str], dict[tuple[str, str], str], dict[str, str]]:
    questions = {q.id: q.text for q in c.questions}
    questions["respondent_type"] = "Respondents by type"
    options = {(q.id, o.id): o.label for q in c.questions for o in q.options}
    types = {t.id: t.label for t in c.respondent_types}
    options.update({("respondent_type", k): v for k, v in types.items()})
    return questions, options, types


def _intervals(x: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n * 100.0
    lo, hi = wilson_limits(x, n, level)
    return p, lo * 100.0, hi * 100.0


def _f(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def published_results(c: Consultation, *, level: float = LEVEL) -> list[ConsultationResult]:
    """The published summary's figures with Wilson intervals (vectorised over every figure)."""
    questions, options, types = _labels(c)
    figs = c.published
    x = np.array(
        [
            float(f.count) if f.count is not None else (f.percent / 100 * f.base if f.base else np.nan)  # type: ignore[operator]
            for f in figs
        ],
        dtype=np.float64,
    )
    n = np.array([float(f.base) if f.base else np.nan for f in figs], dtype=np.float64)
    p, lo, hi = _intervals(x, n, level)
    out = []
    for i, f in enumerate(figs):
        derived = f.count is None
        reason = None if f.base else "no base published: the share and its interval cannot be computed"
        percent = f.percent if f.percent is not None else _f(p[i])
        out.append(
            ConsultationResult(
                question=f.question,
                question_text=questions.get(f.question, f.question),
                option=f.option,
                option_label=options.get((f.question, f.option or "")),
                respondent_type=f.respondent_type,
                respondent_label=types.get(f.respondent_type or "", "All respondents"),
                count=float(np.round(x[i]))
                if derived and np.isfinite(x[i])
                else (float(f.count) if f.count is not None else None),
                base=f.base,
                percent=percent,
                lower=_f(lo[i]),
                upper=_f(hi[i]),
                level=level,
                method=METHOD,
                derived_count=derived,
                source=(f.source.document + (f", {f.source.section}" if f.source.section else ""))
                if f.source
                else None,
                note=f.base_note,
                reason=reason,
                illustrative=c.illustrative,
            )
        )
    return out


def response_results(
    c: Consultation, answers: pl.DataFrame, *, level: float = LEVEL, illustrative: bool = False
) -> list[ConsultationResult]:
    """Shares of each closed question's options from response-level answers, overall and by respondent type.

    ``answers`` is long: one row per response, question and chosen option (``response``, ``respondent_type``,
    ``question``, ``option``). The base of a question is the number of respondents who answered it (overall, or
    of that type), so a "choose two" question's shares sum to up to 200%.
    """
    questions, options, types = _labels(c)
    closed = [q.id for q in c.questions if q.kind is not QuestionKind.FREE_TEXT]
    rows = answers.filter(pl.col("question").is_in(closed))
    if rows.height == 0:
        return []
    everyone = rows.with_columns(pl.lit(None, dtype=pl.String).alias("respondent_type"))
    both = pl.concat([everyone, rows.select(everyone.columns)])
    base = both.group_by("question", "respondent_type").agg(pl.col("response").n_unique().alias("base"))
    grid = pl.DataFrame(
        [(q, o) for q in closed for o in [opt.id for opt in next(x for x in c.questions if x.id == q).options]],
        schema={"question": pl.String, "option": pl.String},
        orient="row",
    )
    counts = both.group_by("question", "respondent_type", "option").agg(pl.col("response").n_unique().alias("count"))
    table = (
        base.join(grid, on="question")
        .join(counts, on=["question", "respondent_type", "option"], how="left", nulls_equal=True)
        .with_columns(pl.col("count").fill_null(0))
    )
    order = {t: i for i, t in enumerate(types)}
    table = table.with_columns(
        pl.col("question").replace_strict({q: i for i, q in enumerate(closed)}, return_dtype=pl.Int64).alias("_q"),
        pl.col("respondent_type").replace_strict(order, default=-1, return_dtype=pl.Int64).alias("_t"),
    ).sort("_q", "_t", "option")
    x = table.get_column("count").to_numpy().astype(np.float64)
    n = table.get_column("base").to_numpy().astype(np.float64)
    p, lo, hi = _intervals(x, n, level)
    out = []
    for i, r in enumerate(table.iter_rows(named=True)):
        out.append(
            ConsultationResult(
                question=r["question"],
                question_text=questions[r["question"]],
                option=r["option"],
                option_label=options.get((r["question"], r["option"])),
                respondent_type=r["respondent_type"],
                respondent_label=types.get(r["respondent_type"] or "", "All respondents"),
                count=float(x[i]),
                base=int(n[i]),
                percent=_f(p[i]),
                lower=_f(lo[i]),
                upper=_f(hi[i]),
                level=level,
                method=METHOD,
                illustrative=illustrative,
            )
        )
    return out


def _pattern(theme: Theme) -> str:
    words = [re.escape(k.strip()) for k in theme.keywords if k.strip()]
    phrases = [re.escape(p.strip()) for p in theme.phrases if p.strip()]
    parts = ([r"\b(?:" + "|".join(words) + r")\b"] if words else []) + phrases
    return "(?i)" + "|".join(parts)


def code_texts(texts: pl.DataFrame, codebook: Sequence[Theme]) -> pl.DataFrame:
    """Themes of each free-text answer: ``texts`` has ``response`` and ``text``; returns ``response``, ``theme``
    (one row per theme found, none for an answer no theme matches). Each theme is one vectorised regex over
    every answer: keywords match whole words, phrases anywhere, case ignored."""
    if not codebook or texts.height == 0:
        return pl.DataFrame(schema={"response": pl.String, "theme": pl.String})
    flags = texts.select(
        pl.col("response"),
        *(pl.col("text").fill_null("").str.contains(_pattern(t)).alias(t.id) for t in codebook),
    )
    return (
        flags.unpivot(index="response", variable_name="theme", value_name="hit")
        .filter(pl.col("hit"))
        .select("response", "theme")
        .sort("response", "theme")
    )


def theme_counts(
    texts: pl.DataFrame, coded: pl.DataFrame, codebook: Sequence[Theme], *, examples: int = 3, level: float = LEVEL
) -> list[ThemeCount]:
    """Answers per theme out of all non-empty free-text answers, with Wilson intervals and up to ``examples``
    example answers each (the first by response order)."""
    answered = texts.filter(pl.col("text").fill_null("").str.strip_chars() != "")
    base = answered.height
    per = coded.join(answered, on="response").sort("response")
    counts = {t.id: 0 for t in codebook}
    for theme, n in per.group_by("theme").len().iter_rows():
        counts[theme] = int(n)
    x = np.array([counts[t.id] for t in codebook], dtype=np.float64)
    p, lo, hi = _intervals(x, np.full(x.shape, float(base)), level)
    samples: dict[str, list[str]] = {}
    if per.height:
        agg = per.group_by("theme").agg(pl.col("text").head(examples))
        samples = {str(theme): list(texts) for theme, texts in agg.iter_rows()}
    return [
        ThemeCount(t.id, t.label, int(x[i]), base, _f(p[i]), _f(lo[i]), _f(hi[i]), list(samples.get(t.id, [])))
        for i, t in enumerate(codebook)
    ]


def kpq_evidence(c: Consultation, results: Sequence[ConsultationResult]) -> list[KpqEvidenceItem]:
    """The figures of every question that serves a KPQ (all respondents only), as evidence items for it. The
    consultation's own ``kpqs`` receive its overall figures too (the questions' first option shares)."""
    out: list[KpqEvidenceItem] = []
    by_question = {q.id: q for q in c.questions}
    for r in results:
        if r.respondent_type is not None or r.question not in by_question:
            continue
        kpqs = list(dict.fromkeys(by_question[r.question].kpqs))
        for kpq in kpqs:
            pct = "—" if r.percent is None else f"{r.percent:.0f}%"
            ci = f" (95% CI {r.lower:.1f}% to {r.upper:.1f}%)" if r.lower is not None and r.upper is not None else ""
            out.append(
                KpqEvidenceItem(
                    kpq=kpq,
                    consultation=c.id,
                    question=r.question,
                    finding=f"{pct}{ci} of respondents: {r.option_label or r.option} ({r.question_text})",
                    percent=r.percent,
                    lower=r.lower,
                    upper=r.upper,
                    illustrative=r.illustrative,
                )
            )
    return out


class ShareVerdict(StrEnum):
    """Where a share of respondents stands against a threshold, judged by its Wilson interval."""

    ABOVE = "significantly above the threshold"
    BELOW = "significantly below the threshold"
    NOT_DIFFERENT = "not significantly different from the threshold"
    NOT_JUDGED = "not judged (no threshold stated)"
    NOT_CALCULATED = "could not be calculated"


@dataclass(frozen=True)
class ShareJudgement:
    """A consultation figure judged against a threshold: the figure, the verdict and the words for both."""

    consultation: str
    question: str
    option: str
    respondent_type: str | None
    threshold: float | None
    verdict: ShareVerdict
    result: ConsultationResult | None
    text: str
    caveat: str = SELF_SELECTED

    @property
    def illustrative(self) -> bool:
        return bool(self.result is not None and self.result.illustrative)


def judge_share(
    c: Consultation,
    results: Sequence[ConsultationResult],
    question: str,
    option: str,
    threshold: float | None,
    *,
    respondent_type: str | None = None,
) -> ShareJudgement:
    """The share of respondents (all, or of one type) answering ``option`` to ``question``, against ``threshold``
    percent: above when the Wilson interval's lower limit exceeds it, below when the upper limit falls short of it,
    otherwise not significantly different. No threshold: the figure is given but not judged; no figure, or no base
    (so no interval): not calculated, with the reason."""
    found = next(
        (r for r in results if r.question == question and r.option == option and r.respondent_type == respondent_type),
        None,
    )
    who = "respondents" if respondent_type is None else f"respondents of type '{respondent_type}'"

    def judged(verdict: ShareVerdict, text: str) -> ShareJudgement:
        return ShareJudgement(c.id, question, option, respondent_type, threshold, verdict, found, text)

    if found is None:
        return judged(ShareVerdict.NOT_CALCULATED, f"no figure for '{option}' of question '{question}' among {who}")
    if found.percent is None or found.lower is None or found.upper is None:
        return judged(ShareVerdict.NOT_CALCULATED, found.reason or "no base: the share has no interval")
    pct = (
        f"{found.percent:.0f}% of {found.base:,} {who} (95% CI {found.lower:.1f}% to {found.upper:.1f}%,"
        f" {METHOD}): {found.option_label or option}"
    )
    if threshold is None:
        return judged(ShareVerdict.NOT_JUDGED, pct)
    if found.lower > threshold:
        verdict = ShareVerdict.ABOVE
    elif found.upper < threshold:
        verdict = ShareVerdict.BELOW
    else:
        verdict = ShareVerdict.NOT_DIFFERENT
    return judged(verdict, f"{pct}; {verdict.value.replace('the threshold', f'{threshold:g}%')}")
