"""Random graphs built step by step (hypothesis stateful testing), checked against a naive model.

The model keeps, for every tensor the machine makes, the NumPy operation that made it and its
arguments. Values are recomputed with NumPy; leaf gradients are the central differences of
the whole composed NumPy function; which parts of the graph a backward without
``retain_graph`` frees is tracked, so a backward through a freed part must raise.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import autograd_core as ag
from autograd_core import BackwardError, Tensor

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3
SHAPES = [(), (3,), (2, 1), (1, 3), (2, 3)]
MAX_NODES = 40
MAX_ABS = 50.0  # keep values where finite differences stay accurate


def _np_sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


# name: (autograd_core version, NumPy version, allowed when the input's max |x| is below)
UNARY: dict[str, tuple[Callable, Callable, float]] = {
    "negative": (operator.neg, np.negative, np.inf),
    "tanh": (lambda t: t.tanh(), np.tanh, np.inf),
    "sin": (ag.sin, np.sin, np.inf),
    "sigmoid": (ag.sigmoid, _np_sigmoid, np.inf),
    "exp": (ag.exp, np.exp, 3.0),
    "square": (lambda t: t * t, np.square, 7.0),  # one op reading its input twice
    "log1p_of_square": (lambda t: ag.log1p(t * t), lambda a: np.log1p(a * a), np.inf),
}
BINARY: dict[str, tuple[Callable, Callable]] = {
    "add": (operator.add, np.add),
    "subtract": (operator.sub, np.subtract),
    "multiply": (operator.mul, np.multiply),
    "divide": (operator.truediv, np.divide),
}
REDUCE: dict[str, tuple[Callable, Callable]] = {
    "sum": (lambda t, axis, keepdims: t.sum(axis=axis, keepdims=keepdims), np.sum),
    "mean": (lambda t, axis, keepdims: ag.mean(t, axis=axis, keepdims=keepdims), np.mean),
}


class Ref:
    """One tensor of the model: how NumPy makes its value, and whether it requires grad."""

    def __init__(self, fn: Callable | None, args: tuple, value: np.ndarray, rg: bool) -> None:
        self.fn = fn  # None for a leaf (a user-made tensor, or a constant/detached one)
        self.args = args  # Refs
        self.value = value
        self.rg = rg
        self.released = False  # the engine freed this op's saved arrays
        self.poisoned = False  # a failed backward went through it: its state is unknown

    @property
    def recorded(self) -> bool:
        """True for a tensor the engine recorded an op for (non-leaf, requires grad)."""
        return self.fn is not None and self.rg


def evaluate(ref: Ref, leaf_values: dict, memo: dict) -> np.ndarray:
    """The value of ``ref`` with some leaves replaced (NumPy only, each Ref once)."""
    if ref.fn is None:
        return leaf_values.get(ref, ref.value)
    if ref not in memo:
        memo[ref] = ref.fn(*[evaluate(a, leaf_values, memo) for a in ref.args])
    return memo[ref]


def ancestors(ref: Ref) -> tuple[list[Ref], list[Ref]]:
    """(recorded ops, leaves that require grad) reachable through the engine's graph."""
    ops, leaves, seen, stack = [], [], set(), [ref]
    while stack:
        r = stack.pop()
        if r in seen or not r.rg:
            continue
        seen.add(r)
        if r.fn is None:
            leaves.append(r)
        else:
            ops.append(r)
            stack.extend(r.args)
    return ops, leaves


