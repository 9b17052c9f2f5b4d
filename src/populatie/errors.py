"""One error tree for the whole product.

Every error a user can cause or meet derives from :class:`PopulatieError`, so the CLI and the
HTTP layer can render all of them the same way (a message, and for HTTP an RFC 9457 problem with
a stable ``type``) without knowing each kind::

    PopulatieError
    ├── ConfigurationError        config/ is inconsistent (district in no area or two, bad code)
    ├── DataError                 shipped or uploaded data is invalid (CRS, code, negative count)
    │   ├── MissingFigureError    a figure the model needs is not shipped for that district
    │   ├── SpendingImportError   a spending file is invalid; ``details`` has every line/column
    │   └── CostSharingError      a cost-sharing key cannot share (bad weight, all weights zero)
    ├── AllocationError           the method cannot produce an allocation
    │   └── DampingInfeasibleError  the damping bounds cannot hold the budget total
    ├── NotFoundError             a run, area or other record does not exist (or is not yours)
    ├── ConflictError             the request clashes with stored state (a run not proposed)
    └── FourEyesError             someone would approve or reject a run they proposed themselves

``problem_type`` is the stable part of the problem-details ``type`` URI; ``status`` the HTTP code.
"""

from __future__ import annotations


class PopulatieError(Exception):
    """Base of every error the product raises on purpose."""

    problem_type = "populatie-error"
    status = 500

    def __init__(self, message: str, *, details: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class ConfigurationError(PopulatieError):
    problem_type = "configuration-error"
    status = 422


class DataError(PopulatieError):
    problem_type = "data-error"
    status = 422


class MissingFigureError(DataError):
    problem_type = "missing-figure"


class SpendingImportError(DataError):
    """A spending file is rejected; ``details`` lists every problem as
    ``{line, column, value, reason}`` and nothing of the file was written."""

    problem_type = "spending-import"


class CostSharingError(DataError):
    """A cost-sharing key cannot share an amount: it names no municipality, a weight is not a
    finite number of at least zero, or every weight is zero (it says nothing about how to
    share)."""

    problem_type = "cost-sharing"


class AllocationError(PopulatieError):
    problem_type = "allocation-error"
    status = 422


class DampingInfeasibleError(AllocationError):
    problem_type = "damping-infeasible"


class NotFoundError(PopulatieError):
    problem_type = "not-found"
    status = 404


class ConflictError(PopulatieError):
    problem_type = "conflict"
    status = 409


class FourEyesError(PopulatieError):
    """A proposal decided by the one who made it: the decision needs a second person, so the
    role alone (finance may propose too) is not enough."""

    problem_type = "four-eyes"
    status = 403
