"""The rest of the plan, as the plan pages and the API show it: principles, the three sources of performance
information, delivery plans with the ambitions they serve, rewards at stake, and the area's facts.

These are stored in the framework (Vision for Kent Annex 1; "Kent: A picture" for the PSA 1 reward; chapter 5
for "This is Kent") but were shown nowhere. One function per document, used by the page and by its JSON, so
the two cannot disagree.
"""

from __future__ import annotations

from typing import Any

from gapwatch.domain.framework import Framework

__all__ = ["facts_by_topic", "plan_context"]


def _source(framework: Framework, source: Any) -> dict[str, str | None] | None:
    """A citation a reader can follow: the document's title (not its file name) and the section (``source`` is
    an item's :class:`~gapwatch.domain._base.Source`, or None)."""
    if source is None:
        return None
    doc = next((d for d in framework.documents if source.document in (d.id, d.file)), None)
    return {"document": doc.title if doc else source.document, "section": source.section, "page": source.page}


def facts_by_topic(framework: Framework) -> list[dict[str, Any]]:
    """The framework's facts in their document order, grouped under their topic, each with its source."""
    topics: dict[str, list[dict[str, Any]]] = {}
    for f in framework.facts:
        topics.setdefault(f.topic, []).append(
            {
                "id": f.id,
                "text": f.text,
                "value": f.value,
                "unit": f.unit,
                "comparator": f.comparator,
                "comparator_value": f.comparator_value,
                "year": f.year,
                "source": _source(framework, f.source),
            }
        )
    return [{"topic": topic, "facts": facts} for topic, facts in topics.items()]


def plan_context(framework: Framework) -> dict[str, Any]:
    """Principles, information sources, delivery plans (with their ambitions) and rewards (with each target's
    share: the plan's reward times the target's share, as :class:`gapwatch.analysis.targets` states it)."""
    ambitions = {a.id: a for a in framework.ambitions}
    rewards = []
    for p in framework.plans:
        if p.reward_total is None:
            continue
        targets = [
            {
                "id": t.id,
                "title": t.title,
                "indicator": t.indicator,
                "reward_share": t.reward_share,
                "reward_amount": None if t.reward_share is None else p.reward_total * t.reward_share,
            }
            for t in framework.targets
            if t.plan == p.id
        ]
        rewards.append(
            {"plan": p.id, "title": p.title, "owner": p.owner, "reward_total": p.reward_total, "targets": targets}
        )
    return {
        "principles": [
            {"id": p.id, "number": p.number, "text": p.text, "source": _source(framework, p.source)}
            for p in sorted(framework.principles, key=lambda p: p.number)
        ],
        "information_sources": [
            {
                "id": s.id,
                "kind": s.kind.value,
                "name": s.name,
                "horizon": s.horizon,
                "description": s.description,
                "source": _source(framework, s.source),
            }
            for s in framework.information_sources
        ],
        "delivery_plans": [
            {
                "id": d.id,
                "title": d.title,
                "owner": d.owner,
                "sector": d.sector,
                "ambitions": [
                    {
                        "id": a,
                        "number": ambitions[a].number if a in ambitions else None,
                        "title": ambitions[a].title if a in ambitions else a,
                        "primary": a == d.primary_ambition,
                    }
                    for a in d.ambitions
                ],
            }
            for d in framework.delivery_plans
        ],
        "rewards": rewards,
    }
