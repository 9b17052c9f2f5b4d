"""Propose, approve, reject: adoption with four eyes, over a session (the caller commits).

A planner (or finance) proposes a stored run with a note; finance approves it, which adopts it
exactly as :func:`populatie.allocations.service.adopt` does (one adopted run per municipality
and year, in the same unit of work), or rejects it with a reason. Whoever proposed a run may
not decide it: the rule compares identities (the token, or the command line's user), never
roles, because a finance token may both propose and approve.

Every step is a ``run_proposal_event`` and an audit event in the caller's transaction. The
state changes by a conditional update (``WHERE state = 'proposed' AND round = n``), so of two
decisions at the same moment exactly one takes effect and the other is told it came too late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from populatie.allocations import service as runs
from populatie.allocations.models import AllocationRun
from populatie.auth.audit import CLI_ROLE, record_event
from populatie.auth.tokens import Principal
from populatie.errors import ConflictError, DataError, FourEyesError, NotFoundError
from populatie.proposals.models import RunProposal, RunProposalEvent

__all__ = [
    "Actor",
    "ProposalView",
    "StepView",
    "approve",
    "list_proposals",
    "pending_ids",
    "proposal_of",
    "propose",
    "reject",
    "settle_by_operator",
]

MAX_TEXT = 2000


@dataclass(frozen=True)
class Actor:
    """Who takes a step: ``name`` as the audit log writes it, ``identity`` as the four-eyes
    rule compares it."""

    name: str
    identity: str
    role: str
    partnership: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """A token holder, on the API or signed in on the pages: the same token is the same
        identity on both."""
        return cls(
            name=principal.actor,
            identity=f"token:{principal.token_id}",
            role=principal.role.value,
            partnership=principal.partnership,
        )

    @classmethod
    def on_command_line(cls, user: str) -> Actor:
        return cls(name=user, identity=f"user:{user}", role=CLI_ROLE)


@dataclass(frozen=True)
class StepView:
    step: str
    at: datetime
    actor: str
    role: str
    text: str
    round: int

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "text": self.text,
            "round": self.round,
        }


@dataclass(frozen=True)
class ProposalView:
    """A run's proposal as the CLI, the API and the pages show it; ``state`` is ``none`` for
    a run never proposed."""

    run_id: str
    year: int
    scenario: str
    municipalities: list[str]
    run_status: str
    state: str
    round: int = 0
    note: str = ""
    proposed_at: datetime | None = None
    proposed_by: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str = ""
    history: list[StepView] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "year": self.year,
            "scenario": self.scenario,
            "municipalities": self.municipalities,
            "run_status": self.run_status,
            "state": self.state,
            "round": self.round,
            "note": self.note,
            "proposed_at": self.proposed_at.isoformat() if self.proposed_at else None,
            "proposed_by": self.proposed_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "history": [s.as_json() for s in self.history],
        }


def _run(session: Session, run_id: str) -> AllocationRun:
    run = session.get(AllocationRun, run_id)
    if run is None:
        raise NotFoundError(f"allocation run {run_id} does not exist")
    return run


def _text(value: str, name: str, why: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise DataError(f"{name}: {why}", details=[{"field": name, "reason": "empty"}])
    if len(cleaned) > MAX_TEXT:
        raise DataError(
            f"{name}: at most {MAX_TEXT} characters",
            details=[{"field": name, "reason": "too long"}],
        )
    return cleaned


def _history(session: Session, run_id: str) -> list[StepView]:
    rows = session.execute(
        select(RunProposalEvent)
        .where(col(RunProposalEvent.run_id) == run_id)
        .order_by(col(RunProposalEvent.id))
    ).scalars()
    return [StepView(r.step, r.at, r.actor, r.role, r.text, r.round) for r in rows]


def _view(session: Session, run: AllocationRun, row: RunProposal | None) -> ProposalView:
    view = ProposalView(
        run_id=run.id,
        year=run.year,
        scenario=run.scenario,
        municipalities=list(run.municipalities),
        run_status=runs.run_standing(session, run).label,
        state="none",
    )
    if row is None:
        return view
    return replace(
        view,
        state=row.state,
        round=row.round,
        note=row.note,
        proposed_at=row.proposed_at,
        proposed_by=row.proposed_by,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        reason=row.reason,
        history=_history(session, run.id),
    )


def proposal_of(session: Session, run_id: str) -> ProposalView:
    """The proposal of a run, with every step; ``state`` ``none`` if it was never proposed."""
    run = _run(session, run_id)
    return _view(session, run, session.get(RunProposal, run_id))


def list_proposals(
    session: Session, state: str | None = None, year: int | None = None
) -> list[ProposalView]:
    """Proposals, newest proposed first, optionally of one state and year."""
    query = select(RunProposal, AllocationRun).join(
        AllocationRun, col(AllocationRun.id) == col(RunProposal.run_id)
    )
    if state is not None:
        query = query.where(col(RunProposal.state) == state)
    if year is not None:
        query = query.where(col(AllocationRun.year) == year)
    rows = session.execute(
        query.order_by(col(RunProposal.proposed_at).desc(), col(RunProposal.run_id))
    ).all()
    return [_view(session, run, proposal) for proposal, run in rows]


def _step(
    session: Session, run: AllocationRun, round_: int, step: str, who: Actor, text: str = ""
) -> None:
    session.add(
        RunProposalEvent(
            run_id=run.id,
            round=round_,
            step=step,
            at=datetime.now(UTC),
            actor=who.name,
            identity=who.identity,
            role=who.role,
            text=text,
        )
    )
    session.flush()


def _audit(session: Session, who: Actor, action: str, run: AllocationRun, **detail: Any) -> None:
    record_event(
        session,
        actor=who.name,
        role=who.role,
        partnership=who.partnership,
        action=action,
        target=f"run:{run.id}",
        detail={"year": run.year, "municipalities": list(run.municipalities), **detail},
    )


def propose(session: Session, run_id: str, who: Actor, note: str) -> ProposalView:
    """Propose a run for adoption. Refused (409) for a run in force for all its
    municipalities already, and for one whose proposal awaits a decision; a rejected run, or
    an approved one that was superseded since, may be proposed again (a new round)."""
    run = _run(session, run_id)
    cleaned = _text(note, "note", "say why this run should be adopted (kept with the proposal)")
    standing = runs.run_standing(session, run)
    if standing.status == "adopted" and not standing.superseded_for:
        raise ConflictError(f"run {run.id} is adopted already; there is nothing to propose")
    now = datetime.now(UTC)
    row = session.get(RunProposal, run.id)
    if row is None:
        row = RunProposal(
            run_id=run.id,
            state="proposed",
            round=1,
            note=cleaned,
            proposed_at=now,
            proposed_by=who.name,
            proposer_identity=who.identity,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise ConflictError(
                f"run {run.id} was proposed by someone else at the same moment"
            ) from None
    else:
        if row.state == "proposed":
            raise ConflictError(
                f"run {run.id} is proposed already (by {row.proposed_by}, "
                f"{row.proposed_at:%Y-%m-%d %H:%M}); finance approves or rejects it"
            )
        changed = session.execute(
            update(RunProposal)
            .where(col(RunProposal.run_id) == run.id)
            .where(col(RunProposal.state) == row.state, col(RunProposal.round) == row.round)
            .values(
                state="proposed",
                round=row.round + 1,
                note=cleaned,
                proposed_at=now,
                proposed_by=who.name,
                proposer_identity=who.identity,
                decided_at=None,
                decided_by=None,
                decider_identity=None,
                reason="",
            )
            .execution_options(synchronize_session="fetch")
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"run {run.id} was proposed by someone else at the same moment")
        session.refresh(row)
    _step(session, run, row.round, "proposed", who, cleaned)
    _audit(session, who, "run.propose", run, round=row.round, note=cleaned)
    return _view(session, run, row)


def _decide(
    session: Session, run_id: str, who: Actor, state: str, reason: str
) -> tuple[AllocationRun, RunProposal]:
    """The checks both decisions share, then the one conditional update that makes it."""
    run = _run(session, run_id)
    row = session.get(RunProposal, run.id)
    verb = "approve" if state == "approved" else "reject"
    if row is None:
        raise ConflictError(
            f"run {run.id} is not proposed for adoption; a planner proposes it first "
            f"(POST /api/runs/{run.id}/proposal, `populatie runs propose`)"
        )
    if row.state != "proposed":
        raise ConflictError(
            f"run {run.id} is {row.state} already (by {row.decided_by}, "
            f"{row.decided_at:%Y-%m-%d %H:%M}); there is nothing to {verb}"
            if row.decided_at is not None
            else f"run {run.id} is {row.state} already; there is nothing to {verb}"
        )
    if row.proposer_identity == who.identity:
        raise FourEyesError(
            f"you proposed run {run.id} yourself, so someone else must {verb} it (four eyes) "
            f"— u hebt deze run zelf voorgesteld; een ander moet hem "
            f"{'goedkeuren' if state == 'approved' else 'afwijzen'}",
            details=[{"field": "run_id", "reason": "proposed by the same token or user"}],
        )
    changed = session.execute(
        update(RunProposal)
        .where(col(RunProposal.run_id) == run.id)
        .where(col(RunProposal.state) == "proposed", col(RunProposal.round) == row.round)
        .values(
            state=state,
            decided_at=datetime.now(UTC),
            decided_by=who.name,
            decider_identity=who.identity,
            reason=reason,
        )
        .execution_options(synchronize_session="fetch")
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"run {run.id} was decided by someone else at the same moment")
    session.refresh(row)
    return run, row


def approve(session: Session, run_id: str, who: Actor, note: str = "") -> ProposalView:
    """Approve a proposal, which adopts the run for its year and municipalities (superseding
    the run adopted before, per municipality), in the caller's unit of work."""
    run, row = _decide(session, run_id, who, "approved", note.strip())
    runs.adopt(session, run.id, who.name)
    _step(session, run, row.round, "approved", who, note.strip())
    _audit(
        session,
        who,
        "run.approve",
        run,
        round=row.round,
        proposed_by=row.proposed_by,
        note=note.strip(),
    )
    _audit(session, who, "run.adopt", run, round=row.round, path="approval")
    return _view(session, run, row)


