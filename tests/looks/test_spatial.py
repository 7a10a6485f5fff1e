"""Grain and vignette: deterministic, the right strength, size and shape."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lsquared.looks import apply_spatial, resolve_look
from lsquared.looks.steps import Grain, Vignette


def _look(**steps):
    return dataclasses.replace(resolve_look("standard"), **steps)


def test_no_spatial_steps_is_a_no_op():
    img = np.full((8, 8, 3), 0.5, np.float32)
    assert apply_spatial(img, resolve_look("standard")) is img


def test_grain_is_deterministic_zero_mean_and_of_the_asked_strength():
    img = np.full((400, 600, 3), 0.5, np.float32)
    look = _look(grain=Grain(amount=0.02, size=0.5))
    a = apply_spatial(img, look, seed=1)
    assert np.array_equal(a, apply_spatial(img, look, seed=1))
    assert not np.array_equal(a, apply_spatial(img, look, seed=2))
    assert np.array_equal(img, np.full((400, 600, 3), 0.5, np.float32))    # input untouched
    n = a - 0.5
    assert abs(n.mean()) < 5e-4
    assert n.std() == pytest.approx(0.02, rel=0.05)           # 4 v (1 - v) = 1 at mid grey
    assert np.array_equal(a[..., 0], a[..., 1])               # grey grain by default
    dark = apply_spatial(np.full((200, 200, 3), 0.1, np.float32), look, seed=1) - 0.1
    assert dark.std() == pytest.approx(0.02 * 0.36, rel=0.08)  # less in the shadows


def test_grain_size_sets_its_correlation_length():
    img = np.full((600, 600, 3), 0.5, np.float32)

    def corr(size):
        n = apply_spatial(img, _look(grain=Grain(amount=0.02, size=size)), seed=0)[..., 0] - 0.5
        return np.mean(n[:, 1:] * n[:, :-1]) / np.mean(n * n)
    fine, coarse = corr(0.5), corr(40.0 * 6000 / 600 / 10)
    assert abs(fine) < 0.05 and coarse > 0.5


def test_colour_grain_differs_per_channel():
    img = np.full((100, 100, 3), 0.5, np.float32)
    out = apply_spatial(img, _look(grain=Grain(amount=0.03, chroma=1.0)), seed=0)
    c = np.corrcoef(out[..., 0].ravel(), out[..., 1].ravel())[0, 1]
    assert abs(c) < 0.2


def test_vignette_darkens_corners_by_the_asked_stops():
    img = np.full((301, 401, 3), 0.5, np.float32)
    out = apply_spatial(img, _look(vignette=Vignette(amount=1.0, midpoint=0.3)))
    assert out[150, 200, 0] == pytest.approx(0.5)             # centre untouched
    assert out[0, 0, 0] == pytest.approx(0.5 * 2 ** (-1 / 2.2), rel=1e-3)
    assert out[0, 0, 0] < out[75, 100, 0] < out[150, 200, 0]
    bright = apply_spatial(img, _look(vignette=Vignette(amount=-1.0)))
    assert bright[0, 0, 0] > 0.5
