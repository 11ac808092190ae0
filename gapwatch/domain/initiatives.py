"""Initiatives: the projects and programmes a partnership runs to tackle disadvantage, and what they cost.

The seeds set out two ways to tackle disadvantage: target-driven, and initiative-driven — "driving performance
through initiatives and projects …, analysing their impact and disseminating good practice". An
:class:`Initiative` holds what an analyst needs to judge one: where and whom it targets (areas, wards and LSOAs
allowed, and/or a cohort), when it ran, who leads it, its budget, caseload and staffing, the outcomes and KPQs it
serves, the studies that evaluated it, and optionally the comparison areas to judge it against. Two kinds of
"what if" sit with it: a :class:`CaseloadScenario` (how many families, how many per worker, what each costs) and a
:class:`SavingsProposal` (a share of a spend freed in each of several units). Every figure can carry its source.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Model, Source, Text

__all__ = ["CaseloadScenario", "Estimate", "GroupRef", "Initiative", "Phase", "SavingsProposal"]


class GroupRef(Model):
    """A population group an initiative targets: a category of a category type (``groups``)."""

    category_type: ItemId
    category: ItemId


class Phase(Model):
    """A phase of an initiative (a pilot, a roll-out), with its dates where known."""

    name: Text
    start: date | None = None
    end: date | None = None
    start_text: str | None = Field(default=None, description="The start as the source words it (e.g. '2002').")
    end_text: str | None = Field(default=None, description="The end as the source words it.")
    description: str | None = None

    @model_validator(mode="after")
    def _dates(self) -> Phase:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"phase '{self.name}': 'end' ({self.end}) is before 'start' ({self.start})")
        return self


class Estimate(Model):
    """One estimate of a size (families, cases), with where it came from."""

    label: Text
    value: float = Field(gt=0)
    source: Source | None = None
    note: str | None = None


class CaseloadScenario(Model):
    """How big a programme would have to be: cases to reach, cases per worker, cost per case.

    ``estimates`` are the sizes the sources give (at least one; two or more give low / central / high);
    ``per_worker`` is the most cases one worker can hold; ``cost_per_case`` is the estimated cost to public
    services of each case (the cost that a successful intervention could avoid); ``avoidable_shares`` are the
    shares of that cost the scenarios assume an intervention avoids (none given: avoidable cost is not
    computed, and the scenarios say so).
    """

    unit: Text = "families"
    estimates: list[Estimate] = Field(min_length=1)
    per_worker: float | None = Field(default=None, gt=0, description="Most cases one worker holds.")
    cost_per_case: float | None = Field(default=None, ge=0, description="Estimated cost per case, in pounds.")
    cost_source: Source | None = None
    per_worker_source: Source | None = None
    avoidable_shares: list[float] = Field(default_factory=list, description="Shares (0-1) of the cost avoided.")
    sensitivity_per_worker: list[float] = Field(
        default_factory=list, description="Other caseloads per worker for the sensitivity table."
    )

    @model_validator(mode="after")
    def _shares(self) -> CaseloadScenario:
        bad = [s for s in self.avoidable_shares if not 0 < s <= 1]
        if bad:
            raise ValueError(f"'avoidable_shares' must lie between 0 and 1 (got {bad})")
        if any(v <= 0 for v in self.sensitivity_per_worker):
            raise ValueError("'sensitivity_per_worker' values must be above 0")
        return self


class SavingsProposal(Model):
    """A saving from shifting a share of a spend in each of several units (e.g. 5% of acute spend per district).

    ``saving_per_unit`` is what the source states each unit would free; ``share`` the shift it assumes;
    ``units`` how many units (districts) there are; ``stated_total`` the total the source states, kept to
    check the arithmetic against. ``sensitivity_shares`` are other shares to show.
    """

    spend: Text = Field(description="What is shifted, e.g. 'acute spend'.")
    unit: Text = "district"
    units: int = Field(gt=0)
    share: float = Field(gt=0, le=1)
    saving_per_unit: float = Field(gt=0, description="Pounds freed per unit at 'share'.")
    stated_total: float | None = Field(default=None, gt=0)
    sensitivity_shares: list[float] = Field(default_factory=list)
    source: Source | None = None

    @model_validator(mode="after")
    def _shares(self) -> SavingsProposal:
        if any(not 0 < s <= 1 for s in self.sensitivity_shares):
            raise ValueError("'sensitivity_shares' must lie between 0 and 1")
        return self


class Initiative(Item):
    """An initiative or programme: targets, dates, lead and partners, money, caseload, and what it serves."""

    name: Text
    description: str | None = None
    lead: ItemId | None = Field(default=None, description="The lead organisation.")
    partners: list[ItemId] = Field(default_factory=list, description="Partner organisations.")
    target_areas: list[ItemId] = Field(
        default_factory=list, description="Areas or area groupings targeted (wards and LSOAs allowed)."
    )
    target_cohort: str | None = Field(default=None, description="Who it targets, in words.")
    target_group: GroupRef | None = None
    comparison_areas: list[ItemId] = Field(
        default_factory=list, description="Areas to judge it against (none: chosen by the user or matched)."
    )
    start: date | None = None
    end: date | None = None
    start_text: str | None = Field(default=None, description="The start as the source words it (e.g. '2002').")
    end_text: str | None = Field(default=None, description="The end as the source words it.")
    phases: list[Phase] = Field(default_factory=list)
    budget: float | None = Field(default=None, ge=0, description="Budget, in pounds.")
    cost: float | None = Field(default=None, ge=0, description="Cost so far, in pounds.")
    caseload: int | None = Field(default=None, ge=0, description="Cases (families, people) worked with.")
    staff: float | None = Field(default=None, ge=0, description="Workers (full-time equivalent).")
    max_per_worker: float | None = Field(default=None, gt=0, description="Most cases one worker holds.")
    outcomes: list[ItemId] = Field(default_factory=list)
    kpqs: list[ItemId] = Field(default_factory=list)
    indicators: list[ItemId] = Field(default_factory=list, description="Indicators its impact is judged on.")
    studies: list[ItemId] = Field(default_factory=list, description="Evaluation studies (``evidence`` ids).")
    caseload_scenario: CaseloadScenario | None = None
    savings: SavingsProposal | None = None

    @model_validator(mode="after")
    def _check(self) -> Initiative:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"'end' ({self.end}) is before 'start' ({self.start})")
        overlap = sorted(set(self.target_areas) & set(self.comparison_areas))
        if overlap:
            raise ValueError(
                f"'comparison_areas' overlaps 'target_areas' ({', '.join(overlap)}): "
                "an area cannot be its own comparison"
            )
        for phase in self.phases:
            for name, when in (("start", phase.start), ("end", phase.end)):
                if when is None:
                    continue
                if self.start and when < self.start:
                    raise ValueError(f"phase '{phase.name}': '{name}' ({when}) is before the initiative's 'start'")
                if self.end and when > self.end:
                    raise ValueError(f"phase '{phase.name}': '{name}' ({when}) is after the initiative's 'end'")
        capacity = (self.staff or 0) * (self.max_per_worker or 0)
        if self.caseload is not None and capacity and self.caseload > capacity:
            raise ValueError(
                f"'caseload' {self.caseload} exceeds 'staff' {self.staff:g} x 'max_per_worker' {self.max_per_worker:g}"
            )
        return self
