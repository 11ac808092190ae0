"""Who may do what: the one table of roles and permissions that every route declares against.

Each route names ONE permission through :func:`gapwatch.web.deps.require` (or a role list through
``require_role``); the authorisation matrix test reads those declarations from the app's route table and
checks every route against every role, so a route without a rule fails CI.

Lead officers hold :attr:`Permission.UPDATE_OWN` only for the actions and risks they own: the route lets them
through, and the service checks ownership (:func:`gapwatch.web.deps.ensure_can_edit`).
"""

from __future__ import annotations

from enum import StrEnum

from gapwatch.services.accounts import Role

__all__ = [
    "ANONYMOUS",
    "OWN_ONLY",
    "ROLE_LABELS",
    "ROLE_PERMISSIONS",
    "Permission",
    "Role",
    "role_may",
]

#: The pseudo-role of a visitor who has not signed in.
ANONYMOUS = "anonymous"


ROLE_LABELS: dict[str, str] = {
    Role.ADMIN: "Administrator",
    Role.PERFORMANCE_OFFICER: "Performance officer",
    Role.LEAD_OFFICER: "Lead officer",
    Role.BOARD_MEMBER: "Board member",
    ANONYMOUS: "Public (not signed in)",
}


class Permission(StrEnum):
    """What a route needs. Named by what the user does, not by who they are."""

    PUBLIC = "public"  # anyone, signed in or not: /public, sign-in page, static help
    READ = "read"  # any signed-in user: dashboard, plan, indicators, gaps, actions, risks, own account
    COMMENT = "comment"  # write commentary on indicators and outcomes
    UPDATE_OWN = "update_own"  # update actions and risks (lead officers: only their own)
    MANAGE_DATA = "manage_data"  # imports, rollbacks, framework loads, cycles, reports, publication
    VIEW_AUDIT = "view_audit"  # read and export the audit log
    MANAGE_USERS = "manage_users"  # accounts, roles, password resets


_EVERYONE_SIGNED_IN = {Permission.PUBLIC, Permission.READ}

#: The single source of truth: which role holds which permission.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    ANONYMOUS: frozenset({Permission.PUBLIC}),
    Role.BOARD_MEMBER: frozenset(_EVERYONE_SIGNED_IN | {Permission.COMMENT}),
    Role.LEAD_OFFICER: frozenset(_EVERYONE_SIGNED_IN | {Permission.UPDATE_OWN}),
    Role.PERFORMANCE_OFFICER: frozenset(set(Permission) - {Permission.MANAGE_USERS}),
    Role.ADMIN: frozenset(Permission),
}

#: (role, permission) pairs granted only for items the user owns (checked by the service, not the route).
OWN_ONLY: frozenset[tuple[str, Permission]] = frozenset({(Role.LEAD_OFFICER, Permission.UPDATE_OWN)})


def role_may(role: str, permission: Permission) -> bool:
    """Whether ``role`` (a :class:`Role` value or ``"anonymous"``) holds ``permission``."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
