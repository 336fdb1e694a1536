"""Creation functions: numpy's values and signatures, the default dtype, requires_grad."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag


@pytest.fixture
def float64_default():
    previous = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    yield
    ag.set_default_dtype(previous)


CASES = [
    ("zeros", ((2, 3),), {}),
    ("ones", (4,), {}),
    ("full", ((2, 2), 7), {}),
    ("eye", (3,), {}),
    ("eye", (2, 4), {"k": 1}),
    ("arange", (5,), {}),
    ("arange", (1, 2, 0.25), {}),
    ("linspace", (0.0, 1.0, 5), {}),
    ("linspace", (0.0, 1.0), {"num": 4, "endpoint": False}),
]


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[c[0] for c in CASES])
def test_creation_matches_numpy_in_the_default_dtype(name: str, args: tuple, kwargs: dict) -> None:
    t = getattr(ag, name)(*args, **kwargs)
    expected = getattr(np, name)(*args, **kwargs)
    assert isinstance(t, ag.Tensor) and t.dtype == np.float32  # the default dtype
    assert t.shape == expected.shape and not t.requires_grad and t.is_leaf
    np.testing.assert_allclose(t.data, expected, rtol=1e-6)


def test_creation_follows_a_changed_default_dtype(float64_default: None) -> None:
    assert ag.zeros(3).dtype == np.float64
    assert ag.arange(3).dtype == np.float64
    np.testing.assert_array_equal(ag.linspace(0, 1, 3).data, np.linspace(0, 1, 3))


def test_dtype_and_requires_grad_are_honoured() -> None:
    assert ag.arange(5, dtype=int).dtype == np.int64
    np.testing.assert_array_equal(ag.arange(5, dtype=int).data, np.arange(5))
    w = ag.ones((2, 2), dtype=np.float64, requires_grad=True)
    assert w.requires_grad and w.dtype == np.float64
    (w * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((2, 2), 3.0))
    with pytest.raises(ag.DTypeError, match=r"requires_grad"):
        ag.zeros(2, dtype=np.int32, requires_grad=True)
    with pytest.raises(ag.DTypeError, match=r"eye expects a numeric dtype"):
        ag.eye(2, dtype="text")


def test_like_forms_take_the_model_shape_and_dtype() -> None:
    a = np.ones((2, 3), dtype=np.float64)
    t = ag.Tensor(np.arange(4, dtype=np.int32))
    assert ag.zeros_like(a).dtype == np.float64 and ag.zeros_like(a).shape == (2, 3)
    assert ag.ones_like(t).dtype == np.int32
    np.testing.assert_array_equal(ag.full_like(t, 5).data, np.full(4, 5))
    assert ag.zeros_like([1.0, 2.0]).dtype == np.float32  # a list: the default dtype
    assert ag.ones_like(a, dtype=np.float32, shape=(5,)).shape == (5,)
    z = ag.zeros_like(a, requires_grad=True)
    assert z.requires_grad and z.is_leaf


def test_linspace_retstep_and_axis() -> None:
    t, step = ag.linspace(0.0, 2.0, 5, retstep=True)
    assert step == 0.5
    m = ag.linspace([0.0, 1.0], [1.0, 3.0], 3, axis=1, dtype=np.float64)
    np.testing.assert_array_equal(m.data, np.linspace([0.0, 1.0], [1.0, 3.0], 3, axis=1))
