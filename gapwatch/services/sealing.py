"""Secrets sealed at rest: an authenticator's TOTP secret is stored encrypted, never as the secret itself.

Why: a copy of the database (a backup, a dump sent for support, a stolen disk) must not let anyone mint a
user's sign-in codes (OWASP ASVS 6.4: secrets at rest protected with a key kept apart from the data). The key
is derived from ``GAPWATCH_SECRET_KEY`` — which lives in the environment, not in the database — with HKDF
(RFC 5869, SHA-256, a fixed per-purpose label), and the secret is sealed with Fernet (AES-128-CBC with an
HMAC-SHA256 tag: tampering or the wrong key is detected, never decrypted into a wrong secret).

With no secret key configured (a local demo), nothing can be sealed that would survive a restart, so values
are stored as they are and the server says so when it starts; production must set the key (docs/settings.md).
A value stored before sealing existed is read as it is and sealed the next time it is used.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gapwatch.errors import GapwatchError

__all__ = ["PREFIX", "Sealer", "UnsealError"]

#: Marks a sealed value (and its format version), so that unsealed legacy values can be told apart.
PREFIX = "sealed:v1:"
_LABEL = b"gapwatch sign-in code secrets v1"


class UnsealError(GapwatchError):
    """A sealed value cannot be opened: the secret key is not the one it was sealed with (or is missing)."""

    code = "secret_key_changed"
    status_code = 500


@dataclass(frozen=True)
class Sealer:
    """Seals and opens short secrets with a key derived from the secret key (None: values stay as they are)."""

    key: bytes | None = None

    @classmethod
    def from_secret_key(cls, secret_key: str) -> Sealer:
        """The sealer of a configured secret key, or one that seals nothing when the key is empty."""
        if not secret_key:
            return cls(None)
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(secret_key.encode())
        return cls(base64.urlsafe_b64encode(derived))

    @property
    def seals(self) -> bool:
        """Whether values are sealed (a secret key is configured)."""
        return self.key is not None

    def seal(self, value: str) -> str:
        """``value`` sealed for storage (unchanged when no key is configured)."""
        if self.key is None:
            return value
        return PREFIX + Fernet(self.key).encrypt(value.encode()).decode("ascii")

    def open(self, stored: str) -> str:
        """The secret inside a stored value; a value stored unsealed is returned as it is."""
        if not is_sealed(stored):
            return stored
        if self.key is None:
            raise UnsealError(
                "Sign-in codes cannot be checked: they were sealed with a secret key that is not set now",
                hint="Set GAPWATCH_SECRET_KEY to the key the server used before (see docs/settings.md).",
            )
        try:
            return Fernet(self.key).decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise UnsealError(
                "Sign-in codes cannot be checked: the server's secret key has changed since they were set up",
                hint="Restore the previous GAPWATCH_SECRET_KEY, or ask an administrator to turn the codes off.",
            ) from exc


def is_sealed(stored: str) -> bool:
    """Whether a stored value is sealed (rather than a legacy plain value)."""
    return stored.startswith(PREFIX)
