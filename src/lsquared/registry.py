"""One small, case-insensitive registry of named things (methods, looks, spaces).

Names are matched case-insensitively and with '_' and '-' treated alike, so
``--demosaic RCD``, ``rcd`` and recipe values agree.  ``validate`` raises a
``ParameterError`` that lists the choices.

An entry may be registered lazily, by the dotted path of where it lives
(``register_lazy("rcd", "lsquared.ops.demosaic.rcd:demosaic_rcd")``): its name is known
at once (choices, validation, ``--help``) and its module (numba kernels, codecs) is imported
on first use only, so a command that only lists or validates names stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Generic, TypeVar

from .errors import ParameterError

T = TypeVar("T")


def canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-")


class _Lazy:
    """Where a lazily registered entry lives: ``module:attribute``."""

    __slots__ = ("target",)

    def __init__(self, target: str):
        self.target = target

    def load(self):
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T | _Lazy] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, item: T, *, aliases: tuple[str, ...] = ()) -> T:
        key = canonical(name)
        self._items[key] = item
        for alias in aliases:
            self._aliases[canonical(alias)] = key
        return item

    def register_lazy(self, name: str, target: str, *, aliases: tuple[str, ...] = ()) -> None:
        """Register ``name`` now and import ``target`` ("package.module:attribute") on first use."""
        if ":" not in target:
            raise ValueError(f"lazy target '{target}' must read 'module:attribute'")
        self.register(name, _Lazy(target), aliases=aliases)   # type: ignore[arg-type]

    def _resolve(self, key: str) -> T:
        item = self._items[key]
        if isinstance(item, _Lazy):
            item = self._items[key] = item.load()
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
        return self._resolve(self.validate(name))

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
        """(name, entry) pairs; lazily registered entries are imported here."""
        return [(key, self._resolve(key)) for key in self._items]
