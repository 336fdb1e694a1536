"""In-place sequences replayed in autograd_core and in PyTorch: the values and gradients agree,
or both refuse (skipped without torch)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")


class _Ours:
    """The few calls a sequence makes, in autograd_core."""

    no_grad = staticmethod(ag.no_grad)

    @staticmethod
    def t(values: Any, rg: bool = False, dtype: Any = np.float64) -> Any:
        return ag.Tensor(np.array(values, dtype=dtype), requires_grad=rg)

    @staticmethod
    def value(t: Any) -> np.ndarray:
        return np.array(t.data)

    @staticmethod
    def grad(t: Any) -> np.ndarray | None:
        return None if t.grad is None else np.array(t.grad)


class _Torch:
    """The same calls in PyTorch."""

    no_grad = staticmethod(torch.no_grad)

    @staticmethod
    def t(values: Any, rg: bool = False, dtype: Any = np.float64) -> Any:
        return torch.tensor(np.array(values, dtype=dtype), requires_grad=rg)

    @staticmethod
    def value(t: Any) -> np.ndarray:
        return t.detach().numpy().copy()

    @staticmethod
    def grad(t: Any) -> np.ndarray | None:
        return None if t.grad is None else t.grad.numpy().copy()


def _seq_add_then_mul(L: Any) -> tuple:
    x = L.t([1.0, 2.0, 3.0], rg=True)
    y = x * 1
    y += 2
    y *= y
    y.sum().backward()
    return [y], [x]


def _seq_mul_by_leaf(L: Any) -> tuple:
    a0 = L.t([1.0, 2.0, 3.0], rg=True)
    b = L.t([4.0, 5.0, 6.0], rg=True)
    a = a0 * 1
    a *= b
    (a * a).sum().backward()
    return [a], [a0, b]


def _seq_div_pow(L: Any) -> tuple:
    x = L.t([1.0, 2.0, 3.0], rg=True)
    d = L.t([2.0, 4.0, 5.0], rg=True)
    y = x * 2
    y /= d
    y **= 2
    y.sum().backward()
    return [y], [x, d]


def _seq_sub_scalar_repeat(L: Any) -> tuple:
    x = L.t([0.5, -1.0], rg=True)
    y = x.exp()
    z = y * 1
    for _ in range(3):
        z -= 0.5
        z *= 2.0
    z.sum().backward()
    return [z], [x]


def _seq_leaf_inplace_refused(L: Any) -> tuple:
    w = L.t([1.0, 2.0], rg=True)
    w += 1
    return [w], [w]


def _seq_view_of_leaf_refused(L: Any) -> tuple:
    w = L.t([1.0, 2.0, 3.0], rg=True)
    v = w[0:2]
    v *= 2
    return [v], [w]


def _seq_no_grad_sgd(L: Any) -> tuple:
    w = L.t([1.0, -2.0, 3.0], rg=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with L.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
    (w * w * w).sum().backward()
    return [w], [w]


def _seq_saved_input_modified(L: Any) -> tuple:
    x = L.t([1.0, 2.0], rg=True)
    y = x * 1
    z = y * y
    y += 1
    z.sum().backward()
    return [z], [x]


def _seq_add_input_modified_is_fine(L: Any) -> tuple:
    x = L.t([1.0, 2.0], rg=True)
    y = x * 1
    z = y + 3
    y *= 5
    (z * 2).sum().backward()
    return [z, y], [x]


def _seq_exp_output_modified(L: Any) -> tuple:
    x = L.t([1.0, 2.0], rg=True)
    y = x.exp()
    y += 1
    y.sum().backward()
    return [y], [x]


def _seq_sigmoid_output_modified(L: Any) -> tuple:
    x = L.t([0.3, -0.2], rg=True)
    y = x.sigmoid()
    y *= 2
    y.sum().backward()
    return [y], [x]


def _seq_mul_by_scalar_then_input_modified(L: Any) -> tuple:
    x = L.t([1.0, 2.0], rg=True)
    h = x * 1
    y = h * 3.0  # reads h only to differentiate 3.0, which needs no gradient
    h += 1
    y.sum().backward()
    return [y, h], [x]


def _seq_setitem_value_requires_grad(L: Any) -> tuple:
    w = L.t([1.0, 2.0], rg=True)
    x = L.t([0.0, 0.0, 0.0, 0.0])
    x[1:3] = w * 2
    (x * x).sum().backward()
    return [x], [w]


def _seq_setitem_broadcast_scalar_tensor(L: Any) -> tuple:
    w = L.t([1.0, 2.0, 3.0, 4.0], rg=True)
    v = L.t(5.0, rg=True)
    x = w * 1
    x[1:3] = v
    (x * x).sum().backward()
    return [x], [w, v]


def _seq_setitem_row_broadcast(L: Any) -> tuple:
    w = L.t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], rg=True)
    r = L.t([7.0, 8.0, 9.0], rg=True)
    x = w * 2
    x[1] = r
    (x.exp()).sum().backward()
    return [x], [w, r]


def _seq_setitem_integer_array_index(L: Any) -> tuple:
    w = L.t([1.0, 2.0, 3.0, 4.0], rg=True)
    v = L.t([10.0, 20.0], rg=True)
    x = w * 1
    x[[0, 3]] = v
    (x * x).sum().backward()
    return [x], [w, v]


def _seq_setitem_bool_mask(L: Any) -> tuple:
    w = L.t([1.0, -2.0, 3.0, -4.0], rg=True)
    x = w * 1
    mask = np.array([False, True, False, True])
    m = torch.from_numpy(mask) if L is _Torch else mask
    x[m] = 0.0
    (x * w).sum().backward()
    return [x], [w]


def _seq_slice_iadd_into_zeros(L: Any) -> tuple:
    w = L.t([1.0, 2.0], rg=True)
    out = L.t([0.0, 0.0, 0.0, 0.0])
    out[1:3] += w
    out[0:2] += w * w
    (out * out).sum().backward()
    return [out], [w]


def _seq_inplace_through_view_of_non_leaf(L: Any) -> tuple:
    w = L.t([1.0, 2.0, 3.0, 4.0], rg=True)
    x = w * 1
    v = x[1:3]
    v *= 10
    (x * x).sum().backward()
    return [x, v], [w]


def _seq_inplace_through_reshape_view(L: Any) -> tuple:
    w = L.t([[1.0, 2.0], [3.0, 4.0]], rg=True)
    x = w * 1
    v = x.reshape(4)
    v += L.t([1.0, 2.0, 3.0, 4.0])
    v *= 2
    (x * x).sum().backward()
    return [x], [w]


def _seq_base_changed_view_reused(L: Any) -> tuple:
    w = L.t([1.0, 2.0, 3.0], rg=True)
    x = w * 1
    v = x[0:2]
    x *= 3
    (v * v).sum().backward()  # the view follows its base's new history
    return [v, x], [w]


def _seq_transpose_view_inplace(L: Any) -> tuple:
    w = L.t([[1.0, 2.0], [3.0, 4.0]], rg=True)
    x = w * 1
    t = x.T
    t -= L.t([[1.0, 0.0], [0.0, 0.0]])
    t *= t
    (x * L.t([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    return [x], [w]


def _seq_float32_keeps_dtype(L: Any) -> tuple:
    x = L.t([1.0, 2.0], rg=True, dtype=np.float32)
    y = x * 1
    y += L.t([0.5, 0.25], dtype=np.float64)
    y.sum().backward()
    assert L.value(y).dtype == np.float32
    return [y], [x]


def _seq_float32_times_float64_that_requires_grad(L: Any) -> tuple:
    x = L.t([1.0, 2.0], rg=True, dtype=np.float32)
    d = L.t([3.0, 4.0], rg=True, dtype=np.float64)
    y = x * 1
    y *= d
    y.sum().backward()
    return [y], [x, d]


def _seq_int_plus_float_refused(L: Any) -> tuple:
    n = L.t([1, 2, 3], dtype=np.int64)
    n += L.t([0.5, 0.5, 0.5])
    return [n], []


def _seq_int_inplace_ok(L: Any) -> tuple:
    n = L.t([1, 2, 3], dtype=np.int64)
    n *= 3
    n -= L.t([1, 1, 1], dtype=np.int64)
    return [n], []


def _seq_broadcast_that_grows_refused(L: Any) -> tuple:
    x = L.t([1.0, 2.0, 3.0])
    x += L.t([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    return [x], []


def _seq_constant_plus_leaf(L: Any) -> tuple:
    w = L.t([1.0, 2.0], rg=True)
    x = L.t([3.0, 4.0])
    x += w
    x *= w
    x.sum().backward()
    return [x], [w]


def _seq_self_multiply(L: Any) -> tuple:
    w = L.t([1.0, -2.0], rg=True)
    x = w + 0
    x *= x
    x += x
    x.sum().backward()
    return [x], [w]


def _seq_copy_under_no_grad(L: Any) -> tuple:
    w = L.t([1.0, 2.0], rg=True)
    loss = (w * w).sum()
    with L.no_grad():
        w.copy_(L.t([5.0, 6.0]))
    loss.backward()  # the multiply saved w, which changed
    return [w], [w]


def _seq_copy_recorded(L: Any) -> tuple:
    w = L.t([1.0, 2.0], rg=True)
    x = L.t([0.0, 0.0])
    x.copy_(w * 3)
    (x * x).sum().backward()
    return [x], [w]


def _seq_detach_shares_version(L: Any) -> tuple:
    w = L.t([1.0, 2.0], rg=True)
    h = w * 1
    y = h * h
    d = h.detach()
    d += 1
    y.sum().backward()
    return [y], [w]


def _seq_matmul_inplace(L: Any) -> tuple:
    w = L.t([[1.0, 2.0], [3.0, 4.0]], rg=True)
    m = L.t([[0.0, 1.0], [1.0, 1.0]], rg=True)
    x = w * 1
    x @= m
    (x * x).sum().backward()
    return [x], [w, m]


def _seq_retain_grad_follows_tensor(L: Any) -> tuple:
    w = L.t([1.0, 2.0], rg=True)
    y = w * 1
    y.retain_grad()
    y *= 3
    (y * y).sum().backward()
    return [y], [w, y]


SEQUENCES: list[Callable] = [v for k, v in sorted(globals().items()) if k.startswith("_seq_")]


# `x *= x` in place: PyTorch refuses at backward (its multiply saved `x`, which the update then
# changed); autograd_core keeps the old value and gives the exact gradient, which is checked
# against the same sequence written out of place, in PyTorch.
def _twin_add_then_mul(L: Any) -> tuple:
    x = L.t([1.0, 2.0, 3.0], rg=True)
    y = x * 1 + 2
    y = y * y
    y.sum().backward()
    return [y], [x]


def _twin_self_multiply(L: Any) -> tuple:
    w = L.t([1.0, -2.0], rg=True)
    x = w + 0
    x = x * x
    x = x + x
    x.sum().backward()
    return [x], [w]


def _twin_transpose_view_inplace(L: Any) -> tuple:
    w = L.t([[1.0, 2.0], [3.0, 4.0]], rg=True)
    t = (w * 1).T - L.t([[1.0, 0.0], [0.0, 0.0]])
    x = (t * t).T
    (x * L.t([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    return [x], [w]


TWINS = {
    _seq_add_then_mul: _twin_add_then_mul,
    _seq_self_multiply: _twin_self_multiply,
    _seq_transpose_view_inplace: _twin_transpose_view_inplace,
}


def _run(seq: Callable, lib: Any) -> tuple:
    try:
        outs, leaves = seq(lib)
    except (RuntimeError, ValueError, TypeError, IndexError) as e:
        if lib is _Ours:  # the library's own errors, each naming what went wrong
            assert isinstance(e, ag.AutogradError), f"{type(e).__name__}: {e}"
        return "raised", type(e).__name__
    return [lib.value(o) for o in outs], [lib.grad(t) for t in leaves]


@pytest.mark.parametrize("seq", SEQUENCES, ids=lambda f: f.__name__[5:])
def test_inplace_sequence_matches_pytorch(seq: Callable) -> None:
    ours = _run(seq, _Ours)
    theirs = _run(seq, _Torch)
    if seq in TWINS:
        assert theirs[0] == "raised"  # PyTorch refuses `x *= x`; the twin gives the answer
        theirs = _run(TWINS[seq], _Torch)
    if theirs[0] == "raised" or ours[0] == "raised":
        assert ours[0] == theirs[0] == "raised", f"ours: {ours}, PyTorch: {theirs}"
        return
    for a, b in zip(ours[0], theirs[0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
        assert a.dtype == b.dtype
    for a, b in zip(ours[1], theirs[1], strict=True):
        if a is None or b is None:
            assert a is None and b is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_there_are_about_thirty_sequences() -> None:
    assert len(SEQUENCES) >= 30
