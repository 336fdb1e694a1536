"""vjp, jvp (forward mode), hvp, jacfwd, jacrev and checkpoint: against the Jacobians and
Hessians they must equal (``ag.jacobian``, ``ag.hessian``, central differences), against
torch.func where it is installed, and forward mode against reverse mode on every op of the
table (<u, J v> == <J^T u, v>)."""

from __future__ import annotations

import gc
import re
import sys
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Function, Tensor
from autograd_core.graph import Node, backward_order
from autograd_core.op import Op
from tests.autograd_core.op_specs import OP_SPECS, OpSpec
from tests.autograd_core.test_ops import draw_case, is_float

# --- every op has a JVP rule, and it agrees with the VJP rule ---------------------------------


def _all_ops() -> list[Op]:
    found = {}
    for name, module in list(sys.modules.items()):
        if name.startswith("autograd_core.") and module is not None:
            for value in vars(module).values():
                if isinstance(value, Op) and value.differentiable:
                    found[id(value)] = value
    return list(found.values())


def test_every_op_has_a_jvp_rule() -> None:
    ops = [op for op in _all_ops() if op.name != "output"]  # (a Function's output k: routing)
    assert len(ops) > 100
    missing = [op.name for op in ops if op.jvp_rule is None]
    assert not missing, f"ops without a JVP rule: {missing}"


def _as_function(spec: OpSpec, arrays: list, kwargs: dict) -> tuple[Callable, list]:
    """``spec``'s op as a function of its float inputs (the others held), and those inputs."""
    idx = [i for i, a in enumerate(arrays) if is_float(a)]

    def f(*xs: Any) -> Tensor:
        full = [Tensor(a) for a in arrays]
        for i, x in zip(idx, xs, strict=True):
            full[i] = x if isinstance(x, Tensor) else Tensor(x)  # (x.dot(y) is a method)
        return spec.fn(*full, **kwargs)

    return f, [arrays[i] for i in idx]


