"""The finance page's own work: upload a spending file, register and change contracts, mark
exceptions handled. Thin handlers over the features' services, each a form with the page's
CSRF token, open to finance only (an auditor reads the page but has no forms; a planner or a
consortium is refused as on every page of another role).

Every write goes through the same service as the CLI and the API, with its audit event, in one
unit of work; on an error nothing is written and the form or its errors come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlmodel import Session

from populatie.api.deps import Caller, DbSession
from populatie.api.spending import upload_spending
from populatie.auth.access import FINANCE
from populatie.contracts.service import ContractView
from populatie.errors import PopulatieError, SpendingImportError
from populatie.reconciliation.handling import mark_handled
from populatie.spending.controllers import MAX_UPLOAD_BYTES, upload_name
from populatie.web import service
from populatie.web.contract_form import ContractForm, submit_contract_form
from populatie.web.controllers import _context, finance_context, page
from populatie.web.finance_desk import UploadError, contract_choices
from populatie.web.finance_exceptions import ExceptionFilter
from populatie.web.formatting import count, euro
from populatie.web.import_reasons_nl import dutch_reason

__all__ = ["FinanceDeskController"]

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
FILTER_FIELDS = ("soort", "gemeente", "perceel", "afgehandeld")


@dataclass
class SpendingUpload:
    """The page's upload form: the file and whether its amounts use a decimal comma."""

    file: UploadFile
    decimal_comma: str = ""
    _csrf_token: str = ""


def _filter_query(values: dict[str, str], year: int) -> str:
    kept = {k: values[k] for k in FILTER_FIELDS if values.get(k)}
    return urlencode({"year": year, **kept})


class FinanceDeskController(Controller):
    path = "/finance"
    include_in_schema = False

    @post(
        "/spending",
        sync_to_thread=True,
        request_max_body_size=MAX_UPLOAD_BYTES,
        **page(FINANCE),
    )
    def upload(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        data: Annotated[SpendingUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        """The file through the import the API uses: all of it or nothing, audited."""
        errors: list[UploadError] = []
        outcome = None
        try:
            name = upload_name(data.file.filename)
            content = data.file.file.read()
            outcome = upload_spending(
                request.app.state.engine,
                name,
                content,
                data.decimal_comma in ("true", "on"),
                principal,
            )
        except ValidationException as exc:
            errors = [_file_error(data.file.filename, str(exc.detail))]
        except SpendingImportError as exc:
            errors = [
                UploadError(
                    line=str(d.get("line", "—")),
                    column=str(d.get("column", "")),
                    value=str(d.get("value", "")),
                    reason=dutch_reason(str(d.get("reason", ""))),
                )
                for d in exc.details
            ] or [_file_error(data.file.filename, exc.message)]
        except PopulatieError as exc:
            errors = [_file_error(data.file.filename, exc.message)]
        summary = None
        if outcome is not None:
            summary = {
                "imported": outcome.imported,
                "rows": count(outcome.rows),
                "amount": euro(outcome.amount_cents),
                "file": outcome.file_name,
                "first": outcome.first_booked_on.strftime("%d-%m-%Y"),
                "last": outcome.last_booked_on.strftime("%d-%m-%Y"),
                "duplicates": outcome.duplicates,
                "year": outcome.first_booked_on.year,
            }
        return Template(
            template_name="finance_upload.html",
            context=_context(
                request, errors=errors, summary=summary, file_name=data.file.filename or ""
            ),
            status_code=422 if errors else 200,
        )

    @post("/contracts", sync_to_thread=True, **page(FINANCE))
    def contract(
        self, request: Request[Any, Any, Any], session: DbSession, principal: Caller, data: Form
    ) -> Template:
        """Register (``mode=register``) or change a contract; on an error the form again, with
        its errors per field and nothing written."""
        mode = "change" if data.get("mode") == "change" else "register"
        outcome = submit_contract_form(session, mode, data, principal)
        if outcome.saved is None:
            session.rollback()
            return Template(
                template_name="finance_contract.html",
                context=_finance_contract_context(request, session, outcome.form),
                status_code=422,
            )
        return Template(
            template_name="finance_contract.html",
            context=_finance_contract_context(
                request, session, ContractForm(mode, {}), saved=outcome.saved
            ),
        )

    @post("/exceptions/{key:str}/handling", sync_to_thread=True, **page(FINANCE))
    def handle(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        key: FromPath[str],
        data: Form,
    ) -> Template | Redirect:
        """Mark an exception handled with a note; back to the page, with the filter kept."""
        try:
            year = int(data.get("year", ""))
        except ValueError:
            year = 0
        if not 2000 <= year <= 2099:
            raise ValidationException("year: a budget year")
        note = data.get("note", "")
        try:
            mark_handled(session, year, key, note, principal)
        except PopulatieError as exc:
            session.rollback()
            if exc.status == 404:
                raise
            chosen = ExceptionFilter(
                kind=data.get("soort", ""),
                municipality=data.get("gemeente", ""),
                lot=data.get("perceel", ""),
                handled=data.get("afgehandeld", ""),
            )
            context = finance_context(
                request,
                session,
                principal,
                year,
                None,
                chosen,
                handling_error={
                    "key": key,
                    "message": "Vul een notitie in: hoe is dit afgehandeld?",
                },
            )
            return Template(template_name="finance.html", context=context, status_code=422)
        target = f"/finance?{_filter_query(data, year)}#signalering-{key}"
        return Redirect(path=target, status_code=HTTP_303_SEE_OTHER)


def _file_error(file_name: str | None, reason: str) -> UploadError:
    """An error of the whole file (its name, the import as such): a row of the table too."""
    return UploadError("—", "bestand", file_name or "", dutch_reason(reason))


def _finance_contract_context(
    request: Request[Any, Any, Any],
    session: Session,
    form: ContractForm,
    saved: ContractView | None = None,
) -> dict[str, Any]:
    forms = {mode: ContractForm(mode, {}) for mode in ("register", "change")}
    forms[form.mode] = form
    return _context(
        request,
        choices=contract_choices(session),
        forms=forms,
        saved=saved,
        year=service.default_finance_year(session),
    )
