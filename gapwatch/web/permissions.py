"""The web's view of the one permission model, which lives in :mod:`gapwatch.domain.access`.

Each route names ONE permission through :func:`gapwatch.web.deps.require` (or a role list through
``require_role``); the authorisation matrix test reads those declarations from the app's route table and
checks every route against every role, so a route without a rule fails CI. The route only lets a role
through the door: what a lead officer may change (only the actions and risks they own) is decided by the
service, through the same model.
"""

from __future__ import annotations

from gapwatch.domain.access import ANONYMOUS, OWN_ONLY, ROLE_LABELS, ROLE_PERMISSIONS, Permission, Role, role_may

__all__ = ["ANONYMOUS", "OWN_ONLY", "ROLE_LABELS", "ROLE_PERMISSIONS", "Permission", "Role", "role_may"]