def reject(session: Session, run_id: str, who: Actor, reason: str) -> ProposalView:
    """Reject a proposal with a reason; the run stays as it was (a draft, or superseded)."""
    cleaned = _text(reason, "reason", "say why the proposal is rejected (kept with it)")
    run, row = _decide(session, run_id, who, "rejected", cleaned)
    _step(session, run, row.round, "rejected", who, cleaned)
    _audit(
        session,
        who,
        "run.reject",
        run,
        round=row.round,
        proposed_by=row.proposed_by,
        reason=cleaned,
    )
    return _view(session, run, row)


def settle_by_operator(session: Session, run: AllocationRun, who: Actor) -> bool:
    """After the operator's own adoption (``populatie adopt``, ``allocate --adopt``): a
    pending proposal of the run is settled as approved, with a step that says how, so it no
    longer waits on the finance page. True when there was one."""
    row = session.get(RunProposal, run.id)
    if row is None or row.state != "proposed":
        return False
    row.state = "approved"
    row.decided_at = datetime.now(UTC)
    row.decided_by = who.name
    row.decider_identity = who.identity
    session.add(row)
    session.flush()
    _step(session, run, row.round, "adopted", who, "adopted by the operator's command")
    return True


def pending_ids(session: Session, run_ids: Sequence[str]) -> set[str]:
    """Which of ``run_ids`` await a decision."""
    if not run_ids:
        return set()
    rows = session.execute(
        select(col(RunProposal.run_id))
        .where(col(RunProposal.run_id).in_(list(run_ids)))
        .where(col(RunProposal.state) == "proposed")
    ).scalars()
    return set(rows)