@pytest.mark.parametrize("spec", OP_SPECS, ids=[s.name for s in OP_SPECS])
@settings(max_examples=4)
@given(data=st.data())
def test_jvp_agrees_with_vjp_and_central_differences(spec: OpSpec, data: Any) -> None:
    """<u, J v> from forward mode equals <J^T u, v> from reverse mode, and J v equals the
    central difference of the op along v."""
    arrays, kwargs, rng = draw_case(data, spec)
    f, xs = _as_function(spec, arrays, kwargs)
    vs = [rng.standard_normal(x.shape) for x in xs]
    out, tangent = ag.jvp(f, tuple(xs), tuple(vs))
    np.testing.assert_allclose(out, f(*[Tensor(x) for x in xs]).data, rtol=1e-12)
    assert tangent.shape == np.shape(out) and tangent.dtype == np.asarray(out).dtype
    u = rng.standard_normal(np.shape(out))
    _, vjp_fn = ag.vjp(f, *xs)
    cotangents = vjp_fn(u)
    forward = np.sum(u * tangent)
    reverse = sum(np.sum(c * v) for c, v in zip(cotangents, vs, strict=True))
    tol = 1e-9 if tangent.dtype == np.float64 else 1e-5  # (astype float32)
    np.testing.assert_allclose(forward, reverse, rtol=tol, atol=tol)
    eps = spec.eps
    plus = f(*[Tensor(x + eps * v) for x, v in zip(xs, vs, strict=True)]).data
    minus = f(*[Tensor(x - eps * v) for x, v in zip(xs, vs, strict=True)]).data
    np.testing.assert_allclose(tangent, (plus - minus) / (2 * eps), rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("spec", OP_SPECS, ids=[s.name for s in OP_SPECS])
@settings(max_examples=2)
@given(data=st.data())
def test_jvp_rules_differentiate_again(spec: OpSpec, data: Any) -> None:
    """Second order through the JVP rules: forward over reverse (hvp) and reverse over forward
    (grad of a jvp) both equal reverse over reverse."""
    arrays, kwargs, rng = draw_case(data, spec)
    f, xs = _as_function(spec, arrays, kwargs)
    u = Tensor(rng.standard_normal(f(*[Tensor(x) for x in xs]).shape))
    k = data.draw(st.integers(0, len(xs) - 1), label="input")
    v = rng.standard_normal(xs[k].shape)

    def of_k(x: Any) -> Tensor:
        return f(*xs[:k], x, *xs[k + 1 :])

    x = Tensor(xs[k], requires_grad=True)
    (g,) = ag.gradients((of_k(x) * u).sum(), [x], create_graph=True)
    if g.requires_grad:
        (expected,) = ag.gradients((g * Tensor(v)).sum(), [x], allow_unused=True)
    else:
        expected = None
    expected = np.zeros(x.shape) if expected is None else expected
    hvp = ag.hvp(lambda x: (of_k(x) * u).sum(), xs[k], v)
    np.testing.assert_allclose(hvp, expected, rtol=1e-7, atol=1e-9)
    grad_of_jvp = ag.grad(lambda x: (ag.jvp(of_k, (x,), (v,))[1] * u).sum())(xs[k])
    np.testing.assert_allclose(grad_of_jvp, expected, rtol=1e-7, atol=1e-9)


# --- the transforms against the Jacobians and Hessians they must equal ------------------------


def vector_field(x: Any) -> Tensor:
    """R^4 -> R^3, every kind of op on the way."""
    m = x.reshape(2, 2)
    a = ag.sin(x[:3]) * x[1:].exp() + ag.linalg.det(m + 3.0 * ag.eye(2, dtype=np.float64))
    return a / (1.0 + (x * x).sum()) + ag.softmax(x[:3] * x[3])


def scalar_field(x: Any) -> Tensor:
    return (ag.tanh(x) * x[::-1]).sum() ** 2 + ag.logsumexp(x * x) + ag.linalg.norm(x[:2])


def numeric_jacobian(f: Callable, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.asarray(f(Tensor(a)).data)
    jac = np.zeros(out.shape + a.shape)
    for j in np.ndindex(a.shape):
        e = np.zeros(a.shape)
        e[j] = eps
        jac[(...,) + j] = (f(Tensor(a + e)).data - f(Tensor(a - e)).data) / (2 * eps)
    return jac


X0 = np.array([0.3, -0.7, 1.1, 0.5])
V0 = np.array([1.0, 0.5, -2.0, 0.25])


def test_jvp_vjp_jacfwd_jacrev_equal_the_jacobian() -> None:
    jac = ag.jacobian(vector_field)(X0)
    np.testing.assert_allclose(jac, numeric_jacobian(vector_field, X0), rtol=1e-6, atol=1e-8)
    out, tangent = ag.jvp(vector_field, (X0,), (V0,))
    np.testing.assert_allclose(out, vector_field(Tensor(X0)).data)
    np.testing.assert_allclose(tangent, jac @ V0, rtol=1e-12)
    u = np.array([0.5, -1.0, 2.0])
    out2, vjp_fn = ag.vjp(vector_field, X0)
    np.testing.assert_array_equal(out2, out)
    (cotangent,) = vjp_fn(u)
    np.testing.assert_allclose(cotangent, u @ jac, rtol=1e-12)
    np.testing.assert_allclose(vjp_fn(2 * u)[0], 2 * (u @ jac), rtol=1e-12)  # called again
    np.testing.assert_allclose(ag.jacfwd(vector_field)(X0), jac, rtol=1e-12)
    assert ag.jacrev is ag.jacobian
    matrix_fn = lambda m: m @ m.T @ m + ag.sin(m)  # noqa: E731 - a Jacobian of shape (2, 3, 2, 3)
    m0 = X0[:3] * np.array([[1.0], [2.0]])
    np.testing.assert_allclose(ag.jacfwd(matrix_fn)(m0), ag.jacrev(matrix_fn)(m0), rtol=1e-12)


def test_hvp_equals_the_hessian_times_v() -> None:
    hess = ag.hessian(scalar_field)(X0)
    grad = lambda x: ag.grad(scalar_field)(x)  # noqa: E731
    np.testing.assert_allclose(hess, numeric_jacobian(grad, X0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ag.hvp(scalar_field, X0, V0), hess @ V0, rtol=1e-10)
    # forward over reverse and the other compositions give the same Hessian
    np.testing.assert_allclose(ag.jacfwd(ag.jacrev(ag.grad(scalar_field)))(X0).shape, (4, 4, 4))
    np.testing.assert_allclose(ag.jacfwd(ag.grad(scalar_field))(X0), hess, rtol=1e-10)
    np.testing.assert_allclose(ag.jacfwd(ag.jacrev(scalar_field))(X0), hess, rtol=1e-10)
    np.testing.assert_allclose(ag.jacrev(ag.jacfwd(scalar_field))(X0), hess, rtol=1e-10)
    # the second directional derivative: a jvp of a jvp
    d2 = ag.jvp(lambda x: ag.jvp(scalar_field, (x,), (V0,))[1], (X0,), (V0,))[1]
    np.testing.assert_allclose(d2, V0 @ hess @ V0, rtol=1e-10)


def test_several_arguments_and_outputs() -> None:
    def f(x: Any, y: Any) -> tuple:
        return x * y.sum(), ag.sin(x) @ y

    x, y = np.array([1.0, 2.0]), np.array([[0.5], [-1.0]])
    dx, dy = np.array([0.1, 0.2]), np.array([[1.0], [0.0]])
    (o1, o2), (t1, t2) = ag.jvp(f, (x, y), (dx, dy))
    np.testing.assert_allclose(t1, dx * y.sum() + x * dy.sum())
    np.testing.assert_allclose(t2, (np.cos(x) * dx) @ y + np.sin(x) @ dy)
    (p1, p2), vjp_fn = ag.vjp(f, x, y)
    np.testing.assert_array_equal(p1, o1)
    gx, gy = vjp_fn((np.ones(2), np.ones(1)))
    np.testing.assert_allclose(gx, y.sum() + np.cos(x) * y[:, 0])
    np.testing.assert_allclose(gy, np.full((2, 1), x.sum()) + np.sin(x)[:, None])
    # an argument and an output that have nothing to do with each other
    out, vjp_fn = ag.vjp(lambda a, b: a * 2.0, x, y)
    assert np.all(vjp_fn(np.ones(2))[1] == 0)
    assert np.all(ag.jvp(lambda a, b: b * 2.0, (x, y), (dx, dy))[1] == 2.0 * dy)


# --- what each transform returns ----------------------------------------------------------


def test_arrays_for_arrays_tensors_for_tensors() -> None:
    f = lambda x: (x**3).sum()  # noqa: E731
    a, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    for result in (
        ag.jvp(f, (a,), (v,))[1],
        ag.vjp(f, a)[1](1.0)[0],
        ag.hvp(f, a, v),
        ag.jacfwd(f)(a),
        ag.jacrev(f)(a),
        ag.grad(f)(a),
    ):
        assert type(result) is np.ndarray
    plain = Tensor(a)
    for result in (
        ag.jvp(f, (plain,), (v,))[1],
        ag.vjp(f, plain)[1](1.0)[0],
        ag.hvp(f, plain, v),
        ag.jacfwd(f)(plain),
        ag.jacrev(f)(plain),
        ag.grad(f)(plain),
    ):
        assert type(result) is Tensor and not result.requires_grad
    x = Tensor(a, requires_grad=True)
    for result in (
        ag.jvp(f, (x,), (v,))[1],
        ag.vjp(f, x)[1](1.0)[0],
        ag.hvp(f, x, v),
        ag.jacfwd(f)(x),
        ag.jacrev(ag.grad(f))(x),
    ):
        assert type(result) is Tensor and result.requires_grad  # connected: nests
    with ag.no_grad():
        assert not ag.jvp(f, (x,), (v,))[1].requires_grad


def test_transforms_nest_through_the_graph() -> None:
    f = lambda x: ag.sin(x) * x  # noqa: E731
    x0, v = np.array([0.4, 1.3]), np.array([1.0, 2.0])
    # reverse over forward: d/dx sum(J(x) v) = d/dx sum((cos(x) x + sin(x)) v)
    g = ag.grad(lambda x: ag.jvp(f, (x,), (v,))[1].sum())(x0)
    np.testing.assert_allclose(g, (2 * np.cos(x0) - x0 * np.sin(x0)) * v, rtol=1e-12)
    # a cotangent that requires grad: the vjp is differentiated with respect to it
    x = Tensor(x0, requires_grad=True)
    u = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    (c,) = ag.vjp(f, x)[1](u)
    (gu,) = ag.gradients(c.sum(), [u])
    np.testing.assert_allclose(gu, np.cos(x0) * x0 + np.sin(x0))
    # a tangent that requires grad
    t = Tensor(v, requires_grad=True)
    (gt,) = ag.gradients(ag.jvp(f, (x,), (t,))[1].sum(), [t])
    np.testing.assert_allclose(gt, np.cos(x0) * x0 + np.sin(x0))
    # with respect to the argument only, not through a tensor computed from it before
    y = x.exp()
    _, tangent = ag.jvp(lambda z: z * y, (x,), (np.ones(2),))
    np.testing.assert_allclose(tangent.data, np.exp(x0))
    (cotangent,) = ag.vjp(lambda z: z * y, x)[1](np.ones(2))
    np.testing.assert_allclose(cotangent.data, np.exp(x0))


def test_jvp_of_a_function_of_a_million_inputs() -> None:
    """Forward mode builds no Jacobian: one pass over f for a million inputs."""
    rng = np.random.default_rng(0)
    x, v = rng.standard_normal(1_000_000), rng.standard_normal(1_000_000)

    def f(x: Any) -> Any:
        y = np.tanh(x) * x + np.exp(-x * x)
        return np.sum(y * y), y[::1000] * 2.0

    (s, sub), (ds, dsub) = ag.jvp(f, (x,), (v,))
    y = np.tanh(x) * x + np.exp(-x * x)
    dy = ((1 - np.tanh(x) ** 2) * x + np.tanh(x) - 2 * x * np.exp(-x * x)) * v
    np.testing.assert_allclose(ds, np.sum(2 * y * dy), rtol=1e-10)
    np.testing.assert_allclose(dsub, dy[::1000] * 2.0, rtol=1e-9, atol=1e-15)


def test_jvp_through_a_custom_function() -> None:
    class Cube(Function):
        @staticmethod
        def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx: Any, g: np.ndarray) -> np.ndarray:
            (x,) = ctx.saved_arrays
            return 3 * x**2 * g

        @staticmethod
        def jvp(ctx: Any, dx: np.ndarray) -> np.ndarray:
            (x,) = ctx.saved_arrays
            return 3 * x**2 * dx

    class NoJvp(Cube):
        jvp = Function.jvp

    a, v = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    np.testing.assert_allclose(ag.jvp(lambda x: Cube.apply(x) + x, (a,), (v,))[1], 3 * a**2 * v + v)
    with pytest.raises(ag.ForwardModeError, match="NoJvp defines no jvp"):
        ag.jvp(NoJvp.apply, (a,), (v,))
    with pytest.raises(ag.BackwardError, match="cannot be differentiated again"):
        ag.hvp(lambda x: Cube.apply(x).sum(), a, v)


def test_misuse_gives_clear_errors() -> None:
    a = np.ones(3)
    with pytest.raises(ag.ShapeError, match="tangent 0 has shape"):
        ag.jvp(ag.sin, (a,), (np.ones(2),))
    with pytest.raises(TypeError, match="primals must be a tuple"):
        ag.jvp(ag.sin, a, (a,))
    with pytest.raises(TypeError, match="must return a Tensor"):
        ag.jvp(lambda x: 3.0, (a,), (a,))
    with pytest.raises(ValueError, match="1 cotangents for the 2 outputs"):
        ag.vjp(lambda x: (x * 2.0, x), a)[1]((a,))
    with pytest.raises(ag.ShapeError, match="grad has shape"):
        ag.vjp(ag.sin, a)[1](np.ones(2))
    with pytest.raises(ag.ShapeError, match="one value"):
        ag.hvp(ag.sin, a, a)


# --- checkpoint ---------------------------------------------------------------------------


def _block(w: Tensor) -> Callable:
    def block(x: Tensor) -> Tensor:
        h = ag.tanh(x @ w)
        return ag.sin(h) * h + x  # intermediates of the size of x

    return block


def _model(x: Tensor, ws: list, checkpointed: bool) -> Tensor:
    for w in ws:
        block = _block(w)
        x = ag.checkpoint(block)(x) if checkpointed else block(x)
    return (x * x).mean()


def _params(n: int = 8, depth: int = 4) -> tuple[np.ndarray, list]:
    rng = np.random.default_rng(0)
    ws = [Tensor(rng.standard_normal((n, n)) / n, requires_grad=True) for _ in range(depth)]
    return rng.standard_normal((16, n)), ws


def test_checkpoint_gradients_equal_the_plain_ones() -> None:
    a, ws = _params()
    plain = ag.gradients(_model(Tensor(a, requires_grad=True), ws, False), ws)
    x = Tensor(a, requires_grad=True)
    loss = _model(x, ws, True)
    checkpointed = ag.gradients(loss, [x, *ws])
    for g, h in zip(plain, checkpointed[1:], strict=True):
        np.testing.assert_allclose(h, g, rtol=1e-12)
    np.testing.assert_allclose(
        checkpointed[0], ag.grad(lambda x: _model(x, ws, False))(a), rtol=1e-12
    )


def test_checkpoint_second_derivatives_equal_the_plain_ones() -> None:
    a, ws = _params(n=3, depth=2)
    v = [Tensor(np.full(w.shape, 0.5)) for w in ws]
    results = []
    for checkpointed in (False, True):
        x = Tensor(a)
        gs = ag.gradients(_model(x, ws, checkpointed), ws, create_graph=True)
        s = ag.sum(ag.stack([(g * vi).sum() for g, vi in zip(gs, v, strict=True)]))
        results.append([np.asarray(h) for h in ag.gradients(s, ws)])  # H v
    for h_plain, h_checkpointed in zip(*results, strict=True):
        np.testing.assert_allclose(h_checkpointed, h_plain, rtol=1e-10)
    assert ag.gradcheck(lambda x: _model(x, ws, True), [Tensor(a, requires_grad=True)])
    assert ag.gradgradcheck(lambda w: ag.checkpoint(_block(w))(Tensor(a)).sum(), [ws[0]])


def test_checkpoint_keeps_no_intermediates() -> None:
    a, ws = _params(n=64, depth=6)
    x = Tensor(np.tile(a, (64, 1)), requires_grad=True)  # 1024 x 64
    peaks, nodes = [], []
    for checkpointed in (False, True):
        tracemalloc.start()
        loss = _model(x, ws, checkpointed)
        peaks.append(tracemalloc.get_traced_memory()[0])  # what the graph holds
        tracemalloc.stop()
        nodes.append(sum(1 for _ in backward_order(loss.grad_fn)))
        loss.backward()
    assert nodes == [6 * 5 + 2, 6 + 2]  # five ops a block, or one; then the loss's two
    assert peaks[1] < peaks[0] / 3, peaks


def _live_nodes() -> int:
    # with the collector off, everything made since the last collect is in generation 0
    return sum(1 for o in gc.get_objects(0) if isinstance(o, Node))


def test_checkpoint_lets_its_intermediates_go_without_the_collector() -> None:
    """Counted among the live objects, with the cyclic collector off: a checkpointed block
    leaves one node, a plain one its five, and backward through it leaves nothing more."""
    a, ws = _params(n=4, depth=3)
    gc.collect()
    gc.disable()
    try:
        counts = []
        for checkpointed in (False, True):
            before = _live_nodes()
            loss = _model(Tensor(a, requires_grad=True), ws, checkpointed)
            counts.append(_live_nodes() - before)
            loss.backward()
            counts.append(_live_nodes() - before)
            for w in ws:
                w.grad = None
            del loss
            counts.append(_live_nodes() - before)
    finally:
        gc.enable()
    assert counts == [3 * 5 + 2, 3 * 5 + 2, 0, 3 + 2, 3 + 2, 0]


def test_checkpoint_in_forward_mode_and_the_kinds() -> None:
    a, ws = _params(n=3, depth=2)
    f = lambda x: _model(x, ws, True)  # noqa: E731
    g = lambda x: _model(x, ws, False)  # noqa: E731
    v = np.ones(a.shape)
    np.testing.assert_allclose(ag.jvp(f, (a,), (v,))[1], ag.jvp(g, (a,), (v,))[1], rtol=1e-12)
    np.testing.assert_allclose(ag.hvp(f, a, v), ag.hvp(g, a, v), rtol=1e-10)
    block = ag.checkpoint(lambda x, k: ag.sin(x) * k)
    assert type(block(np.ones(2), 3.0)) is np.ndarray  # arrays in, arrays out
    out = block(Tensor(np.ones(2), requires_grad=True), 3.0)
    assert type(out) is Tensor and out.grad_fn.name == "checkpoint"
    with ag.no_grad():
        assert block(Tensor(np.ones(2), requires_grad=True), 3.0).grad_fn is None
    nested = ag.checkpoint(lambda x: ag.checkpoint(_block(ws[0]))(x) * 2.0)
    x = Tensor(a, requires_grad=True)
    (gx,) = ag.gradients(nested(x).sum(), [x])
    np.testing.assert_allclose(gx, ag.grad(lambda x: (_block(ws[0])(x) * 2.0).sum())(a))


# --- against torch.func -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_transforms_equal_torch_func() -> None:
    torch = pytest.importorskip("torch")
    from torch import func

    rng = np.random.default_rng(5)
    w = rng.standard_normal((4, 3))
    x0, v, u = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(3)

    def ours(x: Any) -> Tensor:
        h = ag.tanh(x @ w) * ag.sigmoid(x[:3])
        return ag.log_softmax(h * x.sum()) + ag.linalg.norm(x) * h

    def theirs(x: Any) -> Any:
        h = torch.tanh(x @ torch.from_numpy(w)) * torch.sigmoid(x[:3])
        return torch.log_softmax(h * x.sum(), -1) + torch.linalg.norm(x) * h

    def scalar(x: Any) -> Any:
        return (ours(x) ** 2).sum()

    def scalar_t(x: Any) -> Any:
        return (theirs(x) ** 2).sum()

    t = torch.from_numpy
    np.testing.assert_allclose(ag.jvp(ours, (x0,), (v,))[1], func.jvp(theirs, (t(x0),), (t(v),))[1])
    (ours_vjp,) = ag.vjp(ours, x0)[1](u)
    (theirs_vjp,) = func.vjp(theirs, t(x0))[1](t(u))
    np.testing.assert_allclose(ours_vjp, theirs_vjp.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ag.jacfwd(ours)(x0), func.jacfwd(theirs)(t(x0)), rtol=1e-12)
    np.testing.assert_allclose(ag.jacrev(ours)(x0), func.jacrev(theirs)(t(x0)), rtol=1e-12)
    hvp_t = func.jvp(func.grad(scalar_t), (t(x0),), (t(v),))[1]
    np.testing.assert_allclose(ag.hvp(scalar, x0, v), hvp_t.numpy(), rtol=1e-10)
    hess_t = func.jacfwd(func.jacrev(scalar_t))(t(x0))
    np.testing.assert_allclose(ag.jacfwd(ag.jacrev(scalar))(x0), hess_t.numpy(), rtol=1e-10)


# --- the guide's examples run ---------------------------------------------------------------


def test_the_guide_runs(capsys: pytest.CaptureFixture) -> None:
    """docs/transforms.md: its python blocks, in order, in one namespace; every printed
    ``True`` is a check."""
    guide = Path(__file__).parents[2] / "docs" / "transforms.md"
    blocks = re.findall(r"```python\n(.*?)```", guide.read_text(), re.S)
    assert len(blocks) > 8
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(guide), "exec"), namespace)
    printed = capsys.readouterr().out
    assert "False" not in printed and printed.count("True") >= 7
