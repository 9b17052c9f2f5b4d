"""The finance page's contract forms: register a contract, change one, with a reason.

The form's text is read here into the contracts service's own input
(:class:`~populatie.contracts.service.ContractInput`, :class:`ContractChange`), with an error
in Dutch per field for what a person can type wrong; the service then checks and writes as it
does for ``populatie contracts add|change`` and the API (history, audit). What the service
still refuses (an overlap on the lot, a change that changes nothing) is put back on the field
it concerns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from populatie.auth.tokens import Principal
from populatie.contracts.models import FUNDING_FORMS
from populatie.contracts.service import (
    ContractChange,
    ContractInput,
    ContractView,
    change_contract,
    create_contract,
    find_lot,
    parse_indexation,
)
from populatie.core.money import InvalidAmountError, parse_cents
from populatie.errors import ConflictError, PopulatieError
from populatie.registry.models import Partnership

__all__ = ["FUNDING_LABELS", "ContractForm", "FormOutcome", "submit_contract_form"]

FUNDING_LABELS = {
    "population-based": "populatiebekostiging",
    "task-based": "taakgerichte bekostiging",
    "output-based-trajectory": "outputgericht per traject",
    "output-based-month": "outputgericht per maand",
    "effort-based": "inspanningsgericht",
}
FIELDS = (
    "reference",
    "lot",
    "partnership",
    "partnership_from",
    "starts_on",
    "ends_on",
    "extendable_to",
    "funding_form",
    "ceiling_year",
    "ceiling",
    "indexation",
    "reason",
)
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
_DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


@dataclass
class ContractForm:
    """What was typed (to show again) and the errors per field, in Dutch."""

    mode: str  # "register" or "change"
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


@dataclass(frozen=True)
class FormOutcome:
    form: ContractForm
    saved: ContractView | None


def _date(form: ContractForm, name: str, *, required: bool) -> date | None:
    text = form.values.get(name, "").strip()
    if not text:
        if required:
            form.error(name, "Vul een datum in.")
        return None
    try:
        match = _DUTCH_DATE.fullmatch(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        return date.fromisoformat(text)
    except ValueError:
        form.error(name, f"‘{text}’ is geen datum; schrijf bijvoorbeeld 01-01-2026.")
        return None


def _ceilings(form: ContractForm) -> dict[int, int]:
    year_text = form.values.get("ceiling_year", "").strip()
    amount_text = form.values.get("ceiling", "").strip()
    if not year_text and not amount_text:
        return {}
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2099:
        form.error("ceiling_year", "Vul het jaar van het plafond in, bijvoorbeeld 2026.")
        return {}
    if not amount_text:
        form.error("ceiling", "Vul het plafond in euro in.")
        return {}
    try:
        cents = parse_cents(amount_text.removeprefix("€").strip(), decimal_comma=True)
    except InvalidAmountError:
        form.error("ceiling", f"‘{amount_text}’ is geen bedrag; schrijf bijvoorbeeld 1.250.000,00.")
        return {}
    if cents < 0:
        form.error("ceiling", "Het plafond kan niet negatief zijn.")
        return {}
    return {int(year_text): cents}


def _indexation(form: ContractForm) -> int | None:
    text = form.values.get("indexation", "").strip()
    if not text:
        return None
    try:
        return parse_indexation(text.replace(",", "."))
    except PopulatieError:
        form.error("indexation", "Geef een percentage met hoogstens twee decimalen, boven -100.")
        return None


def _known(session: Session, form: ContractForm, *, required: bool) -> None:
    """The lot and partnership exist (the service would say so in English)."""
    lot = form.values.get("lot", "").strip()
    if lot:
        try:
            find_lot(session, lot)
        except PopulatieError:
            form.error(
                "lot", f"Perceel ‘{lot}’ bestaat niet; schrijf gemeente/nummer, bv. GM0518/1."
            )
    elif required:
        form.error("lot", "Kies het perceel.")
    partnership = form.values.get("partnership", "").strip()
    if partnership and session.get(Partnership, partnership) is None:
        form.error("partnership", f"Samenwerkingsverband ‘{partnership}’ is onbekend.")


def _funding(form: ContractForm, *, required: bool) -> str | None:
    value = form.values.get("funding_form", "").strip()
    if not value:
        if required:
            form.error("funding_form", "Kies de bekostigingsvorm.")
        return None
    if value not in FUNDING_FORMS:
        form.error("funding_form", "Kies een van de bekostigingsvormen uit de lijst.")
        return None
    return value


def _period(form: ContractForm, starts: date | None, ends: date | None, ext: date | None) -> None:
    if starts and ends and ends < starts:
        form.error("ends_on", "De einddatum ligt vóór de ingangsdatum.")
    if ends and ext and ext < ends:
        form.error("extendable_to", "De verlengingsdatum ligt vóór de einddatum.")


def _register(session: Session, form: ContractForm, reason: str, user: str) -> ContractView | None:
    reference = form.values.get("reference", "").strip()
    if not _REFERENCE.fullmatch(reference):
        form.error(
            "reference", "Vul het kenmerk in: letters, cijfers en . _ / - (hoogstens 64 tekens)."
        )
    _known(session, form, required=True)
    starts = _date(form, "starts_on", required=True)
    ends = _date(form, "ends_on", required=True)
    extendable = _date(form, "extendable_to", required=False)
    _period(form, starts, ends, extendable)
    funding = _funding(form, required=True)
    ceilings = _ceilings(form)
    indexation = _indexation(form)
    if form.errors or starts is None or ends is None or funding is None:
        return None
    data = ContractInput(
        reference=reference,
        lot=form.values["lot"].strip(),
        partnership=form.values.get("partnership", "").strip() or None,
        starts_on=starts,
        ends_on=ends,
        extendable_to=extendable,
        funding_form=funding,
        ceilings_cents=ceilings,
        indexation_basis_points=indexation or 0,
    )
    return create_contract(session, data, user, reason)


def _change(session: Session, form: ContractForm, reason: str, user: str) -> ContractView | None:
    reference = form.values.get("reference", "").strip()
    if not reference:
        form.error("reference", "Kies het contract dat wijzigt.")
    _known(session, form, required=False)
    starts = _date(form, "starts_on", required=False)
    ends = _date(form, "ends_on", required=False)
    extendable = _date(form, "extendable_to", required=False)
    since = _date(form, "partnership_from", required=False)
    _period(form, starts, ends, extendable)
    funding = _funding(form, required=False)
    ceilings = _ceilings(form)
    indexation = _indexation(form)
    if form.values.get("partnership", "").strip() and since is None:
        form.error(
            "partnership_from",
            "Vul in per wanneer het nieuwe samenwerkingsverband het contract overneemt.",
        )
    if form.errors:
        return None
    change = ContractChange(
        lot=form.values.get("lot", "").strip() or None,
        partnership=form.values.get("partnership", "").strip() or None,
        partnership_from=since,
        starts_on=starts,
        ends_on=ends,
        extendable_to=extendable,
        funding_form=funding,
        ceilings_cents=ceilings or None,
        indexation_basis_points=indexation,
    )
    return change_contract(session, reference, change, user, reason)


def _place(form: ContractForm, exc: PopulatieError) -> None:
    """Put what the service refused on the field it concerns, in Dutch."""
    text = str(exc)
    if isinstance(exc, ConflictError) and "already has contract" in text:
        form.error("lot", "Op dit perceel loopt in deze periode al een ander contract.")
    elif isinstance(exc, ConflictError) and "exists already" in text:
        form.error("reference", "Dit kenmerk bestaat al; wijzig dat contract in plaats daarvan.")
    elif "not found" in text and form.mode == "change":
        form.error("reference", "Dit contract bestaat niet.")
    elif "changes nothing" in text:
        form.error("reason", "De wijziging verandert niets aan het contract.")
    elif "partnership" in text or "takes over" in text:
        form.error(
            "partnership_from",
            "Deze overnamedatum kan niet: kies de eerste van een maand binnen de looptijd.",
        )
    else:
        form.error("form", "Het contract is niet opgeslagen: de gegevens kloppen niet met elkaar.")


def submit_contract_form(
    session: Session, mode: str, values: dict[str, str], principal: Principal
) -> FormOutcome:
    """Register (``mode="register"``) or change a contract from the form's ``values``. On any
    error nothing is written (the caller rolls its unit of work back) and the form comes back
    with its errors."""
    form = ContractForm(mode=mode, values={k: values.get(k, "") for k in FIELDS})
    reason = form.values["reason"].strip()
    if not reason:
        form.error("reason", "Vul de reden in: waarom wordt het contract vastgelegd of gewijzigd?")
    write = _register if mode == "register" else _change
    try:
        saved = write(session, form, reason, principal.actor)
    except PopulatieError as exc:
        _place(form, exc)
        saved = None
    if form.errors:
        saved = None
    return FormOutcome(form=form, saved=saved)
