"""Answering the Key Performance Questions from their evidence.

Each KPQ in the framework names its evidence (:class:`~gapwatch.domain.plan.KpqEvidence`). Every piece is
assessed here with the statistics of :mod:`gapwatch.stats`, giving a direction and its verdict in words,
and :func:`gapwatch.domain.kpq.combine` turns the directions into Yes / Partly / No / Not enough evidence
by the rules documented there. Per measure:

* ``trend`` — the recent trend of the indicator (or of one group, given ``category_type`` and
  ``subject``) in the report area over its last five points: the chi-squared test for trend for
  proportions, the Poisson score test for rates, weighted least squares otherwise (Fingertips trend
  markers; :func:`~gapwatch.stats.trends.recent_trend`), judged with the indicator's polarity;
* ``target`` — every target on the indicator: level targets against their straight-line trajectory
  (:func:`~gapwatch.stats.targets.level_target_status`), gap-closing targets against the share of the gap
  to close (:func:`~gapwatch.stats.targets.gap_closing_status`); any off track or not achieved counts
  against, else any achieved / on track supports, else "at risk" is neutral; a target whose deadline
  passed more than three years before the cut-off is listed as historical and does not count;
* ``group_gap`` / ``area_gap`` / ``deprivation_gap`` / ``sii`` — the gap each period with its interval
  (Newcombe 1998 for proportions, Poisson methods for rates; Low & Low 2004 SII) and the trend of the gap
  by weighted least squares (:func:`~gapwatch.stats.trends.gap_trend`): narrowing supports, widening
  counts against, no significant change is neutral, too few points is missing;
* ``actions`` — the latest RAG of the named actions (or all actions of named outcomes): red or overdue
  above a quarter of them counts against; otherwise more than half green supports; otherwise neutral;
  none updated is missing;
* ``initiative_impact`` — the initiative's areas against its comparison areas (the rule's ``comparator``, else
  the initiative's ``comparison_areas``) before and after its start: difference in differences with a 95%
  interval and a pre-period parallel-trends check (:mod:`gapwatch.analysis.impact`). Improved significantly
  supports (it closes the gap when its areas started worse); no significant effect is neutral; a significant
  worsening counts against; not credible (pre-trends differ) or not computable is missing;
* ``consultation`` — the share of respondents giving the rule's ``option`` to its ``question`` (of all
  respondents, or of the respondent type named as ``subject``) with its Wilson interval, from the imported
  responses when there are any, else the published summary (:func:`~gapwatch.analysis.consultations.judge_share`):
  the whole interval above the rule's ``threshold`` supports, below it counts against, spanning it is neutral;
  a rule with no threshold lists the figure as context. A consultation describes those who responded (a
  self-selected sample), and its detail says so;
* context — an initiative or a consultation question that names the KPQ in its own ``kpqs`` but that no rule
  of the KPQ judges is listed with the answer (its figures, or why its impact is not computed) and counted
  neither way;
* ``study`` — the study's finding, with the judgement the framework states in the rule's ``note``,
  which must begin ``supports:``, ``against:`` or ``neutral:``; a study with no finding, or a rule with no
  stated judgement, is listed as missing (a finding is never judged by reading its words).

Data honesty: a finding computed from illustrative (generated demo) values says so in its verdict.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gapwatch.analysis.consultations import SELF_SELECTED, ShareVerdict, judge_share
from gapwatch.analysis.targets import level_targets
from gapwatch.analysis.verdicts import GapVerdict
from gapwatch.domain.consultations import QuestionKind
from gapwatch.domain.cycle import CycleWindow, years_before
from gapwatch.domain.evidence import SourceKind
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.kpq import Direction, EvidenceFinding, KpqAnswer, combine
from gapwatch.domain.plan import EvidenceMeasure, Kpq, KpqEvidence
from gapwatch.domain.targets import TargetKind
from gapwatch.errors import GapwatchError, NotFound
from gapwatch.services._obsframe import period_end
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services.cache import remember, state_key
from gapwatch.services.consultations import responses_version
from gapwatch.services.evidence import (
    EvidenceContext,
    any_illustrative,
    batches_of,
    category_type_of,
    county_of,
    evidence_context,
    format_number,
    gap_for,
    series_points,
    tag_illustrative,
    trend_of,
)
from gapwatch.services.gaps_view import gap_target_view
from gapwatch.services.initiatives import IMPACT_DIRECTION, impact_on_rows
from gapwatch.store.engine import session_scope

__all__ = ["HISTORY_YEARS", "answer_kpqs", "area_answers", "assess", "dashboard_answers", "evaluate", "target_findings"]

#: Targets whose deadline passed longer ago than this (before the cut-off) are history, not evidence of now.
HISTORY_YEARS = 3

_OFF = {"off track", "not achieved"}
_ON = {"achieved", "on track"}
_JUDGEMENTS = {"supports": Direction.SUPPORTS, "against": Direction.AGAINST, "neutral": Direction.NEUTRAL}

#: How a consultation share's verdict bears on a KPQ (the rule's threshold says what "enough" is).
_SHARE_DIRECTION = {
    ShareVerdict.ABOVE: Direction.SUPPORTS,
    ShareVerdict.BELOW: Direction.AGAINST,
    ShareVerdict.NOT_DIFFERENT: Direction.NEUTRAL,
    ShareVerdict.NOT_JUDGED: Direction.MISSING,
    ShareVerdict.NOT_CALCULATED: Direction.MISSING,
}

#: The three sources of performance information (domain.evidence.SourceKind) each measure draws on.
_SOURCE_OF = {
    EvidenceMeasure.ACTIONS: SourceKind.ACTIONS,
    EvidenceMeasure.STUDY: SourceKind.RESEARCH,
    EvidenceMeasure.INITIATIVE_IMPACT: SourceKind.RESEARCH,
    EvidenceMeasure.CONSULTATION: SourceKind.RESEARCH,
    EvidenceMeasure.TREND: SourceKind.INDICATORS,
    EvidenceMeasure.TARGET: SourceKind.INDICATORS,
    EvidenceMeasure.GROUP_GAP: SourceKind.INDICATORS,
    EvidenceMeasure.AREA_GAP: SourceKind.INDICATORS,
    EvidenceMeasure.DEPRIVATION_GAP: SourceKind.INDICATORS,
    EvidenceMeasure.SII: SourceKind.INDICATORS,
}


#: How each gap verdict of the analysis core bears on "is the gap reducing?". A gap that has closed is the
#: aim met; one that reversed (significant the other way round) is neither: a new gap needs its own look.
_GAP_DIRECTION = {
    GapVerdict.NARROWING.value: Direction.SUPPORTS,
    GapVerdict.CLOSED.value: Direction.SUPPORTS,
    GapVerdict.WIDENING.value: Direction.AGAINST,
    GapVerdict.NO_SIGNIFICANT_CHANGE.value: Direction.NEUTRAL,
    GapVerdict.REVERSED.value: Direction.NEUTRAL,
}


def _gap_finding(ctx: EvidenceContext, ev: KpqEvidence, indicator: Indicator, label: str) -> EvidenceFinding:
    series = gap_for(ctx, ev, indicator)
    measure = ev.measure.value
    if series is None:
        return EvidenceFinding(
            label=label,
            measure=measure,
            direction=Direction.MISSING,
            verdict="the comparison cannot be formed",
            weight=ev.weight,
        )
    used = [p for p in series.points if p.gap is not None]
    rows = ctx.rows(indicator)
    periods = {p.period for p in used}
    batches = batches_of(rows.filter(pl.col("period").is_in(sorted(periods)))) if periods else []
    name = "SII" if ev.measure is EvidenceMeasure.SII else f"gap ({series.subject_name} vs {series.comparator_name})"
    label = f"{label}: {name}"
    verdict = series.verdict
    direction = _GAP_DIRECTION.get(verdict, Direction.MISSING)
    if direction is Direction.MISSING:
        verdict = "not enough data to test the gap's trend"
    detail_parts = []
    if used:
        first, last = used[0], used[-1]
        detail_parts.append(
            f"{first.period}: {format_number(first.gap)}; {last.period}: {format_number(last.gap)}"
            + (
                f" (95% CI {format_number(last.lower)} to {format_number(last.upper)})"
                if last.lower is not None
                else ""
            )
        )
    detail_parts += list(series.notes)
    return EvidenceFinding(
        label=label,
        measure=measure,
        direction=direction,
        verdict=tag_illustrative(verdict, series.illustrative),
        illustrative=bool(series.illustrative),
        detail="; ".join(detail_parts) or None,
        weight=ev.weight,
        batches=batches,
    )


def target_findings(ctx: EvidenceContext, indicator: Indicator) -> list[tuple[str, str, str, list[str]]]:
    """(target id, title, status, notes) of every target on the indicator, at the cut-off.

    A level target is judged in its own area (the county by default, whatever the report's area). A target
    whose deadline passed more than :data:`HISTORY_YEARS` years before the cut-off gets the status
    "historical": it says what happened then, not how things stand now.
    """
    plan = ctx.plan
    targets = [t for t in plan.framework.targets if t.indicator == indicator.id]
    rows = ctx.rows(indicator)
    out: list[tuple[str, str, str, list[str]]] = []
    horizon = years_before(ctx.cutoff, HISTORY_YEARS)
    for t in targets:
        if t.kind is TargetKind.LEVEL:
            area = t.area or county_of(plan) or ""
            headline = series_points(rows.filter((pl.col("area") == area) & pl.col("category_type").is_null()))
            lv = level_targets(plan, indicator, [t], headline)[0]
            status, notes = lv.status, list(lv.notes)
        else:
            gv = gap_target_view(plan, rows, t)
            status, notes = gv.status, list(gv.notes)
        end = period_end(t.target.period) if t.target else None
        if t.target is not None and end is not None and end < horizon:
            status = f"historical ({status} by {t.target.period})"
        out.append((t.id, t.title, status, notes))
    return out


def _target_finding(ctx: EvidenceContext, ev: KpqEvidence, indicator: Indicator, label: str) -> EvidenceFinding:
    statuses = target_findings(ctx, indicator)
    rows = ctx.rows(indicator)
    if not statuses:
        return EvidenceFinding(
            label=f"{label}: targets",
            measure="target",
            direction=Direction.MISSING,
            verdict="the indicator has no target",
            weight=ev.weight,
        )
    found = [s for _, _, s, _ in statuses if not s.startswith("historical")]
    if any(s in _OFF for s in found):
        direction = Direction.AGAINST
    elif any(s in _ON for s in found):
        direction = Direction.SUPPORTS
    elif "at risk" in found:
        direction = Direction.NEUTRAL
    else:
        direction = Direction.MISSING
    verdict = "; ".join(f"{title}: {status}" for _, title, status, _ in statuses)
    return EvidenceFinding(
        label=f"{label}: targets",
        measure="target",
        direction=direction,
        verdict=tag_illustrative(verdict, any_illustrative(rows)),
        illustrative=any_illustrative(rows),
        weight=ev.weight,
        batches=batches_of(rows),
    )


def _trend_finding(ctx: EvidenceContext, ev: KpqEvidence, indicator: Indicator, label: str) -> EvidenceFinding:
    group = ""
    if ev.category_type and ev.subject:
        ct = category_type_of(ctx.plan, ev.category_type)
        name = next((c.name for c in ct.categories if c.id == ev.subject), ev.subject) if ct else ev.subject
        group = f" ({name})"
    result = trend_of(ctx, indicator, category_type=ev.category_type if ev.subject else None, category=ev.subject)
    if result.assessment == "getting better":
        direction = Direction.SUPPORTS
    elif result.assessment == "getting worse":
        direction = Direction.AGAINST
    elif result.trend == "no significant change":
        direction = Direction.NEUTRAL
    else:
        direction = Direction.MISSING
    verdict = result.assessment or result.trend
    if result.trend in ("increasing", "decreasing") and result.assessment is None:
        verdict, direction = f"{result.trend} (the indicator has no polarity to judge it)", Direction.MISSING
    return EvidenceFinding(
        label=f"{label}{group}: recent trend",
        measure="trend",
        direction=direction,
        verdict=tag_illustrative(verdict, result.illustrative),
        illustrative=bool(result.illustrative),
        detail=result.detail,
        weight=ev.weight,
        batches=result.batches,
    )


def _action_ids(plan: Plan, ids: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in ids:
        if item in plan.actions:
            out.append(item)
        else:
            out += [a.id for a in plan.framework.actions if a.outcome == item]
    return list(dict.fromkeys(out))


def _actions_finding(ctx: EvidenceContext, ev: KpqEvidence) -> EvidenceFinding:
    ids = _action_ids(ctx.plan, ev.actions)
    label = f"Actions {', '.join(ev.actions)}"
    known = [ctx.actions[i] for i in ids if i in ctx.actions and ctx.actions[i].rag]
    if not known:
        return EvidenceFinding(
            label=label,
            measure="actions",
            direction=Direction.MISSING,
            verdict=f"none of the {len(ids)} actions has a RAG update",
            weight=ev.weight,
        )
    red = sum(1 for s in known if s.rag == "red" or s.overdue)
    green = sum(1 for s in known if s.rag == "green" and not s.overdue)
    share_red, share_green = red / len(known), green / len(known)
    if share_red > 0.25:
        direction = Direction.AGAINST
    elif share_green > 0.5:
        direction = Direction.SUPPORTS
    else:
        direction = Direction.NEUTRAL
    verdict = f"{green} green, {red} red or overdue, of {len(known)} updated ({len(ids)} actions)"
    return EvidenceFinding(label=label, measure="actions", direction=direction, verdict=verdict, weight=ev.weight)


def _study_finding(ctx: EvidenceContext, ev: KpqEvidence) -> EvidenceFinding:
    study = next((s for s in ctx.plan.framework.evidence if s.id == ev.study), None)
    title = study.title if study else str(ev.study)
    note = (ev.note or "").strip()
    head, _, rest = note.partition(":")
    judgement = _JUDGEMENTS.get(head.strip().lower())
    if study is None or not study.finding:
        return EvidenceFinding(
            label=f"Study: {title}",
            measure="study",
            direction=Direction.MISSING,
            verdict="no finding recorded",
            weight=ev.weight,
        )
    if judgement is None:
        return EvidenceFinding(
            label=f"Study: {title}",
            measure="study",
            direction=Direction.MISSING,
            verdict="finding not judged in the framework",
            detail=study.finding,
            weight=ev.weight,
        )
    verdict = {Direction.SUPPORTS: "positive finding", Direction.AGAINST: "negative finding"}.get(
        judgement, "no clear finding either way"
    )
    return EvidenceFinding(
        label=f"Study: {title}",
        measure="study",
        direction=judgement,
        verdict=verdict,
        detail=rest.strip() or study.finding,
        weight=ev.weight,
    )


def _initiative_finding(ctx: EvidenceContext, ev: KpqEvidence, indicator: Indicator, label: str) -> EvidenceFinding:
    ini = ctx.plan.framework.index("initiatives").get(ev.initiative or "")
    name = ini.name if ini is not None else str(ev.initiative)
    label = f"{label}: impact of {name}"

    def missing(verdict: str) -> EvidenceFinding:
        return EvidenceFinding(
            label=label, measure="initiative_impact", direction=Direction.MISSING, verdict=verdict, weight=ev.weight
        )

    if ini is None:
        return missing("unknown initiative")
    comparison = [ev.comparator] if ev.comparator else list(ini.comparison_areas)
    if not comparison:
        return missing("no comparison areas stated (give the rule a 'comparator' or the initiative 'comparison_areas')")
    rows = ctx.rows(indicator)
    try:
        result = impact_on_rows(ctx.plan, ini, indicator, rows, comparison)
    except GapwatchError as exc:
        return missing(exc.message)
    direction = IMPACT_DIRECTION[result.verdict]
    verdict = result.verdict.value + (" (closes the gap)" if result.closes_gap else "")
    used = rows.filter(pl.col("area").is_in([*result.treated.areas, *result.comparison.areas]))
    detail = result.verdict_text
    rc = result.relative_chance
    if rc is not None:
        detail += (
            f"; relative chance after the start {rc.ratio:.2f} (95% CI {rc.lower:.2f} to {rc.upper:.2f}), "
            f"{abs(rc.percent_different):.0f}% {'higher' if rc.ratio >= 1 else 'lower'} than in the comparison areas"
        )
    did = result.did
    unit = "percentage points" if result.measure == "proportion" and result.multiplier == 100 else None
    return EvidenceFinding(
        label=label,
        measure="initiative_impact",
        direction=direction,
        verdict=tag_illustrative(verdict, any_illustrative(used)),
        illustrative=any_illustrative(used),
        detail=detail,
        weight=ev.weight,
        batches=batches_of(used),
        value=did.value if did else None,
        lower=did.lower if did else None,
        upper=did.upper if did else None,
        unit=(unit or f"per {result.multiplier:,.0f}") if did else None,
    )


def _consultation_finding(ctx: EvidenceContext, ev: KpqEvidence) -> EvidenceFinding:
    c = ctx.plan.framework.index("consultations").get(ev.consultation or "")
    label = f"Consultation: {c.name if c is not None else ev.consultation}"
    if c is None:
        return EvidenceFinding(
            label=label, measure="consultation", direction=Direction.MISSING, verdict="unknown consultation"
        )
    j = judge_share(
        c, ctx.consultation_results(c), ev.question or "", ev.option or "", ev.threshold, respondent_type=ev.subject
    )
    r = j.result
    direction = _SHARE_DIRECTION[j.verdict]
    counted = j.verdict is not ShareVerdict.NOT_JUDGED
    question = r.question_text if r is not None else ev.question
    verdict = j.verdict.value
    if ev.threshold is not None and j.verdict is not ShareVerdict.NOT_CALCULATED:
        verdict = verdict.replace("the threshold", f"{ev.threshold:g}%")
    return EvidenceFinding(
        label=f"{label}: {question}",
        measure="consultation",
        direction=direction,
        verdict=tag_illustrative(verdict, j.illustrative),
        illustrative=j.illustrative,
        detail="; ".join(x for x in (j.text, j.caveat, ev.note) if x),
        weight=ev.weight,
        value=r.percent if r is not None and r.lower is not None else None,
        lower=r.lower if r is not None else None,
        upper=r.upper if r is not None else None,
        unit="%" if r is not None and r.lower is not None else None,
        counted=counted,
    )


def _context_findings(ctx: EvidenceContext, kpq: Kpq) -> list[EvidenceFinding]:
    """Initiatives and consultations that name this KPQ but that none of its rules judges: listed as context,
    counted neither way (a figure is only evidence for or against once the framework says how to judge it)."""
    framework = ctx.plan.framework
    named_ini = {ev.initiative for ev in kpq.evidence if ev.initiative}
    named_q = {(ev.consultation, ev.question) for ev in kpq.evidence if ev.consultation}
    out: list[EvidenceFinding] = []
    for ini in framework.initiatives:
        if kpq.id in ini.kpqs and ini.id not in named_ini:
            why = "no start date recorded" if ini.start is None else "no rule of this KPQ names an indicator for it"
            out.append(
                EvidenceFinding(
                    label=f"Initiative: {ini.name}",
                    measure="initiative_impact",
                    direction=Direction.MISSING,
                    verdict=f"context (not judged): {why}",
                    detail=f"start: {ini.start or ini.start_text or 'not recorded'}; target areas: "
                    + (", ".join(ini.target_areas) or "none recorded"),
                    counted=False,
                )
            )
    for c in framework.consultations:
        results = None
        for q in c.questions:
            if q.kind is QuestionKind.FREE_TEXT or (c.id, q.id) in named_q:
                continue
            if kpq.id not in q.kpqs:
                continue
            results = results if results is not None else ctx.consultation_results(c)
            shares = [judge_share(c, results, q.id, o.id, None) for o in q.options]
            shown = [
                f"{j.result.option_label}: {j.result.percent:.0f}% ({j.result.lower:.1f}% to {j.result.upper:.1f}%)"
                for j in shares
                if j.result is not None
                and j.verdict is ShareVerdict.NOT_JUDGED
                and j.result.percent is not None
                and j.result.lower is not None
                and j.result.upper is not None
            ]
            out.append(
                EvidenceFinding(
                    label=f"Consultation: {c.name}: {q.text}",
                    measure="consultation",
                    direction=Direction.MISSING,
                    verdict=tag_illustrative(
                        "context (not judged): no rule of this KPQ states a threshold",
                        any(j.illustrative for j in shares),
                    ),
                    illustrative=any(j.illustrative for j in shares),
                    detail=("; ".join(shown) + f" (95% Wilson intervals; {SELF_SELECTED})") if shown else None,
                    counted=False,
                )
            )
    return out


def assess(ctx: EvidenceContext, ev: KpqEvidence) -> EvidenceFinding:
    """One piece of evidence assessed: its direction, statistical verdict and source of information."""
    finding = _assess(ctx, ev)
    return finding.model_copy(update={"source": _SOURCE_OF[ev.measure]})


def _assess(ctx: EvidenceContext, ev: KpqEvidence) -> EvidenceFinding:
    if ev.measure is EvidenceMeasure.CONSULTATION:
        return _consultation_finding(ctx, ev)
    if ev.measure is EvidenceMeasure.ACTIONS:
        return _actions_finding(ctx, ev)
    if ev.measure is EvidenceMeasure.STUDY:
        return _study_finding(ctx, ev)
    indicator = ctx.plan.indicators.get(ev.indicator or "")
    if indicator is None:
        return EvidenceFinding(
            label=str(ev.indicator),
            measure=ev.measure.value,
            direction=Direction.MISSING,
            verdict="unknown indicator",
            weight=ev.weight,
        )
    label = f"{indicator.code} {indicator.title}"
    if ev.measure is EvidenceMeasure.INITIATIVE_IMPACT:
        return _initiative_finding(ctx, ev, indicator, label)
    if ev.measure is EvidenceMeasure.TREND:
        return _trend_finding(ctx, ev, indicator, label)
    if ev.measure is EvidenceMeasure.TARGET:
        return _target_finding(ctx, ev, indicator, label)
    return _gap_finding(ctx, ev, indicator, label)


def evaluate(ctx: EvidenceContext, kpqs: Iterable[Kpq]) -> list[KpqAnswer]:
    """Answer each KPQ from its evidence by the rules of :mod:`gapwatch.domain.kpq`."""
    return [
        combine(
            k.id,
            k.question,
            [assess(ctx, ev) for ev in k.evidence]
            + [f.model_copy(update={"source": SourceKind.RESEARCH}) for f in _context_findings(ctx, k)],
        )
        for k in kpqs
    ]


def _kpqs_of(plan: Plan, ambition: int | str | None) -> list[Kpq]:
    if ambition is None:
        return list(plan.framework.kpqs)
    wanted = next(
        (a for a in plan.framework.ambitions if a.id == str(ambition) or str(a.number) == str(ambition)), None
    )
    if wanted is None:
        numbers = ", ".join(f"{a.number} ({a.id})" for a in plan.framework.ambitions)
        raise NotFound(f"There is no ambition '{ambition}'", hint=f"Ambitions: {numbers}")
    return [k for k in plan.framework.kpqs if k.ambition == wanted.id]


def area_answers(session: Session, plan: Plan, *, window: CycleWindow, area: str | None = None) -> list[KpqAnswer]:
    """Every KPQ's answer in ``window`` (data up to its cut-off, actions judged at its as-of date) for ``area``
    (the partnership's county when None), in the framework's order.

    The one place answers are computed for the dashboard, the scorecards and the board papers (a county
    board's paper answers for the county, a locality board's for its district), so each shows the same
    answer. Answering takes seconds on a large framework, so the answers are kept in
    :mod:`gapwatch.services.cache` until the database, the framework revision, the data, the imported
    consultation responses, the actions or the window's as-of date and cut-off change.
    """
    where = area or county_of(plan)
    state = state_key(session, plan, as_of=window.as_of, cutoff=window.cutoff, actions=True)
    return remember(
        state,
        ("kpq_answers", where, responses_version(session)),
        lambda: evaluate(evidence_context(session, plan, window=window, area=where), plan.framework.kpqs),
    )


def dashboard_answers(session: Session, plan: Plan, *, window: CycleWindow) -> dict[str, list[KpqAnswer]]:
    """The county's answers (:func:`area_answers`) by ambition. For a cycle's window these are the answers of
    the cycle's report for the county."""
    by_kpq = {k.id: k.ambition for k in plan.framework.kpqs}
    grouped: dict[str, list[KpqAnswer]] = {}
    for answer in area_answers(session, plan, window=window):
        grouped.setdefault(by_kpq[answer.kpq], []).append(answer)
    return grouped


def answer_kpqs(
    engine: Engine, *, window: CycleWindow, ambition: int | str | None = None, area: str | None = None
) -> list[KpqAnswer]:
    """Answer the framework's KPQs (one ambition's, by number or id, or all) in ``window``: from the data up
    to its cut-off, with actions judged at its as-of date."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        kpqs = _kpqs_of(plan, ambition)
        if area is not None and area not in plan.areas:
            raise NotFound(f"There is no area '{area}'")
        ctx = evidence_context(session, plan, window=window, area=area)
        return evaluate(ctx, kpqs)
