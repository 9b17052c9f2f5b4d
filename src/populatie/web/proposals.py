"""What the pages show of proposals and budget totals: the planner's form to propose the run
it looks at, finance's list of proposals to approve or reject, and finance's budget totals form.

View-models only, in Dutch; the writes are :mod:`populatie.proposals.service` and
:mod:`populatie.budget_totals.service`, called by :mod:`populatie.web.forms`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from populatie.auth.authors import author_name
from populatie.budget_totals.service import list_totals
from populatie.configuration import DOMAINS
from populatie.core.money import format_euro
from populatie.proposals.service import ProposalView, list_proposals, proposal_of
from populatie.web.formatting import DOMAIN_LABELS, RUN_STATUS_LABELS, date_time, scenario_name

STATE_LABELS = {
    "none": "niet voorgesteld",
    "proposed": "voorgesteld ter vaststelling",
    "approved": "goedgekeurd",
    "rejected": "afgewezen",
}
STEP_LABELS = {
    "proposed": "voorgesteld",
    "approved": "goedgekeurd en vastgesteld",
    "rejected": "afgewezen",
    "adopted": "vastgesteld door de beheerder (opdrachtregel)",
}
RECENT = 5


@dataclass(frozen=True)
class StepLine:
    when: str
    what: str
    who: str
    text: str


@dataclass(frozen=True)
class ProposalPanel:
    """One run's proposal: its state, the steps so far, and whether it may be proposed now."""

    run_id: str
    title: str
    state: str
    state_label: str
    note: str
    reason: str
    steps: list[StepLine]
    can_propose: bool


@dataclass(frozen=True)
class ProposalRow:
    run_id: str
    title: str
    municipalities: str
    note: str
    proposed: str
    state_label: str
    decided: str
    reason: str


@dataclass(frozen=True)
class TotalsLine:
    municipality: str
    amounts: list[str]
    total: str
    version: int


@dataclass(frozen=True)
class TotalsForm:
    year: int
    municipalities: list[tuple[str, str]]
    domains: list[tuple[str, str]]
    lines: list[TotalsLine]


def _title(view: ProposalView) -> str:
    status = view.run_status
    for code, label in RUN_STATUS_LABELS.items():
        status = status.replace(code, label)
    return f"{view.year} · {status} · {scenario_name(view.scenario)}"


def _steps(session: Session, view: ProposalView) -> list[StepLine]:
    return [
        StepLine(
            date_time(s.at), STEP_LABELS.get(s.step, s.step), author_name(session, s.actor), s.text
        )
        for s in view.history
    ]


def planner_panel(session: Session, run_id: str) -> ProposalPanel:
    """The proposal of the run the planner looks at (the comparison run)."""
    view = proposal_of(session, run_id)
    in_force = view.run_status == "adopted"
    return ProposalPanel(
        run_id=view.run_id,
        title=_title(view),
        state=view.state,
        state_label=STATE_LABELS[view.state],
        note=view.note,
        reason=view.reason,
        steps=_steps(session, view),
        can_propose=view.state != "proposed" and not in_force,
    )


def _row(session: Session, view: ProposalView) -> ProposalRow:
    proposed, decided = "", ""
    if view.proposed_at:
        proposed = f"{author_name(session, view.proposed_by or '')}, {date_time(view.proposed_at)}"
    if view.decided_at:
        decided = f"{author_name(session, view.decided_by or '')}, {date_time(view.decided_at)}"
    return ProposalRow(
        run_id=view.run_id,
        title=_title(view),
        municipalities=", ".join(view.municipalities),
        note=view.note,
        proposed=proposed,
        state_label=STATE_LABELS[view.state],
        decided=decided,
        reason=view.reason,
    )


def finance_proposals(session: Session) -> tuple[list[ProposalRow], list[ProposalRow]]:
    """The proposals that wait for a decision, and the latest decided ones."""
    waiting = [_row(session, v) for v in list_proposals(session, "proposed")]
    decided = [
        _row(session, v) for v in list_proposals(session) if v.state in ("approved", "rejected")
    ][:RECENT]
    return waiting, decided


def totals_form(session: Session, year: int, municipalities: list[tuple[str, str]]) -> TotalsForm:
    """The year's current totals beside the form that sets a municipality's."""
    lines = [
        TotalsLine(
            municipality=v.municipality,
            amounts=[format_euro(v.cents[d]) for d in DOMAINS],
            total=format_euro(sum(v.cents.values())),
            version=v.version,
        )
        for v in list_totals(session, year)
    ]
    return TotalsForm(
        year=year,
        municipalities=municipalities,
        domains=[(d, DOMAIN_LABELS[d]) for d in DOMAINS],
        lines=lines,
    )
