"""Thin HTTP layer over spending: upload a file (finance), list the rows (scoped).

An upload is validated whole and written in one transaction with its audit event, or rejected
with every error as ``{line, column, value, reason}`` in the problem's ``errors``; the import
runs in a worker thread, so a large file does not hold up other requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body, FromQuery, QueryParameter

from populatie.api import schemas
from populatie.api.deps import Caller, DbSession, Paging
from populatie.api.spending import list_spending, upload_spending
from populatie.auth.access import FINANCE, READ_SCOPED, access

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
Code = Annotated[str | None, QueryParameter(max_length=64)]
MAX_FILE_NAME_BYTES = 255  # what a file system takes for one name
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def upload_name(raw: str | None) -> str:
    """The name an upload is recorded under: its last part, which must be a usable file name.

    The import stores the file under this name for a moment and records it, so ``.``, ``..``,
    a name too long for a file system or one with control characters is a bad request, named
    as the ``file`` field, rather than a failure to write it."""
    name = PurePosixPath((raw or "upload.csv").replace("\\", "/")).name
    reason = None
    if name in ("", ".", ".."):
        reason = f"the file name {raw!r} names no file"
    elif len(name.encode("utf-8")) > MAX_FILE_NAME_BYTES:
        reason = f"the file name is longer than {MAX_FILE_NAME_BYTES} bytes"
    elif _CONTROL.search(name):
        reason = "the file name holds a control character"
    if reason is not None:
        raise ValidationException(
            detail=reason, extra=[{"key": "file", "source": "body", "message": reason}]
        )
    return name


@dataclass
class SpendingUploadForm:
    """A spending CSV (the import's format) and whether its amounts use a decimal comma."""

    file: UploadFile
    decimal_comma: bool = False


class SpendingController(Controller):
    path = "/api/spending"
    tags = ["spending"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/",
        operation_id="ListSpending",
        sync_to_thread=True,
        description="Imported rows, newest booking first, with the total of all that match.",
        **access(READ_SCOPED),
    )
    def list_spending(
        self,
        session: DbSession,
        principal: Caller,
        window: Paging,
        booked_from: FromQuery[date | None] = None,
        booked_to: FromQuery[date | None] = None,
        municipality: Annotated[str | None, QueryParameter(pattern=r"^GM\d{4}$")] = None,
        district: Annotated[str | None, QueryParameter(pattern=r"^WK\d{6}$")] = None,
        reference: Code = None,
        domain: Annotated[
            str | None, QueryParameter(pattern=r"^(prevention|access|specialist)$")
        ] = None,
        provider: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> schemas.SpendingPage:
        return list_spending(
            session,
            window,
            principal.scope,
            booked_from=booked_from,
            booked_to=booked_to,
            municipality=municipality,
            district=district,
            reference=reference,
            domain=domain,
            provider=provider,
        )

    @post(
        "/",
        operation_id="UploadSpending",
        status_code=200,
        sync_to_thread=True,
        request_max_body_size=MAX_UPLOAD_BYTES,
        description="Import a spending CSV: all or nothing; the same file twice is a no-op.",
        **access(FINANCE, errors=[422]),
    )
    def upload(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        data: Annotated[SpendingUploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> schemas.SpendingImport:
        content = data.file.file.read()
        return upload_spending(
            request.app.state.engine,
            upload_name(data.file.filename),
            content,
            data.decimal_comma,
            principal,
        )