class GraphMachine(RuleBasedStateMachine):
    """Builds a graph step by step and checks values and leaf gradients against the model."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[Ref] = []
        self.tensors: dict[Ref, Tensor] = {}
        self.expected: dict[Ref, np.ndarray | None] = {}  # leaf -> accumulated gradient

    # --- helpers ----------------------------------------------------------------------------

    def _add(self, tensor: Tensor, fn: Callable | None, args: tuple, value: Any) -> None:
        value = np.asarray(value, dtype=np.float64)
        rg = any(a.rg for a in args) if fn is not None else tensor.requires_grad
        assert tensor.shape == value.shape, (tensor.shape, value.shape)
        assert tensor.dtype == np.float64
        assert tensor.requires_grad == rg
        assert tensor.is_leaf == (not (fn is not None and rg))
        np.testing.assert_allclose(tensor.data, value, rtol=1e-12, atol=1e-12)
        ref = Ref(fn, args, value, rg)
        self.refs.append(ref)
        self.tensors[ref] = tensor
        if fn is None:
            self.expected[ref] = None

    def _pick(self, data: Any, refs: list[Ref] | None = None, label: str = "node") -> Ref:
        refs = self.refs if refs is None else refs
        return refs[data.draw(st.integers(0, len(refs) - 1), label=label)]

    def _op(self, fn: Callable, np_fn: Callable, args: tuple[Ref, ...]) -> None:
        value = np_fn(*[a.value for a in args])
        if not np.all(np.abs(value) < MAX_ABS):
            return  # would leave the range where central differences are reliable
        inputs = [self.tensors[a] for a in args]
        out = fn(*inputs)
        if any(out is t for t in inputs):
            # a no-op (transpose of a vector, reshape to the same shape) may return its input
            np.testing.assert_allclose(out.data, value, rtol=1e-12, atol=1e-12)
            return
        self._add(out, np_fn, args, value)

    # --- rules: making tensors --------------------------------------------------------------

    @initialize(data=st.data(), shape=st.sampled_from(SHAPES))
    def first_leaf(self, data: Any, shape: tuple) -> None:
        self.new_leaf(data, shape, requires_grad=True)

    @precondition(lambda self: len(self.refs) < MAX_NODES)
    @rule(
        data=st.data(),
        shape=st.sampled_from(SHAPES),
        requires_grad=st.sampled_from([True, True, False]),
    )
    def new_leaf(self, data: Any, shape: tuple, requires_grad: bool) -> None:
        values = data.draw(
            hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0, allow_subnormal=False)),
            label="values",
        )
        self._add(Tensor(values, requires_grad=requires_grad), None, (), values)

    @precondition(lambda self: 0 < len(self.refs) < MAX_NODES)
    @rule(data=st.data(), name=st.sampled_from(sorted(UNARY)))
    def unary(self, data: Any, name: str) -> None:
        fn, np_fn, limit = UNARY[name]
        x = self._pick(data)
        if np.all(np.abs(x.value) < limit):
            self._op(fn, np_fn, (x,))

    @precondition(lambda self: 0 < len(self.refs) < MAX_NODES)
    @rule(data=st.data(), name=st.sampled_from(sorted(BINARY)))
    def binary(self, data: Any, name: str) -> None:
        fn, np_fn = BINARY[name]
        x = self._pick(data)
        partners = [r for r in self.refs if _broadcastable(x.value.shape, r.value.shape)]
        y = self._pick(data, partners, "partner")  # may be x itself
        if name == "divide" and not np.all(np.abs(y.value) > 0.5):
            return
        self._op(fn, np_fn, (x, y))

    @precondition(lambda self: 0 < len(self.refs) < MAX_NODES)
    @rule(
        data=st.data(),
        name=st.sampled_from(["add", "subtract", "multiply", "divide"]),
        scalar=st.sampled_from([-1.5, 0.5, 2.0, 3]),
        on_left=st.booleans(),
    )
    def with_python_scalar(self, data: Any, name: str, scalar: float, on_left: bool) -> None:
        fn, np_fn = BINARY[name]
        x = self._pick(data)
        if on_left:
            if name == "divide" and not np.all(np.abs(x.value) > 0.5):
                return
            self._op(lambda t: fn(scalar, t), lambda a: np_fn(scalar, a), (x,))
        else:
            self._op(lambda t: fn(t, scalar), lambda a: np_fn(a, scalar), (x,))

    @precondition(lambda self: 0 < len(self.refs) < MAX_NODES)
    @rule(data=st.data(), name=st.sampled_from(sorted(REDUCE)), keepdims=st.booleans())
    def reduce(self, data: Any, name: str, keepdims: bool) -> None:
        fn, np_fn = REDUCE[name]
        x = self._pick(data)
        ndim = x.value.ndim
        axis = data.draw(
            st.one_of(
                st.none(), hnp.valid_tuple_axes(ndim, min_size=1), st.integers(-ndim, ndim - 1)
            )
            if ndim
            else st.none(),
            label="axis",
        )
        self._op(
            lambda t: fn(t, axis, keepdims),
            lambda a: np_fn(a, axis=axis, keepdims=keepdims),
            (x,),
        )

    @precondition(lambda self: 0 < len(self.refs) < MAX_NODES)
    @rule(data=st.data(), copies=st.integers(2, 6))
    def reuse_many_times(self, data: Any, copies: int) -> None:
        x = self._pick(data)

        def repeat(t: Any) -> Any:
            total = t
            for _ in range(copies - 1):
                total = total + t
            return total

        self._op(repeat, repeat, (x,))

    @precondition(lambda self: 0 < len(self.refs) < MAX_NODES)
    @rule(data=st.data(), how=st.sampled_from(["T", "flatten", "gather", "broadcast"]))
    def move(self, data: Any, how: str) -> None:
        x = self._pick(data)
        shape = x.value.shape
        if how == "T":
            self._op(lambda t: t.T, lambda a: a.T, (x,))
        elif how == "flatten":
            self._op(lambda t: t.reshape(-1), lambda a: a.reshape(-1), (x,))
        elif how == "broadcast":
            target = (2, 3)
            if _broadcastable(shape, target) and np.broadcast_shapes(shape, target) == target:
                self._op(
                    lambda t: ag.broadcast_to(t, target),
                    lambda a: np.broadcast_to(a, target),
                    (x,),
                )
        elif shape:  # gather along axis 0, repeated indices included
            index = data.draw(
                hnp.arrays(np.intp, st.integers(1, 4), elements=st.integers(0, shape[0] - 1)),
                label="index",
            )
            self._op(lambda t: t[index], lambda a: a[index], (x,))

    @precondition(lambda self: 0 < len(self.refs) < MAX_NODES)
    @rule(data=st.data(), how=st.sampled_from(["detach", "no_grad"]))
    def cut(self, data: Any, how: str) -> None:
        """A tensor outside the graph: detached, or computed inside no_grad."""
        x = self._pick(data)
        t = self.tensors[x]
        if how == "detach":
            out = t.detach()
        else:
            with ag.no_grad():
                out = t * 2.0
        assert out.is_leaf and not out.requires_grad
        self._add(out, None, (), out.data.copy())

    # --- rules: backward and clearing -------------------------------------------------------

    @precondition(lambda self: any(r.rg for r in self.refs))
    @rule(data=st.data(), retain_graph=st.booleans())
    def backward(self, data: Any, retain_graph: bool) -> None:
        out = self._pick(data, [r for r in self.refs if r.rg and not _poisoned(r)], "output")
        t = self.tensors[out]
        ops, leaves = ancestors(out)
        seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
        implied = out.value.size == 1 and data.draw(st.booleans(), label="implied grad")
        g = (
            np.ones(out.value.shape)
            if implied
            else np.random.default_rng(seed).standard_normal(out.value.shape)
        )
        if any(r.released for r in ops):
            try:
                t.backward(None if implied else g, retain_graph=retain_graph)
            except BackwardError as e:
                assert "retain_graph" in str(e)
            else:
                raise AssertionError("backward through a freed graph did not raise")
            for r in ops:  # how far the failed walk got is not specified
                r.poisoned = True
            return
        t.backward(None if implied else g, retain_graph=retain_graph)
        for leaf in leaves:
            numeric = _numeric_gradient(out, leaf, g)
            prev = self.expected[leaf]
            self.expected[leaf] = numeric if prev is None else prev + numeric
        if not retain_graph:
            for r in ops:
                r.released = True

    @precondition(lambda self: any(r.fn is None and r.rg for r in self.refs))
    @rule(data=st.data())
    def clear_gradient(self, data: Any) -> None:
        leaf = self._pick(data, [r for r in self.refs if r.fn is None and r.rg], "leaf")
        self.tensors[leaf].zero_grad()
        self.expected[leaf] = None

    # --- the check after every step ---------------------------------------------------------

    @invariant()
    def leaf_gradients_match_the_model(self) -> None:
        for leaf, expected in self.expected.items():
            grad = self.tensors[leaf].grad
            if expected is None:
                assert grad is None
            else:
                assert type(grad) is np.ndarray and grad.shape == leaf.value.shape
                np.testing.assert_allclose(grad, expected, atol=ATOL, rtol=RTOL)


def _broadcastable(a: tuple, b: tuple) -> bool:
    return all(m == n or m == 1 or n == 1 for m, n in zip(a[::-1], b[::-1], strict=False))


def _poisoned(ref: Ref) -> bool:
    return any(r.poisoned for r in ancestors(ref)[0])


def _numeric_gradient(out: Ref, leaf: Ref, g: np.ndarray) -> np.ndarray:
    """Central differences of sum(out * g) as a NumPy function of ``leaf``'s value."""
    x = leaf.value.astype(np.float64, copy=True)
    grad = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        saved = x[j]
        x[j] = saved + EPS
        plus = np.sum(evaluate(out, {leaf: x}, {}) * g)
        x[j] = saved - EPS
        minus = np.sum(evaluate(out, {leaf: x}, {}) * g)
        x[j] = saved
        grad[j] = (plus - minus) / (2 * EPS)
    return grad


GraphMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestGraphMachine = GraphMachine.TestCase
