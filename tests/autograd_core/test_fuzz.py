"""Fuzzing the public surface with arrays of every kind: each call either gives numpy's answer
(values and dtype) or raises one of the library's errors, or a built-in whose message names the
operation. ``FUZZ_EXAMPLES=2000 pytest tests/autograd_core/test_fuzz.py`` runs more."""

from __future__ import annotations

import operator
import os
import warnings
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_core as ag
from autograd_core import Tensor
from tests.autograd_core.op_specs import OP_SPECS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(
    max_examples=EXAMPLES or 150,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

DTYPES = [
    np.bool_,
    np.int8,
    np.int32,
    np.int64,
    np.uint8,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
    np.complex64,
    np.complex128,
    np.dtype("datetime64[s]"),
    np.dtype("U3"),
    np.dtype("S2"),
    np.dtype(object),
]
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)


@st.composite
def arrays(draw: Any, shape: Any = None) -> np.ndarray:
    """An array of any dtype (NaN, inf, empty and 0-d included), sometimes a transposed or
    strided view, sometimes read-only."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(SHAPES if shape is None else shape)
    if dtype.kind == "O":
        a = np.empty(shape, dtype=object)
        for i in np.ndindex(shape):
            a[i] = draw(st.sampled_from([1, 2.5, "x", None, (1,)]))
    else:
        a = draw(hnp.arrays(dtype, shape))
    how = draw(st.sampled_from(["plain", "transposed", "strided", "read-only"]))
    if how == "transposed" and a.ndim >= 2:
        a = a.T
    elif how == "strided" and a.ndim >= 1:
        a = np.concatenate([a, a], axis=0)[::2]
    elif how == "read-only":
        a.setflags(write=False)
    return a


def _operand(draw: Any, shape: tuple) -> Any:
    return draw(
        st.one_of(
            arrays(shape=st.sampled_from([shape, shape[1:], ()])),
            st.integers(-3, 3),
            st.floats(allow_nan=True, allow_infinity=True, width=32),
            st.booleans(),
            st.complex_numbers(max_magnitude=2),
            st.just("text"),
            st.just(None),
        )
    )


def _as_api_operand(b: Any, like: np.dtype) -> Any:
    """What the API makes of an operand next to a tensor of dtype ``like``: arrays keep their
    dtype; a Python scalar is weak, taking the tensor's dtype (a float one only into a float
    tensor, else the default float32)."""
    if isinstance(b, bool):
        return np.asarray(b, dtype=bool if like.kind == "b" else like)
    if isinstance(b, int):
        return np.asarray(b, dtype=like if like.kind in "fiu" else np.float32)
    if isinstance(b, float):
        return np.asarray(b, dtype=like if like.kind == "f" else np.float32)
    return b


def _allowed(e: BaseException, name: str) -> bool:
    """A failure the API allows: the library's own error, or a built-in naming the op."""
    if isinstance(e, ag.AutogradError):
        return True
    return isinstance(e, (ValueError, TypeError, IndexError)) and name in str(e)


def _same(ours: np.ndarray, ref: Any, name: str, dtype: bool = True) -> None:
    ref = np.asarray(ref)
    assert ours.shape == ref.shape, f"{name}: shape {ours.shape} != numpy's {ref.shape}"
    sizes = [d.itemsize for d in (ours.dtype, ref.dtype) if d.kind in "fc"]
    if dtype:
        assert ours.dtype == ref.dtype, f"{name}: dtype {ours.dtype} != numpy's {ref.dtype}"
    elif ours.dtype != ref.dtype:
        ours, ref = ours.astype(np.float64), ref.astype(np.float64)
    if ours.dtype.kind in "fc":
        tol = {2: 1e-2, 4: 1e-4}.get(min(sizes, default=8), 1e-9)
        np.testing.assert_allclose(ours, ref, rtol=tol, atol=tol, equal_nan=True, err_msg=name)
    else:
        np.testing.assert_array_equal(ours, ref, err_msg=name)


def _check(name: str, ours: Callable[[], Any], ref: Callable[[], Any], dtype: bool = True) -> Any:
    """Run ``ours``; it must fail in an allowed way, or agree with ``ref`` (numpy)."""
    try:
        out = ours()
    except Exception as e:  # noqa: BLE001 - classified below
        assert _allowed(e, name), f"{name} raised {type(e).__name__}: {e}"
        return None
    try:
        expected = ref()
    except Exception:  # noqa: BLE001 - numpy refuses what we accepted: say so
        pytest.fail(f"{name} succeeded ({out!r:.80}) where numpy raises")
    data = out.data if isinstance(out, Tensor) else out
    _same(np.asarray(data), expected, name, dtype)
    return out


OPERAND_KWARGS = {"p"}  # keyword arguments of the table that reach an op as an operand


