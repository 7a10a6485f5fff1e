"""The per-user look library of the lab: saved as inheriting TOML (parent + only what changed),
resolved through the chain, invisible to other users; on the real app and database."""

from __future__ import annotations

import tomllib

import pytest

from lsquared.errors import ParameterError
from lsquared.looks import resolve_look
from lsquared.share import Settings, create_app
from lsquared.share import looklib
from lsquared.share import service as sv
from lsquared.share.db import transaction


@pytest.fixture(scope="module")
def app(database, tmp_path_factory):
    kind, url = database
    settings = Settings(data_dir=tmp_path_factory.mktemp(f"lab-{kind}") / "data", database_url=url, workers=0)
    app = create_app(settings)
    with transaction(app.state.sessions) as s:
        app.state.users = [sv.add_user(s, name, "correct horse").id for name in ("ann", "bob")]
    yield app
    app.state.engine.dispose()


def _ensure(app, user: int, name: str, parent: str, changes: dict) -> None:
    """Save ``name`` unless an earlier test on this worker did (pytest-xdist may run the tests
    of this module on different workers, each with its own database)."""
    with transaction(app.state.sessions) as s:
        if looklib.row_of(s, user, name) is None:
            d = looklib.resolve(s, user, parent).definition()
            for step, values in changes.items():
                d[step] = {**d.get(step, {}), **values}
            looklib.save(s, user, name, parent, d)


def _ensure_punchy(app, ann: int) -> None:
    _ensure(app, ann, "punchy", "standard", {"tone": {"contrast": 1.45}, "saturation": {"amount": 0.7}})


def test_saved_look_names_its_parent_and_only_what_changed(app):
    ann, _ = app.state.users
    standard = resolve_look("standard")
    d = standard.definition()
    d["tone"] = {**d["tone"], "contrast": 1.45}
    d["saturation"] = {**d.get("saturation", {"amount": 1.0, "vibrance": 0.0}), "amount": 0.7}
    d.pop("exposure", None)
    with transaction(app.state.sessions) as s:
        row = looklib.save(s, ann, "punchy", "standard", d, "more contrast")
        text = row.toml
    saved = tomllib.loads(text)
    assert saved["inherits"] == "standard" and saved["name"] == "punchy"
    assert saved["tone"] == {"contrast": 1.45}                 # only the changed parameter
    assert saved["saturation"]["amount"] == 0.7 and len(saved["saturation"]) <= 2
    assert "output" not in saved
    with transaction(app.state.sessions) as s:
        look = looklib.resolve(s, ann, "punchy")
    assert look.tone.contrast == 1.45 and look.tone.white == standard.tone.white
    assert look.saturation.amount == 0.7
    assert look.digest != standard.digest


def test_inheriting_from_a_library_look_and_portable_toml(app, tmp_path):
    ann, _ = app.state.users
    _ensure_punchy(app, ann)
    with transaction(app.state.sessions) as s:
        parent = looklib.resolve(s, ann, "punchy")
        d = parent.definition()
        d["black"] = {"level": 0.05}
        looklib.save(s, ann, "punchy-matte", "punchy", d)
        child = tomllib.loads(looklib.row_of(s, ann, "punchy-matte").toml)
        assert child == {"name": "punchy-matte", "description": "", "inherits": "punchy",
                         "black": {"level": 0.05}}
        look = looklib.resolve(s, ann, "punchy-matte")
        portable = looklib.portable_toml(s, ann, "punchy-matte")
        with pytest.raises(ParameterError, match="parent of 'punchy-matte'"):
            looklib.delete(s, ann, "punchy")
    assert look.tone.contrast == 1.45 and look.black.level == 0.05
    # the portable file inherits from the built-in root and gives the same look anywhere
    path = tmp_path / "punchy-matte.toml"
    path.write_text(portable)
    assert tomllib.loads(portable)["inherits"] == "standard"
    assert resolve_look(str(path)).digest == look.digest


def test_one_users_looks_are_invisible_to_another(app):
    ann, bob = app.state.users
    _ensure_punchy(app, ann)
    with transaction(app.state.sessions) as s:
        assert [r.name for r in looklib.library(s, bob)] == []
        with pytest.raises(ParameterError, match="no look named 'punchy'"):
            looklib.resolve(s, bob, "punchy")
        with pytest.raises(ParameterError, match="no look named 'punchy'"):
            looklib.save(s, bob, "mine", "punchy", {})
        looklib.save(s, bob, "punchy", "standard", {"tone": {"contrast": 0.9}})   # same name, own
        assert looklib.resolve(s, bob, "punchy").tone.contrast == 0.9
        assert looklib.resolve(s, ann, "punchy").tone.contrast == 1.45


def test_bad_saves_are_refused(app):
    ann, _ = app.state.users
    _ensure_punchy(app, ann)
    _ensure(app, ann, "punchy-matte", "punchy", {"black": {"level": 0.05}})
    with transaction(app.state.sessions) as s:
        with pytest.raises(ParameterError, match="built-in"):
            looklib.save(s, ann, "standard", "standard", {})
        with pytest.raises(ParameterError, match="outside"):
            looklib.save(s, ann, "wild", "standard", {"tone": {"contrast": 9.0}})
        with pytest.raises(ParameterError, match="descendant"):
            looklib.save(s, ann, "punchy", "punchy-matte", {})
        assert looklib.row_of(s, ann, "wild") is None
