"""What the planner's pages share: Dutch names of indicators, runs and problems."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, AllocationRun
from populatie.auth.authors import author_name
from populatie.errors import (
    AllocationError,
    ConfigurationError,
    DampingInfeasibleError,
    DataError,
    MissingFigureError,
    NotFoundError,
    PopulatieError,
)
from populatie.web.formatting import (
    RUN_STATUS_LABELS,
    date_time,
    scenario_name,
)

MAX_RUNS = 4
PART_LABELS = {
    "budget": "Budget",
    "population": "Bevolking",
    "need_mix": "Behoeftemix",
    "damping": "Demping",
}
INDICATOR_LABELS = {
    "inhabitants": "Inwoners",
    "young_population": "Jeugdigen (0–17 jaar)",
    "young_0_14": "Jeugdigen 0–14 jaar",
    "young_15_24": "Jongeren 15–24 jaar",
    "households": "Huishoudens",
    "households_with_children": "Huishoudens met kinderen",
    "low_income_households": "Huishoudens met een laag inkomen",
    "social_assistance": "Bijstandsuitkeringen",
    "youth_care_users": "Jongeren met jeugdzorg",
}


@dataclass(frozen=True)
class Message:
    """A Dutch sentence for the page and, apart, the technical reason in English (the page
    marks it ``lang="en"``), so a planner can pass it on to whoever keeps the model."""

    text: str
    reason: str = ""


_KIND_NL: tuple[tuple[type[PopulatieError], str], ...] = (
    (
        DampingInfeasibleError,
        "De dempingsregels laten niet genoeg ruimte om het budgettotaal precies te verdelen: "
        "verruim de demping of verander het totaal minder.",
    ),
    (MissingFigureError, "Voor een indicator ontbreken cijfers in een of meer wijken."),
    (AllocationError, "De verdeling kan met deze invoer niet worden berekend."),
    (ConfigurationError, "De invoer past niet bij de configuratie."),
    (NotFoundError, "Een gevraagde run of gegeven bestaat niet."),
    (DataError, "De gegevens zijn hiervoor niet toereikend."),
)


def explained(lead: str, exc: PopulatieError) -> Message:
    """``lead`` and what kind of problem stopped it, in Dutch; the error's own text apart."""
    kind = next((text for cls, text in _KIND_NL if isinstance(exc, cls)), "")
    return Message(f"{lead} {kind}".strip(), exc.message)


def indicator_label(key: str) -> str:
    return INDICATOR_LABELS.get(key, key)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool = False


def run_labels(session: Session, runs: Sequence[AllocationRun]) -> dict[str, str]:
    """``2026 · concept · scenario hoog · 02-12-2026 10:15 · planner (sleutel 2)`` per run, never
    an id or a raw token (a run of the configuration's own settings: ``standaardinstellingen``,
    never "config").

    The status is :func:`~populatie.allocations.service.run_standing`'s, read for all runs
    with one query (a page lists every run)."""
    in_force: dict[str, set[str]] = defaultdict(set)
    for run_id, year, municipality in session.execute(
        select(col(Adoption.run_id), col(Adoption.year), col(Adoption.municipality_code))
    ):
        in_force[f"{run_id}/{year}"].add(str(municipality))
    labels = {}
    for run in runs:
        if in_force.get(f"{run.id}/{run.year}", set()) & set(run.municipalities):
            status = "adopted"
        else:
            status = "superseded" if run.adopted_at is not None else "draft"
        labels[run.id] = (
            f"{run.year} · {RUN_STATUS_LABELS[status]} · {scenario_name(run.scenario)} · "
            f"{date_time(run.created_at)} · {author_name(session, run.created_by)}"
        )
    return labels
