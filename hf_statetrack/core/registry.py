"""Name -> factory registries whose unknown-name error suggests the closest names.

A registry maps exact names to factories; `resolvers` handle open-ended families of names
(e.g. any group spec such as ``S6`` or ``Z3_x_S3``) that cannot be listed up front.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from .errors import StateTrackError


class Registry:
    """Exact names first, then resolvers (each returns a factory or None for names it does not own)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Callable[..., Any]] = {}
        self._resolvers: list[Callable[[str], Callable[..., Any] | None]] = []

    def register(self, name: str, factory: Callable[..., Any]) -> None:
        if name in self._entries:
            raise KeyError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = factory

    def add_resolver(self, resolver: Callable[[str], Callable[..., Any] | None]) -> None:
        self._resolvers.append(resolver)

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def lookup(self, name: str) -> Callable[..., Any]:
        if not isinstance(name, str):  # `name: 5` or `name: [S3]` from YAML: say so, not "unhashable type"
            raise StateTrackError(f"a {self.kind} name must be a string, got {type(name).__name__} {name!r}")
        if name in self._entries:
            return self._entries[name]
        for resolve in self._resolvers:
            factory = resolve(name)
            if factory is not None:
                return factory
        raise StateTrackError(self.unknown_message(name))

    def unknown_message(self, name: str) -> str:
        return f"unknown {self.kind} {name!r}; {did_you_mean(name, self.names())}available: {', '.join(self.names())}"


def did_you_mean(name, choices, n: int = 3) -> str:
    """ "did you mean 'S5'? " for the closest choices (empty if none is close), to start an error's hint."""
    close = difflib.get_close_matches(str(name), list(choices), n=n, cutoff=0.5)
    return f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
