"""Debugging aids: gradient hooks, anomaly mode and explain_grad."""

from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Function, Tensor
from tests.autograd_core.custom_functions import ProdSum


def _line_of(text):
    """The line number in this file of the first line containing ``text``."""
    lines = Path(__file__).read_text().splitlines()
    return 1 + next(i for i, line in enumerate(lines) if text in line)


# --- hooks ------------------------------------------------------------------------------------


def test_hook_on_a_leaf_sees_the_total_gradient_and_can_replace_it():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.copy()))
    x.register_hook(lambda g: g * 10)
    (x * 3 + x * x).sum().backward()  # two paths: the hook runs once, on their sum
    np.testing.assert_allclose(seen[0], 3 + 2 * x.data)
    assert len(seen) == 1
    np.testing.assert_allclose(x.grad, 10 * (3 + 2 * x.data))


def test_hook_on_an_intermediate_changes_what_flows_on():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.copy()))
    h.register_hook(lambda g: np.zeros_like(g) + 1.0)
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * h.data)
    np.testing.assert_allclose(x.grad, [2.0, 2.0])  # the replaced gradient times dh/dx
    assert h.grad is None  # hooks do not retain the gradient


def test_hook_handle_removes_it():
    x = Tensor(np.ones(3), requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    handle.remove()  # a second remove does nothing
    x.sum().backward()
    np.testing.assert_allclose(x.grad, np.ones(3))


def test_hook_errors_are_clear():
    x = Tensor(np.ones(3))
    with pytest.raises(ag.BackwardError, match="does not require grad"):
        x.register_hook(print)
    y = Tensor(np.ones(3), requires_grad=True)

    def wrong_shape(g):
        return g.sum()

    y.register_hook(wrong_shape)
    with pytest.raises(ag.ShapeError, match=r"wrong_shape.*shape \(\).*shape \(3,\)"):
        (y * 2).sum().backward()


def test_hook_with_create_graph_gets_a_tensor_and_keeps_the_graph():
    x = Tensor(np.array([1.5, -0.5]), requires_grad=True)
    h = x * x
    kinds = []

    def double(g):
        kinds.append(type(g))
        return g * 2.0

    handle = h.register_hook(double)
    (h * x).sum().backward(create_graph=True)  # d/dx (x**3) with the h path doubled
    assert kinds == [Tensor]
    np.testing.assert_allclose(x.grad.data, 2 * (2 * x.data) * x.data + x.data**2)
    g2 = x.grad.sum()
    x.grad = None
    handle.remove()  # else it would double the gradient through h again
    g2.backward()
    np.testing.assert_allclose(x.grad, 10 * x.data)  # d/dx 5 x**2


def test_hook_also_runs_for_gradients():
    x = Tensor(np.ones(2), requires_grad=True)
    x.register_hook(lambda g: g + 1.0)
    (g,) = ag.gradients((x * 3).sum(), [x])
    np.testing.assert_allclose(g, [4.0, 4.0])


# --- anomaly mode -----------------------------------------------------------------------------


def _net(x, w):
    h = (x @ w).relu()
    h = h + 1.0
    p = (h - 1.0).log()  # log(0) where relu cut: -inf
    return (p * h).mean()


def test_anomaly_finds_log_of_zero_inside_a_larger_graph():
    x = Tensor(np.array([[1.0, -1.0], [2.0, 0.5]]), requires_grad=True)
    w = Tensor(np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]]), requires_grad=True)
    # without anomaly mode numpy's warning for log(0) is an error under pytest's settings
    with pytest.raises(RuntimeWarning):
        _net(x, w)
    with ag.detect_anomaly():
        with pytest.raises(ag.AnomalyError) as info:
            _net(x, w)
    msg = str(info.value)
    assert "'log'" in msg and "infinity" in msg
    assert f"test_debugging.py:{_line_of('(h - 1.0).log()')} in _net" in msg
    assert "made the infinity itself" in msg
    assert "ops/" not in msg and "op.py" not in msg  # user code, not the library


def test_anomaly_finds_a_nan_in_backward():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with ag.detect_anomaly():
        y = x.sqrt().sum()  # d sqrt / dx at 0 is infinite
        with pytest.raises(ag.AnomalyError) as info:
            y.backward()
    msg = str(info.value)
    assert "backward of 'sqrt'" in msg and "input 0" in msg
    assert f"test_debugging.py:{_line_of('y = x.sqrt().sum()')}" in msg


def test_anomaly_names_a_custom_function_and_a_nan_coming_from_outside():
    class Reciprocal(Function):
        @staticmethod
        def forward(ctx, x):
            return 1.0 / x

        @staticmethod
        def backward(ctx, g):
            return g

    with ag.detect_anomaly():
        with pytest.raises(ag.AnomalyError, match="'Reciprocal' contains infinity"):
            Reciprocal.apply(Tensor(np.array([0.0, 1.0]), requires_grad=True))
        with pytest.raises(ag.AnomalyError, match="input 0 already contained NaN"):
            Tensor(np.array([np.nan]), requires_grad=True) * 2.0


