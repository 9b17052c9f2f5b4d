"""The public shapes of providers and memberships over HTTP."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

ProviderName = Annotated[str, Meta(min_length=1, max_length=200)]
EightDigits = Annotated[str, Meta(pattern=r"^\d{8}$", examples=["12345678"])]
Role = Literal["lead", "member", "subcontractor"]
Reason = Annotated[str, Meta(max_length=500, description="Why (kept in the history)")]


class Provider(Struct, kw_only=True):
    name: str
    kvk_number: str | None
    agb_code: str | None
    version: int
    recorded_at: datetime
    recorded_by: str
    reason: str


class ProviderPage(Struct, kw_only=True):
    items: list[Provider]
    total: int


class ProviderCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    """A provider as invoices name it; the same name again with another KvK number or AGB
    code records the next version."""

    name: ProviderName
    kvk_number: Annotated[
        EightDigits | None, Meta(description="Chamber of Commerce number (KvK), 8 digits")
    ] = None
    agb_code: Annotated[
        EightDigits | None, Meta(description="AGB code of the care provider, 8 digits")
    ] = None
    reason: Reason = ""


class Membership(Struct, kw_only=True):
    partnership: str
    provider: str
    role: Role
    valid_from: date
    valid_to: date | None
    version: int
    recorded_at: datetime
    recorded_by: str
    reason: str
    source: str


class MembershipPage(Struct, kw_only=True):
    items: list[Membership]
    total: int


class MembershipCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    provider: ProviderName
    role: Role
    valid_from: date
    valid_to: Annotated[date | None, Meta(description="Last day (inclusive); absent: open")] = None
    reason: Reason = ""


class MembershipEnd(Struct, kw_only=True, forbid_unknown_fields=True):
    provider: ProviderName
    ends_on: Annotated[date, Meta(description="The last day the provider is a member")]
    reason: Reason = ""
