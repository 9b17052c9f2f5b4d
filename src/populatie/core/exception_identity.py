"""Which reconciliation exception is which, across runs, and what it concerns.

An exception is recomputed from the data every time the reconciliation runs; it has no row of
its own. Finance's mark "afgehandeld" must still find it again, so an exception is known by a
stable identity: its **kind**, its **subject** (the contract, lot, district or invoice it is
about, as the reconciliation names it) and the **year** reconciled. Amounts, row counts and
months are left out on purpose: more spending on the same finding is the same finding. The
key is a short hash of the three, safe in a URL.

Two findings of one kind about one subject in one year share a mark; the reconciliation lists
each such pair once per partnership, which only happens for a contract that changed hands.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from populatie.core.reconciliation import ReconciliationException

__all__ = ["exception_key", "exception_lot", "exception_municipality"]

KEY_LENGTH = 20
_LOT = re.compile(r"\b(GM\d{4}/\d+)\b")
_MUNICIPALITY = re.compile(r"\b(GM\d{4})\b")


def exception_key(kind: str, subject: str, year: int) -> str:
    """The stable identity of a finding (see the module docstring), as 20 hex digits."""
    text = f"{year}\x1f{kind}\x1f{subject}".encode()
    return hashlib.sha256(text).hexdigest()[:KEY_LENGTH]


def exception_lot(exc: ReconciliationException, contract_lots: Mapping[str, str]) -> str | None:
    """The lot (``GM0518/1``) a finding is about: named in its facts, through the contract (or
    the reference) it names, or in its subject; None for a finding about no lot (a district,
    spending without a reference)."""
    lot = exc.facts.get("lot")
    if isinstance(lot, str) and lot:
        return lot
    for name in ("contract", "reference"):
        named = exc.facts.get(name)
        if isinstance(named, str) and named in contract_lots:
            return contract_lots[named]
        if isinstance(named, str) and _LOT.fullmatch(named):
            return named
    if exc.subject.startswith("contract "):
        reference = exc.subject.removeprefix("contract ").split(" ")[0]
        if reference in contract_lots:
            return contract_lots[reference]
    found = _LOT.search(exc.subject)
    return found[1] if found else None


def exception_municipality(
    exc: ReconciliationException, contract_lots: Mapping[str, str]
) -> str | None:
    """The municipality (``GM0518``) a finding is about, from its facts or its lot."""
    code = exc.facts.get("municipality")
    if isinstance(code, str) and _MUNICIPALITY.fullmatch(code):
        return code
    lot = exception_lot(exc, contract_lots)
    if lot is not None:
        return lot.split("/")[0]
    found = _MUNICIPALITY.search(exc.subject + " " + exc.detail)
    return found[1] if found else None
