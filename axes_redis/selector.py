"""Username and/or IP address: what an operator's search or reset names.

The admin's search, the command's ``--username``/``--ip``, ``find`` and
django-axes' ``reset(ip=..., username=...)`` all name tracked clients the same
way; this is the one type for it, with django-axes' reset semantics.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes_redis import keys


@dataclass(frozen=True)
class Selector:
    """A username, an IP address, or both (``None``: not given; ``""`` is a value)."""

    username: str | None = None
    ip_address: str | None = None

    @property
    def given(self) -> dict[str, str]:
        """The lockout parameters given, by name: username first, then the IP."""
        return {
            name: value
            for name, value in (("username", self.username), ("ip_address", self.ip_address))
            if value is not None
        }

    def __bool__(self) -> bool:
        return bool(self.given)

    def names(self, parsed: keys.ParsedKey, *, either: bool = False) -> bool:
        """The key's parameter set is one this selector names (:func:`keys.names_client`)."""
        return keys.names_client(parsed, self.given, either=either)

    def direct_keys(self, prefix: str) -> list[str]:
        """The client keys computed from the values alone: each one by itself, and both."""
        given = self.given
        found = [keys.client_key(prefix, {name: value}) for name, value in given.items()]
        if len(given) > 1:
            found.append(keys.client_key(prefix, given))
        return found

    def patterns(self, prefix: str) -> list[str]:
        """``SCAN`` patterns of every key holding one of the values, combinations included."""
        return [keys.parameter_pattern(prefix, name, value) for name, value in self.given.items()]

    def describe(self, separator: str = "=") -> str:
        """``username='alice', ip_address='203.0.113.9'``, for messages and log lines."""
        return ", ".join(f"{name}{separator}{value!r}" for name, value in self.given.items())
