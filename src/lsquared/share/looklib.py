"""The owner's look library: looks saved from the lab, per user, stored as inheriting TOML.

A saved look is the TOML of ``looks/model.py``: ``inherits = PARENT`` and only the tables and
parameters that differ from the parent (``step = false`` for a step the parent has and this
look switched off; a ``[[hue]]`` list replaces the parent's whole list, as the model merges
it).  The parent is a built-in look or another look of the same user's library; one user's
looks are never visible to or resolvable by another (every query is by ``user_id``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..errors import ParameterError
from ..looks.model import Look, look_from_definition, merge_definitions
from .models import Base, now

MAX_DEPTH = 16


class LabLook(Base):
    __tablename__ = "lab_looks"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_lab_looks_user_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    parent: Mapped[str] = mapped_column(String(64))
    toml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


def builtin_names() -> set[str]:
    from ..looks.library import available_looks

    return {k for k, v in available_looks().items() if v == "builtin"}


def _builtin(name: str) -> Look:
    from ..looks.library import resolve_look

    return resolve_look(name)


def row_of(s: Session, user_id: int, name: str) -> LabLook | None:
    return s.scalar(select(LabLook).where(LabLook.user_id == user_id, LabLook.name == name))


def library(s: Session, user_id: int) -> list[LabLook]:
    return list(s.scalars(select(LabLook).where(LabLook.user_id == user_id).order_by(LabLook.name)))


def _definition_chain(s: Session, user_id: int, name: str, depth: int = 0) -> tuple[dict, str]:
    """(full merged definition, description) of a built-in or library look of this user."""
    if depth > MAX_DEPTH:
        raise ParameterError(f"look '{name}': inheritance deeper than {MAX_DEPTH} (a cycle?)")
    if name in builtin_names():
        look = _builtin(name)
        return look.definition(), look.description
    row = row_of(s, user_id, name)
    if row is None:
        raise ParameterError(f"no look named '{name}' in your library or the built-in looks")
    child = tomllib.loads(row.toml)
    if not row.parent:                   # an imported LUT: the whole look, no parent
        return {k: v for k, v in child.items() if k not in ("name", "description")}, child.get("description", "")
    parent_def, _ = _definition_chain(s, user_id, row.parent, depth + 1)
    return merge_definitions(parent_def, child), child.get("description", "")


def resolve(s: Session, user_id: int, name: str) -> Look:
    """A built-in or library look, inheritance resolved and every value validated."""
    d, description = _definition_chain(s, user_id, name)
    return look_from_definition(name, description, d, where=f"look '{name}'",
                                source="builtin" if name in builtin_names() else "library")


def root_builtin(s: Session, user_id: int, name: str) -> str:
    """The built-in look at the root of a library look's inheritance."""
    seen = 0
    while name not in builtin_names():
        row = row_of(s, user_id, name)
        if row is None or seen > MAX_DEPTH:
            raise ParameterError(f"no look named '{name}' in your library or the built-in looks")
        if not row.parent:
            raise ParameterError(f"look '{name}' is an imported LUT: download it as .cube or .vlt")
        name, seen = row.parent, seen + 1
    return name


def diff_definitions(parent: dict, child: dict) -> dict:
    """What ``child`` changes over ``parent``, such that ``merge_definitions(parent, diff)``
    gives ``child`` back (tables key by key, lists whole, removed steps as ``false``)."""
    out: dict = {}
    for key in list(parent) + [k for k in child if k not in parent]:
        if key in ("name", "description", "inherits"):
            continue
        if key not in child:
            out[key] = False
        elif key not in parent or not isinstance(child[key], dict) or not isinstance(parent[key], dict):
            if child[key] != parent.get(key):
                out[key] = child[key]
        else:
            changed = {k: v for k, v in child[key].items() if parent[key].get(k) != v}
            if changed or set(child[key]) != set(parent[key]):
                out[key] = changed
    return out


def valid_name(name: str) -> str:
    from ..looks.export import valid_look_name

    name = valid_look_name(name)
    if name in builtin_names():
        raise ParameterError(f"'{name}' is a built-in look; save under another name")
    return name


def inheriting_toml(name: str, description: str, parent: str, diff: dict) -> str:
    import tomli_w

    return tomli_w.dumps({"name": name, "description": description, "inherits": parent, **diff})


def save(s: Session, user_id: int, name: str, parent: str, definition: dict,
         description: str = "") -> LabLook:
    """Save (or replace) ``name`` in the user's library as ``parent`` plus what differs."""
    name = valid_name(name)
    if parent == name:
        raise ParameterError(f"look '{name}' cannot inherit from itself")
    parent_def, _ = _definition_chain(s, user_id, parent)
    # the whole definition is validated before anything is stored
    look_from_definition(name, description, merge_definitions(parent_def, definition),
                         where=f"look '{name}'")
    # the new parent must not already descend from this look (a cycle)
    probe, depth = parent, 0
    while probe and probe not in builtin_names() and depth <= MAX_DEPTH:
        if probe == name:
            raise ParameterError(f"look '{name}' cannot inherit from its own descendant '{parent}'")
        probe, depth = row_of(s, user_id, probe).parent, depth + 1
    text = inheriting_toml(name, description, parent,
                           diff_definitions(parent_def, merge_definitions(parent_def, definition)))
    row = row_of(s, user_id, name)
    if row is None:
        row = LabLook(user_id=user_id, name=name, parent=parent, toml=text)
        s.add(row)
    else:
        row.parent, row.toml, row.updated_at = parent, text, now()
    s.flush()
    return row


def save_imported(s: Session, user_id: int, name: str, lut_file: Path, description: str = "") -> LabLook:
    """Save a .cube/.vlt (kept by the caller at ``lut_file``, an absolute path) as a library
    look of its own: ``[lut] file = ...``, no parent (a LUT look takes no parametric steps)."""
    import tomli_w

    name = valid_name(name)
    text = tomli_w.dumps({"name": name, "description": description, "lut": {"file": str(lut_file)}})
    look_from_definition(name, description, {"lut": {"file": str(lut_file)}}, where=f"look '{name}'")
    row = row_of(s, user_id, name)
    if row is None:
        row = LabLook(user_id=user_id, name=name, parent="", toml=text)
        s.add(row)
    else:
        if any(r.parent == name for r in library(s, user_id)):
            raise ParameterError(f"look '{name}' is the parent of other looks; import under another name")
        row.parent, row.toml, row.updated_at = "", text, now()
    s.flush()
    return row


def portable_toml(s: Session, user_id: int, name: str) -> str:
    """The look as a TOML file that ``lsquared develop --look FILE`` reads anywhere: inheriting
    from its built-in root with what differs (the library's intermediate looks folded in)."""
    if name in builtin_names():
        return inheriting_toml(name, _builtin(name).description, name, {})
    root = root_builtin(s, user_id, name)
    d, description = _definition_chain(s, user_id, name)
    return inheriting_toml(name, description, root, diff_definitions(_builtin(root).definition(), d))


def delete(s: Session, user_id: int, name: str) -> None:
    row = row_of(s, user_id, name)
    if row is None:
        raise ParameterError(f"no look named '{name}' in your library")
    children = [r.name for r in library(s, user_id) if r.parent == name]
    if children:
        raise ParameterError(f"look '{name}' is the parent of '{children[0]}'; delete that first")
    s.delete(row)
