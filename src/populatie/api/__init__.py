"""The HTTP layer the feature controllers share: problems, pagination, public schemas and the
read services behind the controllers.

Controllers live with their feature (``districts/controllers.py``, ``registry/controllers.py``,
``allocations/controllers.py``, ``auth/controllers.py``) and stay thin: they take the caller's
:class:`~populatie.auth.tokens.Principal`, call a typed service here or in the feature, and return
a schema from :mod:`populatie.api.schemas`, never a table row.
"""
