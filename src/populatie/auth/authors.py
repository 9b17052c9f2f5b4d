"""How the pages name whoever made a decision: in words, never the raw ``token:N``.

Decisions record their author as :attr:`populatie.auth.tokens.Principal.actor`
(``token:3 (finance)``) or, from the command line, as the configured user (``cli`` unless set).
The audit log, the API and the CLI keep that form: it is exact and tools read it. A person
reading a page wants to know who it was: the token's label where it says more than the role,
the role in Dutch, and which key, as ``financiën (sleutel 3)`` or
``Team Den Haag (financiën, sleutel 3)``. Tokens carry no personal names; a label is what the
issuer chose to call the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.auth.models import ApiToken

__all__ = ["COMMAND_LINE", "ROLE_WORDS", "author_name"]

#: The roles as an author is named (the pages' menu says more about an auditor's rights).
ROLE_WORDS = {
    "finance": "financiën",
    "planner": "planner",
    "auditor": "auditor",
    "consortium": "samenwerkingsverband",
}
#: The command line's default user (``POPULATIE_USER`` unset), in words.
COMMAND_LINE = {"cli": "beheerder (opdrachtregel)"}
#: Labels that say nothing the role does not: the demo tokens', and the role's own name.
_EMPTY_LABELS = frozenset({"demo", *ROLE_WORDS, *ROLE_WORDS.values()})

_ACTOR = re.compile(r"token:(\d+)(?: \((.*)\))?", re.DOTALL)
_CACHE_KEY = "populatie.token_holders"


@dataclass(frozen=True)
class _Holder:
    role: str
    partnership: str | None


def _holders(session: Session) -> dict[int, _Holder]:
    """Every token's role and partnership, read once per session (a page names many authors)."""
    cached = session.info.get(_CACHE_KEY)
    if cached is None:
        rows = session.execute(
            select(col(ApiToken.id), col(ApiToken.role), col(ApiToken.partnership_name))
        )
        cached = {int(i): _Holder(str(role), partnership) for i, role, partnership in rows}
        session.info[_CACHE_KEY] = cached
    holders: dict[int, _Holder] = cached
    return holders


def author_name(session: Session, actor: str) -> str:
    """``actor`` as a page shows it; an actor that is no token (a command-line user) as is."""
    match = _ACTOR.fullmatch(actor)
    if match is None:
        return COMMAND_LINE.get(actor, actor)
    token_id, label = int(match[1]), (match[2] or "").strip()
    key = f"sleutel {token_id}"
    holder = _holders(session).get(token_id)
    if holder is None:  # a token of another database (a restored log): its label is all we know
        return f"{label} ({key})" if label else key
    role = ROLE_WORDS.get(holder.role, holder.role)
    if holder.partnership:
        role = f"{role} {holder.partnership}"
    if label and label.casefold() not in _EMPTY_LABELS:
        return f"{label} ({role}, {key})"
    return f"{role} ({key})"
