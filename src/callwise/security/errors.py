"""Errors of the security primitives, under one base class so the service can map them to responses in one place."""

from __future__ import annotations


class SecurityError(Exception):
    """Base of every error raised by ``callwise.security``."""


class KeyConfigError(SecurityError, ValueError):
    """A key setting is missing or malformed; the message names the setting, never the key material."""


class DecryptError(SecurityError, ValueError):
    """A PII token could not be decrypted; the message never contains plaintext or key material."""


class WeakPasswordError(SecurityError, ValueError):
    """A password fails the policy; ``code`` selects the translated message ``security.password.<code>``."""

    def __init__(self, code: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


class UnknownRoleError(SecurityError, ValueError):
    """A role name that the RBAC matrix does not define."""


class UnknownScopeError(SecurityError, ValueError):
    """A permission (scope) name that the RBAC matrix does not define."""


class DutyRefused(SecurityError):
    """Refused by the separation of duties: a grant to oneself, removing the last administrator, or a machine
    token managing people or tokens. ``code`` selects the message ``api.<code>`` (zh and en) with ``values``."""

    def __init__(self, code: str, **values: object) -> None:
        self.code = code
        self.values = values
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        from callwise.i18n import t

        return t(f"api.{self.code}", lang, **self.values)
