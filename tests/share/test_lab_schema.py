"""The look schema export: every step and parameter of the look model, from its dataclasses."""

import dataclasses
import json

from lsquared.looks.schema import look_schema
from lsquared.looks.steps import SPATIAL_STEPS, STEPS, Tone


def test_every_step_and_parameter_with_range_and_default():
    schema = look_schema()
    json.dumps(schema)                                  # the page receives it as JSON
    by_key = {s["key"]: s for s in schema["steps"]}
    assert list(by_key) == list(STEPS) + list(SPATIAL_STEPS)
    for key, cls in {**STEPS, **SPATIAL_STEPS}.items():
        params = {p["name"]: p for p in by_key[key]["params"]}
        assert list(params) == [f.name for f in dataclasses.fields(cls)]
        for f in dataclasses.fields(cls):
            p = params[f.name]
            assert p["default"] == f.default
            assert p["doc"] == f.metadata["doc"]
            if "range" in f.metadata:
                assert p["range"] == list(map(float, f.metadata["range"]))
                assert p["range"][0] <= p["default"] <= p["range"][1]
            if "choices" in f.metadata:
                assert p["kind"] == "choice" and p["choices"] == list(f.metadata["choices"])
                assert p["default"] in p["choices"]
    assert by_key["hue"]["list"] and not by_key["tone"]["list"]
    assert {p["name"]: p["kind"] for p in by_key["split_tone"]["params"]}["shadows_hue"] == "hue"
    assert schema["hue_names"]["skin"] == 40.0


def test_a_new_parameter_appears_without_other_edits(monkeypatch):
    """The schema is read from the dataclasses at call time: a step added to STEPS shows up."""
    from lsquared.schema import param

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Fade:
        """A test step."""
        amount: float = param(0.25, "how much", 0.0, 1.0)

    monkeypatch.setitem(STEPS, "fade", Fade)
    fade = next(s for s in look_schema()["steps"] if s["key"] == "fade")
    assert fade["params"] == [{"name": "amount", "kind": "number", "default": 0.25,
                               "doc": "how much", "range": [0.0, 1.0]}]
    assert Tone.__dataclass_fields__["contrast"].metadata["range"] == (0.5, 3.0)