def _same_as_reference(spec: Any, inputs: list, kwargs: dict, out: Tensor) -> None:
    """``out`` against the table's reference: its dtype against numpy's for float inputs
    (the references are written for floats: `np.maximum(x, 0.0)`), its values against the
    reference computed in float64 (plain formulas overflow where the ops are stabilised:
    elements where the reference is not finite are not compared)."""
    ours = np.asarray(out.data)
    widen = ours.dtype.kind == "f"  # (integers and booleans too: numpy computes them in float16)
    wide = [a.astype(np.float64) if widen or a.dtype.kind == "f" else a for a in inputs]
    try:
        plain = np.asarray(spec.ref(*inputs, **kwargs))
    except Exception:  # noqa: BLE001 - the formula, not the op, refuses (-x of a bool)
        plain = None
    try:
        ref = np.asarray(spec.ref(*wide, **kwargs))
    except Exception:  # noqa: BLE001
        pytest.fail(f"{spec.name} succeeded where numpy raises")
    assert ours.shape == ref.shape, f"{spec.name}: shape {ours.shape} != {ref.shape}"
    if plain is not None and all(a.dtype.kind == "f" for a in inputs):
        assert ours.dtype == plain.dtype, f"{spec.name}: dtype {ours.dtype} != {plain.dtype}"
    if ours.dtype.kind != "f":
        np.testing.assert_array_equal(ours, ref.astype(ours.dtype), err_msg=spec.name)
        return
    ref = ref.astype(ours.dtype).astype(np.float64)
    mask = np.isfinite(ref)
    if not all(np.isfinite(a).all() for a in wide if a.dtype.kind == "f"):
        # an infinite input may give nan where the reference's formula gives a number (or
        # the reverse: inf - inf in a max-shift, as PyTorch's): garbage in, not compared
        mask &= np.isfinite(ours)
    if plain is not None and plain.shape == ours.shape and plain.dtype.kind in "fc":
        # where numpy itself overflows in the input's dtype (a float16 product), the op may
        # too: the limit is the dtype's, and numpy's answer is no better there
        mask &= np.isfinite(plain) | np.isfinite(ours)
    tol = {2: 2e-2, 4: 1e-4}.get(ours.dtype.itemsize, 1e-8)
    np.testing.assert_allclose(
        ours.astype(np.float64)[mask], ref[mask], rtol=tol, atol=tol, err_msg=spec.name
    )


BINARY = [
    ("add", operator.add),
    ("subtract", operator.sub),
    ("multiply", operator.mul),
    ("divide", operator.truediv),
    ("power", operator.pow),
    ("less", operator.lt),
    ("equal", operator.eq),
]


@FUZZ
@given(data=st.data())
def test_fuzz_construction_operators_inplace_and_backward(data: Any) -> None:
    a = data.draw(arrays(), label="a")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        t = _check("Tensor", lambda: Tensor(a), lambda: a)
        if t is None:
            assert a.dtype.kind not in "biuf", f"Tensor refused a {a.dtype} array"
            return
        assert np.shares_memory(t.data, a) or a.size == 0  # shared, not copied
        b = _operand(data.draw, a.shape)
        name, fn = data.draw(st.sampled_from(BINARY), label="operator")
        for left in (True, False):
            _check(
                name,
                (lambda: fn(t, b)) if left else (lambda: fn(b, t)),
                (lambda: fn(a, _as_api_operand(b, a.dtype)))
                if left
                else (lambda: fn(_as_api_operand(b, a.dtype), a)),
            )
        # an in-place update: numpy's `x op= b` with same_kind casting, or a clear refusal
        x = Tensor(a.copy())
        expected = a.copy()
        iname, ifn = data.draw(
            st.sampled_from([("add_", operator.iadd), ("multiply_", operator.imul)]),
            label="in-place",
        )
        try:
            ifn(x, b)
        except Exception as e:  # noqa: BLE001
            assert _allowed(e, iname), f"{iname} raised {type(e).__name__}: {e}"
        else:
            ifn(expected, _as_api_operand(b, a.dtype))
            _same(x.data, expected, iname)
        # backward through a float tensor
        if a.dtype.kind == "f" and a.size:
            w = Tensor(a, requires_grad=True)
            y = (w * w).sum()
            y.backward()
            _same(w.grad, 2 * a, "backward")


@pytest.mark.parametrize("spec", OP_SPECS, ids=[s.name for s in OP_SPECS])
@settings(FUZZ, max_examples=max(3, (EXAMPLES or 150) // 30))
@given(data=st.data())
def test_fuzz_every_op_in_the_table(spec: Any, data: Any) -> None:
    shapes, kwargs = data.draw(spec.case(), label="shapes, kwargs")
    inputs = [data.draw(arrays(st.just(s)), label=f"input {i}") for i, s in enumerate(shapes)]
    if not all(a.dtype.kind in "biuf" for a in inputs):
        for a in inputs:
            if a.dtype.kind not in "biuf":
                with pytest.raises(ag.DTypeError):
                    Tensor(a)
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        tensors = [
            Tensor(a, requires_grad=a.dtype.kind == "f" and data.draw(st.booleans()))
            for a in inputs
        ]
        # a Python scalar operand (the exponent of power) follows the API's scalar rule
        ref_kwargs = {
            k: _as_api_operand(v, inputs[0].dtype) if k in OPERAND_KWARGS else v
            for k, v in kwargs.items()
        }
        try:
            out = spec.fn(*tensors, **kwargs)
        except Exception as e:  # noqa: BLE001 - classified here
            assert _allowed(e, spec.name), f"{spec.name} raised {type(e).__name__}: {e}"
            return
        _same_as_reference(spec, inputs, ref_kwargs, out)
        if isinstance(out, Tensor) and out.requires_grad:
            try:
                out.backward(np.ones(out.shape, dtype=out.dtype))
            except Exception as e:  # noqa: BLE001
                assert _allowed(e, "backward"), f"backward raised {type(e).__name__}: {e}"
            else:
                for t in tensors:
                    if t.grad is not None:  # (None for an input not differentiated: where's cond)
                        assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
