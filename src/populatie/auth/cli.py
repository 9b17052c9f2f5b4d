"""``populatie tokens create|list|revoke|demo``: API tokens from the command line.

``create`` prints the token as its last line, so ``populatie tokens create … | tail -n 1``
gives a script the token and nothing else. The token is shown once; only its hash is stored.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from populatie.auth.tokens import Role, issue_token, list_tokens, revoke_token
from populatie.db import session_scope
from populatie.errors import ConfigurationError
from populatie.registry.models import Partnership
from populatie.settings import Settings

DEMO_LABEL = "demo"


def add_commands(subparsers: Any) -> None:
    tokens = subparsers.add_parser("tokens", help="issue, list and revoke API bearer tokens")
    sub = tokens.add_subparsers(dest="tokens_command", required=True)

    create = sub.add_parser("create", help="issue a token; prints it as the last line")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--partnership", help="the partnership a consortium token is bound to")
    create.add_argument("--label", default="", help="a name to recognise the token by")
    create.set_defaults(handler=_create)

    listing = sub.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.add_argument("--active", action="store_true", help="leave revoked tokens out")
    listing.set_defaults(handler=_list)

    revoke = sub.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", type=int)
    revoke.set_defaults(handler=_revoke)

    demo = sub.add_parser(
        "demo",
        help="embedded demo database only: revoke earlier demo tokens, print one per role "
        "and per partnership",
    )
    demo.add_argument(
        "--url",
        default="http://127.0.0.1:8000",
        help="where `populatie serve` answers, for the hints printed with the tokens",
    )
    demo.set_defaults(handler=_demo)


def _create(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        issued = issue_token(session, args.role, args.partnership, args.label, settings.user)
        record = issued.record
    bound = f", partnership {record.partnership_name}" if record.partnership_name else ""
    sys.stdout.write(
        f"token {record.id} ({record.role}{bound}) issued; it is shown once, store it now:\n"
        f"{issued.token}\n"
    )
    return 0


def _list(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        for t in list_tokens(session, include_revoked=not args.active):
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            sys.stdout.write(
                f"{t.id:>4}  {t.role:<10}  {t.partnership_name or '-':<28}  {state:<22}  "
                f"{t.created_at:%Y-%m-%d %H:%M}  {t.created_by}  {t.label}\n"
            )
    return 0


def _revoke(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        record = revoke_token(session, args.token_id, settings.user)
    sys.stdout.write(f"token {record.id} ({record.role}) revoked\n")
    return 0


def _demo(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    """Fresh demo tokens on the embedded SQLite database, never on a configured one."""
    if settings.database_url:
        raise ConfigurationError(
            "demo tokens are issued on the embedded demo database only "
            "(POPULATIE_DATABASE_URL is set); use `populatie tokens create`"
        )
    rows: list[tuple[str, str, str]] = []
    with session_scope(engine) as session:
        for t in list_tokens(session, include_revoked=False):
            if t.label == DEMO_LABEL and t.id is not None:
                revoke_token(session, t.id, settings.user)
        partnerships = session.execute(
            select(col(Partnership.name)).order_by(col(Partnership.name))
        ).scalars()
        wanted: list[tuple[Role, str | None]] = [
            (Role.FINANCE, None),
            (Role.PLANNER, None),
            (Role.AUDITOR, None),
            *((Role.CONSORTIUM, name) for name in partnerships),
        ]
        for role, partnership in wanted:
            issued = issue_token(session, role.value, partnership, DEMO_LABEL, settings.user)
            rows.append((role.value, partnership or "", issued.token))
    sys.stdout.write("Demo tokens (earlier demo tokens are revoked; use as Bearer tokens):\n")
    for role_name, bound, token in rows:
        sys.stdout.write(f"  {role_name:<10}  {bound:<28}  {token}\n")
    url = args.url.rstrip("/")
    sys.stdout.write(
        f"  pages: sign in with a token on {url}/sign-in\n"
        f"  API:   curl -H 'Authorization: Bearer <token>' {url}/api/areas\n"
    )
    return 0
