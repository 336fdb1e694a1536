"""The engine: accumulation, shared sub-expressions, retain_graph, grad modes, create_graph and
higher derivatives, the functional transforms, deep graphs, memory, dtypes, errors, hooks."""

from __future__ import annotations

import gc
import sys
import threading
import tracemalloc
import weakref
from typing import Any, Callable

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import BackwardError, DTypeError, ShapeError, Tensor, enable_grad, no_grad


def numeric_grad(f: Callable[[np.ndarray], Any], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of f (array -> array) at x: shape f(x).shape + x.shape."""
    x = np.array(x, dtype=np.float64, copy=True)
    out_shape = np.shape(f(x))
    jac = np.zeros(out_shape + x.shape)
    for j in np.ndindex(x.shape):
        saved = x[j]
        x[j] = saved + eps
        plus = np.asarray(f(x), dtype=np.float64)
        x[j] = saved - eps
        minus = np.asarray(f(x), dtype=np.float64)
        x[j] = saved
        jac[(...,) + j] = (plus - minus) / (2 * eps)
    return jac


def leaf(values: Any) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


# --- accumulation and shared sub-expressions --------------------------------------------------


def test_gradients_accumulate_across_backward_calls_until_cleared() -> None:
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
    (3.0 * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 7.0, 9.0])
    x.zero_grad()
    assert x.grad is None
    x.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])


def test_diamond_graph_exact() -> None:
    # y = (2x) * (x * x) = 2 x^3, dy/dx = 6 x^2: both paths from x meet again at y
    x = leaf(3.0)
    a = x * 2.0
    b = x * x
    y = a * b
    y.backward()
    assert y.item() == 54.0
    assert x.grad == 54.0


def test_shared_subexpression_used_many_times() -> None:
    x = leaf([1.0, -2.0])
    h = x + 1.0  # h = [2, -1]
    y = (h * h + h).sum()  # dy/dx = 2h + 1
    y.backward()
    np.testing.assert_array_equal(x.grad, [5.0, -1.0])
    x.zero_grad()
    h = x + 1.0  # the first backward freed the old graph: record it again
    total = h
    for _ in range(99):
        total = total + h
    total.sum().backward()
    np.testing.assert_array_equal(x.grad, [100.0, 100.0])


def test_zero_dimensional_gradients_stay_arrays() -> None:
    # numpy adds two 0-d arrays into a scalar; .grad must still be an ndarray
    x = leaf(3.0)
    (x * x).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad == 6.0
    (x * x).backward()
    assert type(x.grad) is np.ndarray and x.grad == 12.0


def test_gradient_arrays_are_not_shared_between_leaves() -> None:
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x + y).sum().backward()
    x.grad += 1.0  # a user editing one gradient in place must not change the other
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])


def test_broadcast_add_exact() -> None:
    x = leaf([[1.0], [2.0]])  # (2, 1)
    b = leaf([10.0, 20.0, 30.0])  # (3,)
    (x + b).sum().backward()
    np.testing.assert_array_equal(x.grad, [[3.0], [3.0]])
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])


# --- retain_graph and backward's arguments ----------------------------------------------------


def test_second_backward_needs_retain_graph() -> None:
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    expected = 2 * (np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)
    with pytest.raises(BackwardError, match="retain_graph"):
        y.backward()


def test_backward_through_a_freed_shared_subgraph_raises() -> None:
    x = leaf([1.0, 2.0])
    h = x.exp()
    (h * 2.0).sum().backward()
    with pytest.raises(BackwardError, match="retain_graph"):
        (h * 3.0).sum().backward()


def test_backward_on_non_scalar_needs_grad() -> None:
    x = leaf([1.0, 2.0])
    y = x * 2.0
    with pytest.raises(BackwardError, match=r"\(2,\)"):
        y.backward()
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 20.0])


@pytest.mark.parametrize("grad", [np.ones(3), np.ones((2, 1)), 1.0, Tensor(np.ones(2))])
def test_backward_with_a_grad_of_the_wrong_shape_raises(grad: Any) -> None:
    y = leaf([[1.0, 2.0]]) * 2.0  # shape (1, 2)
    with pytest.raises(ShapeError, match=r"\(1, 2\)"):
        y.backward(grad)


@pytest.mark.parametrize("grad", [np.array([1.0, 2.0]), Tensor(np.array([1.0, 2.0]))])
def test_backward_accepts_grad_as_array_or_tensor(grad: Any) -> None:
    x = leaf([1.0, 2.0])
    (x * 3.0).backward(grad)
    np.testing.assert_array_equal(x.grad, [3.0, 6.0])


def test_backward_on_a_scalar_accepts_a_python_number() -> None:
    x = leaf([1.0, 2.0])
    (x * x).sum().backward(0.5)
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_backward_without_a_graph_raises() -> None:
    with pytest.raises(BackwardError, match="does not require grad"):
        Tensor(np.ones(())).backward()


# --- grad modes -------------------------------------------------------------------------------


def test_no_grad_and_enable_grad_as_context_managers() -> None:
    x = leaf([1.0])
    with no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2.0
        with enable_grad():
            z = x * 2.0
        w = x * 2.0
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert not w.requires_grad


def test_no_grad_and_enable_grad_as_decorators() -> None:
    x = leaf([1.0])

    @no_grad()
    def frozen(t: Tensor) -> Tensor:
        return t * 2.0

    @enable_grad()
    def recorded(t: Tensor) -> Tensor:
        return t * 2.0

    assert not frozen(x).requires_grad
    with no_grad():
        assert recorded(x).requires_grad
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_bare_decorators_work_like_pytorch() -> None:
    x = leaf([1.0])

    @no_grad
    def frozen(t: Tensor) -> Tensor:
        return t * 2.0

    @enable_grad
    def recorded(t: Tensor) -> Tensor:
        return t * 2.0

    assert not frozen(x).requires_grad and frozen.__name__ == "frozen"
    with no_grad():
        assert recorded(x).requires_grad
    assert ag.is_grad_enabled()


def test_set_grad_enabled_as_call_context_and_decorator() -> None:
    x = leaf([1.0])
    try:
        ag.set_grad_enabled(False)  # a plain call switches at once, as torch.set_grad_enabled
        assert not ag.is_grad_enabled() and not (x * 2.0).requires_grad
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled()
    with ag.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def frozen(t: Tensor) -> Tensor:
        return t * 2.0

    assert ag.is_grad_enabled()  # making the decorator changed nothing
    assert not frozen(x).requires_grad
    assert ag.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert ag.is_grad_enabled()


def test_grad_mode_is_per_thread() -> None:
    x = leaf([1.0])
    results: dict = {}
    entered, recorded = threading.Event(), threading.Event()

    def hold_no_grad() -> None:
        with no_grad():
            entered.set()
            recorded.wait(timeout=10)
            results["other thread inside no_grad"] = (x * 2.0).requires_grad

    def started_inside_no_grad() -> None:
        results["thread started inside no_grad"] = (x * 2.0).requires_grad

    holder = threading.Thread(target=hold_no_grad)
    holder.start()
    entered.wait(timeout=10)
    results["main thread meanwhile"] = (x * 2.0).requires_grad
    recorded.set()
    holder.join()
    with no_grad():
        t = threading.Thread(target=started_inside_no_grad)
        t.start()
        t.join()
    assert results == {
        "main thread meanwhile": True,
        "other thread inside no_grad": False,
        "thread started inside no_grad": True,
    }


# --- create_graph and higher derivatives ------------------------------------------------------


def test_create_graph_gives_tensor_grads_that_differentiate_again() -> None:
    x = leaf([1.0, 2.0])
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Tensor) and g.requires_grad
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    x.grad = None
    g.sum().backward()  # d/dx sum(3 x^2) = 6 x
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_allclose(x.grad, [6.0, 12.0])


def test_create_graph_implies_retain_graph() -> None:
    x = leaf(2.0)
    y = x**3
    y.backward(create_graph=True)
    y.backward(create_graph=True)
    assert x.grad.item() == 24.0


def test_third_derivative_with_gradients() -> None:
    x = leaf([0.5, -1.5])
    y = (x**4).sum()
    (g1,) = ag.gradients(y, [x], create_graph=True)
    (g2,) = ag.gradients(g1.sum(), [x], create_graph=True)
    (g3,) = ag.gradients(g2.sum(), [x])
    np.testing.assert_allclose(g1.data, 4 * x.data**3)
    np.testing.assert_allclose(g2.data, 12 * x.data**2)
    np.testing.assert_allclose(g3, 24 * x.data)
    assert x.grad is None  # gradients() returns, it does not store


def test_gradient_penalty_style_double_backward() -> None:
    # d/dw |d(w . x^2)/dx|^2 = d/dw sum((2 w x)^2) = 8 w x^2
    w = leaf([1.0, -2.0])
    x = leaf([0.5, 3.0])
    (gx,) = ag.gradients((w * x * x).sum(), [x], create_graph=True)
    (gx * gx).sum().backward()
    np.testing.assert_allclose(w.grad, 8 * w.data * x.data**2)


@pytest.mark.parametrize("seed", [0, 1])
def test_hessian_of_quadratic_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((3, 3))
    x0 = rng.standard_normal(3)
    h = ag.hessian(lambda x: x @ (Tensor(a) @ x))(x0)
    assert isinstance(h, np.ndarray) and h.shape == (3, 3)
    np.testing.assert_allclose(h, a + a.T, rtol=1e-12, atol=1e-12)


def test_hessian_of_sum_of_cubes() -> None:
    x0 = np.array([0.5, -1.0, 2.0])
    h = ag.hessian(lambda x: (x**3).sum())(x0)
    np.testing.assert_allclose(h, np.diag(6 * x0), atol=1e-12)


def test_hessian_of_logsumexp() -> None:
    x0 = np.array([[0.1, -0.4], [1.2, 0.3]])
    h = ag.hessian(lambda x: ag.logsumexp(x))(x0)
    p = np.exp(x0.ravel()) / np.exp(x0).sum()
    expected = (np.diag(p) - np.outer(p, p)).reshape(2, 2, 2, 2)
    assert h.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(h, expected, rtol=1e-10, atol=1e-12)


# --- functional transforms --------------------------------------------------------------------


def _f(x: Any) -> Tensor:
    return (x.sin() * x).sum()


def test_grad_and_value_and_grad_on_numpy_arrays() -> None:
    x0 = np.array([0.3, -1.2, 2.0])
    g = ag.grad(_f)(x0)
    assert isinstance(g, np.ndarray) and g.dtype == np.float64
    np.testing.assert_allclose(g, np.cos(x0) * x0 + np.sin(x0), rtol=1e-12)
    value, g2 = ag.value_and_grad(_f)(x0)
    np.testing.assert_allclose(value, np.sum(np.sin(x0) * x0))
    np.testing.assert_array_equal(g2, g)


def test_grad_on_tensors_returns_tensors_that_nest() -> None:
    x = leaf([0.3, -1.2])
    g = ag.grad(_f)(x)
    assert isinstance(g, Tensor)
    np.testing.assert_allclose(g.data, np.cos(x.data) * x.data + np.sin(x.data))
    # grad of grad: d/dx sum(cos x * x + sin x) = 2 cos x - x sin x
    gg = ag.grad(lambda t: ag.grad(_f)(t).sum())(x)
    np.testing.assert_allclose(gg.data, 2 * np.cos(x.data) - x.data * np.sin(x.data))
    value, g4 = ag.value_and_grad(_f)(x)
    assert isinstance(value, Tensor) and isinstance(g4, Tensor)
    np.testing.assert_allclose(value.data, np.sum(np.sin(x.data) * x.data))
    np.testing.assert_allclose(g4.data, g.data)
    # a Tensor that does not require grad is treated like an array
    g3 = ag.grad(_f)(Tensor(x.data))
    np.testing.assert_allclose(np.asarray(g3), g.data)


def test_grad_with_argnums_tuple() -> None:
    a0, b0 = np.array([1.0, 2.0]), np.array([3.0, -4.0])
    ga, gb = ag.grad(lambda a, b: (a * b * b).sum(), argnums=(0, 1))(a0, b0)
    np.testing.assert_allclose(ga, b0**2)
    np.testing.assert_allclose(gb, 2 * a0 * b0)
    (gb_only,) = ag.grad(lambda a, b: (a * b * b).sum(), argnums=(1,))(a0, b0)
    np.testing.assert_allclose(gb_only, 2 * a0 * b0)
    assert np.allclose(ag.grad(lambda a, b: (a * b * b).sum(), argnums=1)(a0, b0), gb)


def test_grad_of_a_non_scalar_function_raises() -> None:
    with pytest.raises(ShapeError, match="scalar"):
        ag.grad(lambda x: x * 2.0)(np.ones(3))


def test_jacobian_shape_is_output_shape_plus_input_shape() -> None:
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3))
    x0 = rng.standard_normal((2, 3))

    def f(x: Any) -> Tensor:
        return (x @ Tensor(w).T).tanh()  # (2, 4)

    jac = ag.jacobian(f)(x0)
    assert jac.shape == (2, 4, 2, 3)
    expected = numeric_grad(lambda a: np.tanh(a @ w.T), x0)
    np.testing.assert_allclose(jac, expected, atol=1e-8)
    jac_t = ag.jacobian(f)(leaf(x0))
    assert isinstance(jac_t, Tensor) and jac_t.shape == (2, 4, 2, 3)
    np.testing.assert_allclose(jac_t.data, jac)


def test_jacobian_of_scalar_and_of_constant_functions() -> None:
    x0 = np.array([1.0, 2.0])
    np.testing.assert_allclose(ag.jacobian(lambda x: (x * x).sum())(x0), 2 * x0)
    zero = ag.jacobian(lambda x: Tensor(np.ones(3)))(x0)
    assert zero.shape == (3, 2) and not zero.any()


def test_hessian_on_a_tensor_is_connected() -> None:
    x = leaf([1.0, 2.0])
    h = ag.hessian(lambda t: (t**3).sum())(x)
    assert isinstance(h, Tensor)
    np.testing.assert_allclose(h.data, np.diag(6 * x.data))
    # d/dx trace(H) = d/dx sum(6 x) = 6
    h.sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])


# --- deep graphs ------------------------------------------------------------------------------


def test_million_op_chain_backpropagates_without_recursion() -> None:
    limit = sys.getrecursionlimit()
    x0 = np.array([0.5, -1.0, 2.0])
    x = leaf(x0)
    y = x
    for i in range(1_000_000):
        y = -y if i % 2 else y.sin()
    y.sum().backward()
    # reference: the chain rule written out over numpy values
    v, d = x0.copy(), np.ones(3)
    for i in range(1_000_000):
        if i % 2:
            v, d = -v, -d
        else:
            v, d = np.sin(v), d * np.cos(v)
    np.testing.assert_allclose(y.data, v, rtol=1e-12)
    np.testing.assert_allclose(x.grad, d, rtol=1e-9)
    assert sys.getrecursionlimit() == limit


# --- memory -----------------------------------------------------------------------------------


def test_plain_backward_frees_intermediates_by_refcount_but_keeps_structure() -> None:
    was_enabled = gc.isenabled()
    gc.disable()  # only reference counting may free anything here
    tracemalloc.start()
    try:
        x = leaf(np.random.default_rng(0).standard_normal((300, 300)) * 0.1)
        big = x.data.nbytes
        h = x.exp()
        k = h * h
        m = k.tanh()
        y = m.mean()
        refs = [weakref.ref(t.data) for t in (h, k, m)]
        del h, k, m
        assert all(r() is not None for r in refs)  # saved for backward until then
        before, _ = tracemalloc.get_traced_memory()
        y.backward()
        after, _ = tracemalloc.get_traced_memory()
        assert [r() for r in refs] == [None, None, None]
        # three intermediates freed, one gradient (x.grad) added
        assert after - before < -big
        # the structure stays: the output still leads back to the leaf
        node = y.grad_fn
        assert node is not None and node.name == "mean" and node.released
        chain = [node]
        while chain[-1].parents[0] is not None:
            chain.append(chain[-1].parents[0])
        assert [n.name for n in chain] == ["mean", "tanh", "multiply", "exp"]
        assert chain[1].shape == (300, 300) and chain[1].dtype == np.float64
        assert chain[-1].inputs[0] is x  # leaves stay reachable for drawing
        assert x.grad.shape == (300, 300)
    finally:
        tracemalloc.stop()
        if was_enabled:
            gc.enable()


def test_retain_graph_keeps_saved_arrays() -> None:
    x = leaf(np.ones(10))
    h = x.exp()
    ref = weakref.ref(h.data)
    y = (h * h).sum()
    del h
    y.backward(retain_graph=True)
    assert ref() is not None
    y.backward()
    assert ref() is None


def test_a_dropped_graph_is_freed_without_the_cycle_collector() -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = leaf(np.ones(10))
        y = (x.exp() * 2.0).sum()
        node_ref = weakref.ref(y.grad_fn)
        del y
        assert node_ref() is None
        y = (x.exp() * 2.0).sum()
        y.backward(create_graph=True)  # a recorded backward pass must not form cycles either
        node_ref = weakref.ref(y.grad_fn)
        grad_node_ref = weakref.ref(x.grad.grad_fn) if x.grad.grad_fn is not None else None
        del y
        x.grad = None
        assert node_ref() is None
        assert grad_node_ref is None or grad_node_ref() is None
    finally:
        if was_enabled:
            gc.enable()


# --- dtypes -----------------------------------------------------------------------------------


def test_float32_stays_float32_with_python_scalars() -> None:
    x32 = Tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    results = {
        "x32 * 2.0": x32 * 2.0,
        "2.0 ** x32": 2.0**x32,
        "x32 / 3": x32 / 3,
        "1 - x32": 1 - x32,
        "x32 ** 2": x32**2,
        "x32 + 0.5": x32 + 0.5,
        "where(x32 > 1, x32, 0.0)": ag.where(x32 > 1, x32, 0.0),
        "maximum(x32, 1.5)": ag.maximum(x32, 1.5),
        "clip(x32, 0.5, 2.5)": ag.clip(x32, 0.5, 2.5),
    }
    for text, out in results.items():
        assert out.dtype == np.float32, text
        x32.zero_grad()
        out.sum().backward()
        assert x32.grad.dtype == np.float32, text


def test_gradients_take_the_dtype_of_their_tensor() -> None:
    x32 = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    x64 = leaf(np.ones(3))
    (x32.astype(np.float64) * x64).sum().backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64


def test_lists_and_scalars_take_the_default_dtype() -> None:
    assert ag.get_default_dtype() == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor([[1, 2]]).dtype == np.float32
    assert Tensor(3.0).dtype == np.float32
    assert Tensor(np.arange(3)).dtype == np.int64  # numpy arrays keep theirs
    assert Tensor(np.ones(2)).dtype == np.float64
    assert Tensor(np.ones(2, np.float32), dtype=np.float64).dtype == np.float64
    try:
        ag.set_default_dtype(np.float64)
        assert ag.get_default_dtype() == np.float64
        assert Tensor([1.0, 2.0]).dtype == np.float64
        assert Tensor(3.0).dtype == np.float64
        assert Tensor(np.ones(2, np.float32)).dtype == np.float32
    finally:
        ag.set_default_dtype(np.float32)
    assert Tensor([1.0]).dtype == np.float32


def test_an_explicit_dtype_converts_lists_directly() -> None:
    # not through the default float32 first, which would round 2**24 + 1
    t = Tensor([16777217, -3], dtype=np.int64)
    assert t.dtype == np.int64 and t.data.tolist() == [16777217, -3]
    assert Tensor([0.1], dtype=np.float64).data[0] == 0.1


def test_set_default_dtype_rejects_non_float() -> None:
    with pytest.raises(DTypeError, match="int64"):
        ag.set_default_dtype(np.int64)
    assert ag.get_default_dtype() == np.float32


@pytest.mark.parametrize(
    "data", [np.arange(3), np.array([True, False]), np.arange(3, dtype=np.uint8)]
)
def test_integer_and_bool_tensors_cannot_require_grad(data: np.ndarray) -> None:
    t = Tensor(data)
    assert t.dtype == data.dtype and not t.requires_grad
    with pytest.raises(DTypeError, match=str(data.dtype)):
        Tensor(data, requires_grad=True)
    with pytest.raises(DTypeError, match=str(data.dtype)):
        t.requires_grad = True


def test_integer_tensors_still_compute() -> None:
    t = Tensor(np.array([1, 2, 3]))
    np.testing.assert_array_equal((t * 2).data, [2, 4, 6])
    assert (t * 2).dtype == np.int64
    assert (t[1:]).dtype == np.int64


@pytest.mark.parametrize("data", ["abc", ["a", "b"], {"a": 1}, [[1.0, 2.0], [3.0]]])
def test_non_numeric_data_raises_dtype_error(data: Any) -> None:
    with pytest.raises(DTypeError, match="Tensor"):
        Tensor(data)


# --- error messages name the operation and the shapes -----------------------------------------


@pytest.mark.parametrize(
    "make, kind, words",
    [
        (
            lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(4)),
            ShapeError,
            ["add", "(2, 3)", "(4,)"],
        ),
        (
            lambda: Tensor(np.ones((2, 3))) * np.ones((3, 2)),
            ShapeError,
            ["multiply", "(2, 3)", "(3, 2)"],
        ),
        (
            lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5))),
            ShapeError,
            ["matmul", "(2, 3)", "(4, 5)"],
        ),
        (lambda: ag.matmul(np.ones(3), Tensor(np.ones(4))), ShapeError, ["matmul", "(3,)", "(4,)"]),
        (
            lambda: Tensor(np.ones((2, 3))).reshape(4, 2),
            ShapeError,
            ["reshape", "(2, 3)", "(4, 2)"],
        ),
        (lambda: Tensor(np.ones((2, 3))).sum(axis=2), ag.AxisError, ["sum", "axis 2", "(2, 3)"]),
        (
            lambda: Tensor(np.ones((2, 3))).softmax(axis=-3),
            ag.AxisError,
            ["softmax", "-3", "(2, 3)"],
        ),
        (lambda: Tensor(np.ones((2, 3))).max(axis=(0, 5)), ag.AxisError, ["max", "(2, 3)"]),
        (lambda: Tensor(np.ones((2, 3)))[5], ag.IndexingError, ["getitem", "5", "(2, 3)"]),
        (
            lambda: Tensor(np.ones((2, 3)))[:, np.array([0, 3])],
            ag.IndexingError,
            ["getitem", "3", "(2, 3)"],
        ),
        (
            lambda: ag.concatenate([Tensor(np.ones((2, 3))), np.ones((2, 2, 1))]),
            ShapeError,
            ["concatenate", "(2, 3)", "(2, 2, 1)"],
        ),
        (
            lambda: ag.stack([Tensor(np.ones(2)), Tensor(np.ones(3))]),
            ShapeError,
            ["stack", "(2,)", "(3,)"],
        ),
        (lambda: Tensor(np.ones(3)).broadcast_to((2, 4)), ShapeError, ["broadcast_to", "(3,)"]),
    ],
)
def test_error_messages_name_the_operation_and_shapes(
    make: Callable, kind: type, words: list
) -> None:
    with pytest.raises(kind) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize(
    "call",
    [
        lambda x, a: ag.sum(x, axis=a),
        lambda x, a: x.mean(axis=(a,)),
        lambda x, a: x.max(axis=a, keepdims=True),
        lambda x, a: ag.logsumexp(x, axis=a),
        lambda x, a: x.softmax(axis=a),
        lambda x, a: x.log_softmax(axis=a),
        lambda x, a: x.swapaxes(a, 0),
        lambda x, a: ag.stack([x, x], axis=a),
        lambda x, a: ag.concatenate([x, x], axis=a),
        lambda x, a: x.expand_dims(a),
    ],
)
def test_numpy_integers_are_accepted_as_axes(call: Callable) -> None:
    a = np.ones((2, 3))
    axis = np.argmax([0, 5])  # a numpy integer, as user code often has
    x = leaf(a)
    out = call(x, axis)
    assert out.shape == call(Tensor(a), 1).shape
    out.sum().backward()
    assert x.grad.shape == (2, 3)


def test_errors_are_also_builtin_exceptions() -> None:
    with pytest.raises(ValueError):
        Tensor(np.ones(2)) + Tensor(np.ones(3))
    with pytest.raises(IndexError):
        Tensor(np.ones(2))[2]
    with pytest.raises(TypeError):
        Tensor("x")
    with pytest.raises(RuntimeError):
        (Tensor(np.ones(2), requires_grad=True) * 2.0).backward()


# --- hooks and retain_grad --------------------------------------------------------------------


def test_register_hook_on_a_leaf_can_replace_its_gradient() -> None:
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.copy()))
    remove = x.register_hook(lambda g: g * 10.0)
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad, [30.0, 30.0])
    remove()
    x.zero_grad()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert len(seen) == 2


def test_register_hook_on_a_non_leaf_changes_what_flows_on() -> None:
    x = leaf([1.0, 2.0])
    h = x * 3.0
    seen = []

    def hook(g: np.ndarray) -> np.ndarray:
        seen.append(g.copy())
        return g * 2.0

    h.register_hook(hook)
    (h * h).sum().backward()  # d/dh = 2h = [6, 12], doubled by the hook, times 3 for x
    np.testing.assert_array_equal(seen[0], [6.0, 12.0])
    np.testing.assert_array_equal(x.grad, [36.0, 72.0])
    assert h.grad is None  # a non-leaf keeps no gradient unless asked


def test_hook_returning_a_wrong_shape_raises() -> None:
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: np.ones(3))
    with pytest.raises(ShapeError, match=r"\(3,\)"):
        x.sum().backward()


def test_register_hook_needs_requires_grad() -> None:
    with pytest.raises(BackwardError, match="requires? grad"):
        Tensor(np.ones(2)).register_hook(lambda g: g)


def test_retain_grad_keeps_a_non_leaf_gradient_and_accumulates() -> None:
    x = leaf([1.0, 2.0])
    h = x * x
    h.retain_grad()
    y = (h * 3.0).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad, [3.0, 3.0])
    np.testing.assert_array_equal(x.grad, [6.0, 12.0])
    y.backward()
    np.testing.assert_array_equal(h.grad, [6.0, 6.0])
    x.retain_grad()  # a no-op on a leaf
    assert x.is_leaf and not h.is_leaf


def test_gradients_of_non_leaf_inputs() -> None:
    x = leaf([1.0, 2.0])
    h = x * x
    y = (h * h).sum()
    gh, gx = ag.gradients(y, [h, x])
    np.testing.assert_allclose(gh, 2 * h.data)
    np.testing.assert_allclose(gx, 4 * x.data**3)
    assert x.grad is None and h.grad is None


# --- the graph walk and the rules' declarations ------------------------------------------------


def test_backward_order_puts_every_node_after_all_of_its_consumers():
    from autograd_core.graph import backward_order

    x = Tensor(np.random.default_rng(0).standard_normal(3), requires_grad=True)
    a = x.exp()
    b = a * x
    c = a + b
    d = (c * a).sum()
    order = list(backward_order(d._node))
    assert order[0] is d._node and len(order) == len(set(order)) == 5
    position = {n: i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            if p is not None:
                assert position[p] > position[node]


def test_a_rule_gets_the_output_only_when_it_says_it_reads_it():
    from autograd_core.op import op

    seen = []

    @op("test_reads_out")
    def reads(x):
        return x * 2.0

    @reads.vjp(uses_out=True)
    def _(g, out, x):
        seen.append(out)
        return (g * 2.0,)

    @op("test_ignores_out")
    def ignores(x):
        return x * 3.0

    @ignores.vjp
    def _(g, out, x):
        seen.append(out)
        return (g * 3.0,)

    x = Tensor(np.ones(2), requires_grad=True)
    (reads(x) + ignores(x)).sum().backward()
    outs = {type(o).__name__ for o in seen}
    assert outs == {"Tensor", "NoneType"}
    assert [o for o in seen if o is not None][0].data.tolist() == [2.0, 2.0]
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])


def test_a_node_keeps_its_structure_and_leaves_once_released():
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    y = x * 2.0
    z = (y * y).sum()
    node, mul = z._node, y._node
    z.backward()
    assert node.released and node.out is None and node.shape == ()
    sq = node.parents[0]  # y * y
    assert sq.inputs == (None, None) and sq.parents == (mul, mul)
    assert mul.inputs[0] is x and mul.parents == (None, None)


# --- grad mode on generator functions ---------------------------------------------------------


@pytest.mark.parametrize(
    "decorate, inside",
    [
        (lambda f: ag.no_grad(f), False),
        (lambda f: ag.no_grad()(f), False),
        (lambda f: ag.enable_grad(f), True),
        (lambda f: ag.set_grad_enabled(False)(f), False),
    ],
)
def test_grad_mode_decorators_apply_to_each_step_of_a_generator(decorate, inside) -> None:
    outside = not inside
    x = Tensor(np.ones(2), requires_grad=True)

    @decorate
    def gen(n):
        for i in range(n):
            received = yield (x * 2.0).requires_grad, ag.is_grad_enabled()
            assert received == i
        return "done"

    with ag.set_grad_enabled(outside):
        g = gen(3)
        seen = [next(g)]
        assert ag.is_grad_enabled() is outside  # the mode does not leak to the caller
        seen.append(g.send(0))
        assert ag.is_grad_enabled() is outside
        seen.append(g.send(1))
        with pytest.raises(StopIteration) as stop:
            g.send(2)
        assert stop.value.value == "done"
        assert ag.is_grad_enabled() is outside
    assert seen == [(inside, inside)] * 3


def test_a_no_grad_generator_receives_thrown_exceptions_and_closes_in_its_mode() -> None:
    log = []

    @ag.no_grad
    def gen():
        try:
            yield 1
        except KeyError:
            log.append(("caught", ag.is_grad_enabled()))
            yield 2
        finally:
            log.append(("closed", ag.is_grad_enabled()))

    g = gen()
    assert next(g) == 1
    assert g.throw(KeyError("k")) == 2
    g.close()
    assert log == [("caught", False), ("closed", False)]
    assert ag.is_grad_enabled()


# --- a .grad set by the user --------------------------------------------------------------------


@pytest.mark.parametrize(
    "preset, shown",
    [
        (np.ones(2), "has shape (2,)"),
        (np.ones((3, 1)), "has shape (3, 1)"),
        ([1.0, 2.0, 3.0], "list"),
    ],
)
def test_a_preset_grad_of_the_wrong_shape_raises_naming_the_tensor(preset, shown) -> None:
    w = Tensor(np.ones(3), requires_grad=True, name="w")
    w.grad = preset
    with pytest.raises(ag.ShapeError) as e:
        (w * w).sum().backward()
    msg = str(e.value)
    assert "'w'" in msg and "(3,)" in msg and shown in msg


def test_a_preset_grad_of_the_right_shape_accumulates() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    w.grad = np.full(3, 10.0)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [12.0, 12.0, 12.0])


def test_a_retained_non_leaf_grad_of_the_wrong_shape_raises() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    h = w * 2.0
    h.retain_grad()
    h.grad = np.zeros(5)
    with pytest.raises(ag.ShapeError, match="shape \\(3,\\)"):
        h.sum().backward()


def test_an_old_module_path_imports_the_moved_module_under_its_own_name():
    import importlib

    import autograd_core.graphinfo as old
    import autograd_core.viz.collect as new

    assert old is new and new.__spec__.name == "autograd_core.viz.collect"
    importlib.reload(new)  # its own spec: reload finds the file
