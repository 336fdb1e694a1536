"""Shared fixtures for the nn tests: float64 parameters and central differences."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag


@pytest.fixture
def float64():
    """Make new parameters and Python scalars float64 for the duration of a test."""
    previous = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    yield
    ag.set_default_dtype(previous)


def central_difference(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, one element at a time (x is changed and restored)."""
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = float(f())
        x[i] = old - eps
        down = float(f())
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


@pytest.fixture
def numgrad():
    """The central-difference helper, as a fixture."""
    return central_difference
