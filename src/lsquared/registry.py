"""One small, case-insensitive registry of named things (methods, looks, spaces).

Names are matched case-insensitively and with '_' and '-' treated alike, so
``--demosaic RCD``, ``rcd`` and recipe values agree.  ``validate`` raises a
``ParameterError`` that lists the choices.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from .errors import ParameterError

T = TypeVar("T")


def canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-")


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, item: T, *, aliases: tuple[str, ...] = ()) -> T:
        key = canonical(name)
        self._items[key] = item
        for alias in aliases:
            self._aliases[canonical(alias)] = key
        return item

    def validate(self, name: str) -> str:
        """Return the canonical name, or raise ParameterError listing the choices."""
        key = canonical(name)
        key = self._aliases.get(key, key)
        if key not in self._items:
            choices = ", ".join(self.names())
            raise ParameterError(f"unknown {self.kind} '{name}'; choose one of: {choices}")
        return key

    def __getitem__(self, name: str) -> T:
        return self._items[self.validate(name)]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = canonical(name)
        return self._aliases.get(key, key) in self._items

    def names(self) -> list[str]:
        return list(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def items(self):
        return self._items.items()
