"""Who may do what: roles, permissions and the ownership rule — the one permission model.

Services check every use case against it (whichever shell called them) and the web app declares each route
against the same table, so the CLI, the web pages and the JSON API cannot disagree about who may do what.

* **Roles** (:class:`Role`): administrators, performance officers, lead officers and board members; a visitor
  who has not signed in has the pseudo-role :data:`ANONYMOUS` (they read only what is published).
* **Permissions** (:class:`Permission`) are named by what someone does; :data:`ROLE_PERMISSIONS` says which
  role holds which.
* **Ownership**: a lead officer holds :attr:`Permission.UPDATE_OWN` only for the actions they lead and the
  risks they own (:data:`OWN_ONLY`); performance officers and admins update everything; board members read
  and comment but change nothing (:func:`may_edit`).
* **Actors**: services are told who acts (:class:`Actor`: a username, a role and the framework person the
  account stands for). Someone at the command line holds the database's own credentials, so they act as an
  :class:`Operator` with every permission, recorded under their name (:func:`as_actor`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gapwatch.errors import Forbidden

__all__ = [
    "ANONYMOUS",
    "OWN_ONLY",
    "ROLE_LABELS",
    "ROLE_PERMISSIONS",
    "Actor",
    "Operator",
    "Permission",
    "Role",
    "as_actor",
    "edits_everything",
    "ensure_can_edit",
    "ensure_may",
    "may",
    "may_edit",
    "role_may",
]


class Role(StrEnum):
    """The roles of signed-in users."""

    ADMIN = "admin"
    PERFORMANCE_OFFICER = "performance_officer"
    LEAD_OFFICER = "lead_officer"
    BOARD_MEMBER = "board_member"


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
    """What someone does. Named by the deed, not by who does it."""

    PUBLIC = "public"  # anyone, signed in or not: published reports, the sign-in page, static help
    READ = "read"  # any signed-in user: dashboard, plan, indicators, gaps, actions, risks, own account
    COMMENT = "comment"  # comment on indicators and actions, write commentary in a reporting cycle
    UPDATE_OWN = "update_own"  # update actions and review risks (lead officers: only their own)
    MANAGE_DATA = "manage_data"  # imports, rollbacks, framework loads, cycles, risks added, publication
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

#: (role, permission) pairs granted only for the items the actor owns (see :func:`may_edit`).
OWN_ONLY: frozenset[tuple[str, Permission]] = frozenset({(Role.LEAD_OFFICER, Permission.UPDATE_OWN)})


class Actor(Protocol):
    """Who acts: a signed-in user, an API client or an operator at the command line."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def person_id(self) -> str | None: ...


@dataclass(frozen=True)
class Operator:
    """Someone running gapwatch at the command line (or a script, or the demo builder).

    They hold the database's own credentials — they could change anything directly — so they hold every
    permission; what they do is audited under ``username`` like anyone else's changes.
    """

    username: str
    role: str = Role.ADMIN
    person_id: str | None = None


def as_actor(who: Actor | str) -> Actor:
    """``who`` as an actor: a name stands for an :class:`Operator` of that name."""
    return Operator(who) if isinstance(who, str) else who


def role_may(role: str, permission: Permission) -> bool:
    """Whether ``role`` (a :class:`Role` value or ``"anonymous"``) holds ``permission`` at all."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def may(actor: Actor | None, permission: Permission) -> bool:
    """Whether ``actor`` (None: a visitor) holds ``permission`` (for owned items: for some of them)."""
    return role_may(actor.role if actor is not None else ANONYMOUS, permission)


def _holders(permission: Permission) -> str:
    """The roles holding ``permission``, in words ("performance officers and administrators")."""
    names = [ROLE_LABELS[r].lower() + "s" for r, held in ROLE_PERMISSIONS.items() if permission in held]
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def ensure_may(actor: Actor | None, permission: Permission, *, doing: str) -> None:
    """Raise :class:`Forbidden` unless ``actor`` holds ``permission``; ``doing`` says what was refused."""
    if not may(actor, permission):
        if actor is None:
            hint = "Sign in first."
        else:
            role = ROLE_LABELS.get(actor.role, actor.role).lower()
            hint = f"You act as a {role}. Ask an administrator if your role should change."
        raise Forbidden(f"You cannot {doing}: only {_holders(permission)} can", hint=hint)


def edits_everything(actor: Actor | None) -> bool:
    """Whether ``actor`` updates every action and risk (not only their own), assigns leads and adds risks."""
    return (
        actor is not None
        and role_may(actor.role, Permission.UPDATE_OWN)
        and (actor.role, Permission.UPDATE_OWN) not in OWN_ONLY
    )


def may_edit(actor: Actor | None, owners: Iterable[str | None]) -> bool:
    """The ownership rule: may ``actor`` update an item whose owners (framework people ids) are ``owners``?

    Performance officers and admins update everything; a lead officer only an item whose owners include the
    person their account is linked to; board members and visitors nothing.
    """
    if actor is None or not role_may(actor.role, Permission.UPDATE_OWN):
        return False
    if (actor.role, Permission.UPDATE_OWN) not in OWN_ONLY:
        return True
    return actor.person_id is not None and actor.person_id in {o for o in owners if o}


def ensure_can_edit(
    actor: Actor | None, owners: Iterable[str | None], *, what: str, owner: str = "lead officer"
) -> None:
    """Raise :class:`Forbidden` unless ``actor`` may update ``what`` (see :func:`may_edit`).

    ``owner`` names the owner in the message ("lead officer" of an action, "owner" of a risk).
    """
    owners = list(owners)
    if may_edit(actor, owners):
        return
    if actor is None or not role_may(actor.role, Permission.UPDATE_OWN):
        raise Forbidden(f"You cannot change {what}", hint="Your role can read it but not change it.")
    raise Forbidden(
        f"You cannot change {what}: you are not its {owner}",
        hint="Lead officers change only what they own; performance officers and admins change anything.",
    )
