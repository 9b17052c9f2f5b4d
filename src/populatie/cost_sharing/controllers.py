"""Thin HTTP layer over cost-sharing keys and shares.

Finance sets a contract's key (a new version, audited in the request's transaction); finance,
planners and auditors read every contract's key and shares, a consortium only those of the
contracts it holds or held (another's: 404, as for the contract itself). The paths follow
``/api/contract-history/{reference}``: a reference may hold slashes, so nothing can follow it.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.params import FromPath, QueryParameter, RequestBody

from populatie.api.deps import Caller, DbSession
from populatie.api.spending import get_contract_in_scope
from populatie.auth.access import FINANCE, READ_SCOPED, access
from populatie.auth.audit import caller_audit
from populatie.configuration import load_config
from populatie.cost_sharing import schemas, service, shares
from populatie.cost_sharing.service import CostSharingKey

Year = Annotated[int, QueryParameter(ge=2000, le=2099, description="Budget year")]
ToMonth = Annotated[
    int | None,
    QueryParameter(ge=1, le=12, description="Up to and including this month (default: last)"),
]


def _key(view: CostSharingKey) -> schemas.CostSharingKey:
    return schemas.CostSharingKey(
        contract=view.contract,
        version=view.version,
        kind=view.kind,  # type: ignore[arg-type]  # one of KINDS, checked on every write
        municipalities=list(view.municipalities),
        basis_points=view.basis_points,
        recorded_at=view.recorded_at,
        recorded_by=view.recorded_by,
        reason=view.reason,
    )


class ContractSharesController(Controller):
    path = "/api/contract-shares"
    tags = ["contracts"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/{reference:path}",
        operation_id="GetContractShares",
        sync_to_thread=True,
        description="Each municipality's share of the contract's ceiling, spent and forecast "
        "in the year, by the contract's cost-sharing key; the shares add up to the contract's "
        "amounts to the cent.",
        **access(READ_SCOPED, errors=[422]),
    )
    def get_shares(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        reference: FromPath[str],
        year: Year,
        to_month: ToMonth = None,
    ) -> schemas.ContractShares:
        reference = reference.lstrip("/")
        get_contract_in_scope(session, reference, principal.scope)
        config = load_config(request.app.state.settings.config_dir)
        report = shares.contract_shares(
            session, reference, year, config, to_month=to_month, partnership=principal.scope
        )
        return schemas.ContractShares(
            contract=report.contract,
            year=report.year,
            to=f"{report.year}-{report.to_month:02d}",
            key=_key(report.key),
            weight_unit=report.weight_unit,
            forecast_method=report.forecast_method,
            ceiling_cents=report.ceiling_cents,
            spent_cents=report.spent_cents,
            forecast_cents=report.forecast_cents,
            municipalities=[
                schemas.MunicipalityShare(
                    municipality=line.municipality,
                    weight=float(line.weight),
                    share=float(line.fraction),
                    ceiling_cents=line.ceiling_cents,
                    spent_cents=line.spent_cents,
                    forecast_cents=line.forecast_cents,
                )
                for line in report.lines
            ],
            notes=report.notes,
        )


class CostSharingController(Controller):
    path = "/api/contract-cost-sharing"
    tags = ["contracts"]  # noqa: RUF012

    @get(
        "/{reference:path}",
        operation_id="GetContractCostSharing",
        sync_to_thread=True,
        description="Every version of the contract's cost-sharing key, oldest first; the last "
        "is in force.",
        **access(READ_SCOPED),
    )
    def history(
        self, session: DbSession, principal: Caller, reference: FromPath[str]
    ) -> schemas.CostSharingHistory:
        reference = reference.lstrip("/")
        get_contract_in_scope(session, reference, principal.scope)
        items = [_key(v) for v in service.key_history(session, reference)]
        return schemas.CostSharingHistory(reference=reference, items=items, total=len(items))

    @put(
        "/{reference:path}",
        operation_id="SetContractCostSharing",
        sync_to_thread=True,
        description="Set the contract's cost-sharing key: fixed percentages (basis points per "
        "municipality, together 10000), or the municipalities sharing by inhabitants, need or "
        "use. Kept as the next version with the reason; the key in force again is refused.",
        **access(FINANCE, errors=[409, 422]),
    )
    def set_key(
        self,
        session: DbSession,
        principal: Caller,
        reference: FromPath[str],
        data: RequestBody[schemas.CostSharingSet],
    ) -> schemas.CostSharingKey:
        view = service.set_cost_sharing(
            session,
            reference.lstrip("/"),
            data.kind,
            basis_points=data.basis_points,
            municipalities=data.municipalities,
            actor=principal.actor,
            audit=caller_audit(session, principal),
            reason=data.reason,
        )
        return _key(view)