def test_anomaly_mode_state_and_trace_only_mode():
    x = Tensor(np.array([0.0]), requires_grad=True)
    assert not ag.is_anomaly_enabled()
    with ag.detect_anomaly(check_nan=False):
        assert ag.is_anomaly_enabled()
        with pytest.raises(RuntimeWarning):
            x.log()  # nothing silenced, nothing checked
        y = x * 2.0
    assert not ag.is_anomaly_enabled()
    assert y.grad_fn.trace is not None  # the creation place is still recorded
    assert (x * 2.0).grad_fn.trace is None  # and only inside the block


def test_anomaly_mode_passes_finite_graphs_through():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with ag.detect_anomaly():
        (x.log() * x).sum().backward()
    np.testing.assert_allclose(x.grad, np.log(x.data) + 1.0)


# --- explain_grad -----------------------------------------------------------------------------


def _leaf(values, name="x"):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


def test_explain_dead_relu():
    x = _leaf([-1.0, -2.0, -0.5])
    w = _leaf([1.0, 2.0, 3.0], name="w")
    y = ((x * 2.0).relu() * w).sum()
    e = ag.explain_grad(y, x)
    assert e.path_exists and e.node.name == "relu"
    assert "dead ReLU" in str(e) and "'relu'" in str(e)
    y.backward()
    np.testing.assert_array_equal(x.grad, 0.0)  # what explain_grad explained


def test_explain_saturated_sigmoid_and_clip():
    x = _leaf([-1.0, -2.0, 3.0])
    e = ag.explain_grad((x * 100.0).sigmoid().sum(), x)
    assert e.node.name == "sigmoid" and "saturated sigmoid" in str(e)
    e = ag.explain_grad((x.clip(5.0, 6.0) * 3.0).sum(), x)
    assert e.node.name == "clip" and "outside [5.0, 6.0]" in str(e)


def test_explain_a_nonzero_gradient():
    x = _leaf([1.0, 2.0])
    e = ag.explain_grad((x * 3.0).sum(), x)
    assert e.path_exists and e.node is None and "nonzero" in str(e)
    np.testing.assert_allclose(e.grad, [3.0, 3.0])


def test_explain_cancelling_paths():
    x = _leaf([1.0, 2.0])
    e = ag.explain_grad((x * 2.0 - x - x).sum(), x)
    assert e.path_exists and "cancel" in str(e)


def test_explain_detached_leaf():
    x = _leaf([1.0, 2.0])
    w = _leaf([3.0, 4.0], name="w")
    e = ag.explain_grad((x.detach() * w).sum(), x)
    assert not e.path_exists and e.node.name == "multiply"
    assert "sharing x's memory" in str(e) and "detach" in str(e)


def test_explain_no_grad_integer_cast_and_comparison():
    x = _leaf([1.0, 2.0])
    w = _leaf([3.0, 4.0], name="w")
    with ag.no_grad():
        h = x * 3.0
    assert "inside no_grad()" in str(ag.explain_grad((h * w).sum(), x))
    assert "integer cast" in str(ag.explain_grad((x.astype(np.int64) * w).sum(), x))
    assert "comparison" in str(ag.explain_grad(((x > 1.5) * w).sum(), x))
    unrelated = ag.explain_grad((w * 2.0).sum(), x)
    assert not unrelated.path_exists and "usual causes" in str(unrelated)


def test_explain_output_without_graph_and_leaf_problems():
    x = _leaf([1.0, 2.0])
    with ag.no_grad():
        y = (x * 2).sum()
    assert "no graph at all" in str(ag.explain_grad(y, x))
    assert "no gradient" in str(ag.explain_grad((x * 2) > 1.0, x))
    plain = Tensor(np.ones(2))
    assert "requires_grad=False" in str(ag.explain_grad((plain * x).sum(), plain))
    h = x * 2.0
    assert "retain_grad" in str(ag.explain_grad((h * h).sum(), h))


def test_explain_after_backward_needs_the_graph():
    x = _leaf([-1.0, 1.0])
    y = x.relu().sum()
    y.backward()
    e = ag.explain_grad(y, x)
    assert e.path_exists and "retain_graph=True" in str(e)


def test_explain_through_a_custom_function_with_no_gradient():
    class Stop(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return None

    x = _leaf([1.0, 2.0])
    e = ag.explain_grad(Stop.apply(x * 2.0).sum(), x)
    assert e.node.name == "Stop" and "returned None" in str(e)


def test_explain_through_a_multi_output_function():
    x = _leaf([1.0, 2.0])
    y = _leaf([0.0, 0.0], name="y")
    p, s = ProdSum.apply(x, y)
    e = ag.explain_grad(p.sum(), x)  # d(x * y)/dx = y = 0
    assert e.path_exists and e.node.name == "ProdSum"
    e = ag.explain_grad((p + s).sum(), x)
    assert e.node is None and "nonzero" in str(e)
    np.testing.assert_allclose(e.grad, [1.0, 1.0])
