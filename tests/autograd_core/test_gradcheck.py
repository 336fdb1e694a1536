"""gradcheck: correct code passes; planted mistakes are found and blamed on the right node."""

import re

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_core as ag
from autograd_core import Function, GradcheckError, Tensor, gradcheck, gradgradcheck
from autograd_core.testing import check_gradients, gradient_test
from tests.autograd_core.custom_functions import Softplus


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class HalfSoftplus(Softplus):
    """Planted bug: the backward misses a factor 2."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_arrays
        return 0.5 * grad * _sigmoid(x)


class OneOffSquare(Function):
    """Planted bug: x**2 whose gradient is wrong in element (1, 2) only."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_arrays
        gx = 2.0 * x * grad
        gx[1, 2] += 0.1
        return gx


_C = np.arange(1.0, 10.0).reshape(3, 3)


class TransposedScale(Function):
    """Planted bug: x * C with the right values in transposed places."""

    @staticmethod
    def forward(ctx, x):
        return x * _C

    @staticmethod
    def backward(ctx, grad):
        return (grad * _C).T.copy()


class MulWrongSecond(Function):
    """Planted bug: x * y with a right gradient for x and a wrong one for y."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_arrays
        return grad * y, grad * y


def _x(shape=(3, 4), seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape))


# --- correct code passes ----------------------------------------------------------------------

BUILTIN_CASES = {
    "sigmoid": (ag.sigmoid, [(3, 4)]),
    "tanh_of_matmul": (lambda a, b: (a @ b).tanh(), [(3, 4), (4, 2)]),
    "broadcast_add_mul": (lambda a, b: (a + b) * b, [(3, 4), (4,)]),
    "softmax": (lambda a: ag.softmax(a, axis=0), [(3, 4)]),
    "log_softmax_mean": (lambda a: a.log_softmax().mean(), [(3, 4)]),
    "getitem_concat": (lambda a: ag.concatenate([a[1:], a[:, ::-1]], axis=0), [(3, 4)]),
    "reductions": (lambda a: a.max(axis=1) * a.sum(axis=0, keepdims=True).mean(), [(3, 4)]),
    "where_exp": (lambda a, b: ag.where(a.data > 0, a.exp(), b * 2.0), [(3, 4), (3, 4)]),
    "scalar_output": (lambda a: (a * a).sum().sqrt(), [(2, 3)]),
}


@pytest.mark.parametrize("name", sorted(BUILTIN_CASES))
def test_builtin_ops_pass(name):
    f, shapes = BUILTIN_CASES[name]
    report = gradcheck(f, [_x(s, seed=i) for i, s in enumerate(shapes)])
    assert report and report.ok and report.node is None
    assert report.message.startswith("gradcheck passed for")


def test_correct_custom_function_passes_and_report_says_so():
    report = gradcheck(Softplus.apply, [_x()])
    assert report
    assert "passed for Softplus" in str(report) and "checked in float64" in str(report)


def test_only_inputs_that_require_grad_are_checked():
    x = _x()
    y = Tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    # y's path is wrong, x's is right; x is not checked because only y requires grad ...
    report = gradcheck(lambda x, y: MulWrongSecond.apply(y, x), [x, y], raise_exception=False)
    assert report
    # ... and the other way round the mistake is found
    x.requires_grad, y.requires_grad = True, False
    report = gradcheck(lambda x, y: MulWrongSecond.apply(y, x), [x, y], raise_exception=False)
    assert not report and [m.input_index for m in report.failures] == [0]


def test_non_tensor_arguments_pass_through():
    assert gradcheck(lambda x, k, axis: (x * k).sum(axis=axis), [_x(), 3, 1])


def test_requires_a_tensor_output_and_a_float_input():
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda x: x.data * 2, [_x()])
    with pytest.raises(ValueError, match="no floating-point Tensor"):
        gradcheck(lambda x: x * 2, [Tensor(np.arange(3))])


# --- planted mistakes -------------------------------------------------------------------------


def test_missing_factor_message_format_and_values():
    x = _x()
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: HalfSoftplus.apply(x).sum(), [x])
    assert isinstance(info.value, AssertionError)
    lines = str(info.value).splitlines()
    head = re.fullmatch(
        r"gradcheck failed for <lambda>: input 0, element \((\d+), (\d+)\)", lines[0]
    )
    assert head, lines[0]
    element = (int(head[1]), int(head[2]))
    # the worst element of a 0.5 factor is where the true gradient sigmoid(x) is largest
    assert element == np.unravel_index(np.argmax(x.data), x.shape)
    values = re.match(
        r"  analytic (\S+)  numeric (\S+)  abs err (\S+) "
        r"> atol 1e-05 \+ rtol 0\.001 \* \|numeric\|",
        lines[1],
    )
    assert values, lines[1]
    true = _sigmoid(x.data[element])
    np.testing.assert_allclose(float(values[1]), 0.5 * true, rtol=1e-5)
    np.testing.assert_allclose(float(values[2]), true, rtol=1e-5)
    np.testing.assert_allclose(float(values[3]), 0.5 * true, rtol=1e-2)
    assert lines[2].startswith("  input 0: shape (3, 4), dtype float64, eps 1e-06")
    report = info.value.report
    assert [f.name for f in report.faults] == ["HalfSoftplus"]
    fault = report.faults[0]
    assert (fault.position, fault.n_nodes) == (2, 2)  # sum is node 1, then HalfSoftplus
    assert "custom Function HalfSoftplus, node 2 of 2 in backward order" in str(info.value)
    assert "a constant factor is wrong" in str(info.value) and "0.5 x numeric" in str(info.value)
    # the node is named by the line of this file that created it
    assert fault.created_at.startswith("tests/autograd_core/test_gradcheck.py:")
    assert "HalfSoftplus.apply(x).sum()" in fault.created_at


def test_one_element_off_is_located():
    report = gradcheck(lambda x: OneOffSquare.apply(x), [_x()], raise_exception=False)
    assert not report
    assert report.failures[0].element == (1, 2) and report.failures[0].n_bad == 1
    (fault,) = report.faults
    assert fault.name == "OneOffSquare" and fault.mismatches[0].element == (1, 2)
    assert "only this element is wrong" in report.message


def test_right_values_transposed():
    x = _x((3, 3))
    report = gradcheck(lambda x: TransposedScale.apply(x).sum(), [x], raise_exception=False)
    assert not report and [f.name for f in report.faults] == ["TransposedScale"]
    assert "transposed" in report.message
    np.testing.assert_allclose(report.failures[0].numeric, _C[report.failures[0].element])


def test_wrong_gradient_for_the_second_input_only():
    x, y = _x(seed=1), _x(seed=2)
    report = gradcheck(lambda x, y: MulWrongSecond.apply(x, y), [x, y], raise_exception=False)
    assert not report
    assert [m.input_index for m in report.failures] == [1]
    (fault,) = report.faults
    assert [m.input_index for m in fault.mismatches] == [1] and fault.ok_inputs == [0]
    assert "its input 0: correct" in report.message


def _twenty_ops(x, w, bad):
    h = x @ w
    h = h.tanh() * 2.0 + 1.0
    h = h.sigmoid().log()
    h = ag.softplus(h) - h.exp() * 0.1
    h = bad.apply(h) if bad is not None else h
    h = h.reshape(-1).mean() + (h * h).sum(axis=0).max()
    return (h / 3.0).abs().sqrt() - 0.5


def test_faulty_function_buried_among_twenty_correct_ops():
    x, w = _x((3, 4)), _x((4, 2), seed=5)
    assert gradcheck(lambda x, w: _twenty_ops(x, w, Softplus), [x, w])
    report = gradcheck(lambda x, w: _twenty_ops(x, w, HalfSoftplus), [x, w], raise_exception=False)
    assert not report
    assert [f.name for f in report.faults] == ["HalfSoftplus"]
    assert report.node is report.faults[0].node and report.node.name == "HalfSoftplus"
    assert report.faults[0].n_nodes == 21  # 20 correct nodes and the faulty one
    assert report.output.grad_fn is not None


def test_faulty_builtin_rule_is_blamed(monkeypatch):
    x, w = _x((3, 4)), _x((4, 2), seed=5)

    def wrong_tanh_rule(g, out, x):
        return (g * (1.0 - out),)  # should be 1 - out**2

    monkeypatch.setattr(ag.tanh, "rule", wrong_tanh_rule)
    report = gradcheck(lambda x, w: _twenty_ops(x, w, None), [x, w], raise_exception=False)
    assert not report and [f.name for f in report.faults] == ["tanh"]
    assert "wrong backward: tanh, node" in report.message


def test_correct_node_at_a_kink_is_not_blamed():
    x = Tensor(np.array([[-1.0, 0.0, 2.0]]))  # relu sees an exact 0
    w = _x((1, 3), seed=3)
    report = gradcheck(
        lambda x, w: (x.relu() * HalfSoftplus.apply(w)).sum(), [x, w], raise_exception=False
    )
    assert [f.name for f in report.faults] == ["HalfSoftplus"]
    assert "one-sided slopes differ" in report.message


def test_transposed_inputs_and_views_are_perturbed_correctly():
    # F-ordered data (a transpose) must be perturbed element by element like any other
    xt = Tensor(np.random.default_rng(4).standard_normal((4, 3)).T)
    assert gradcheck(lambda x: (x.T * x.T.exp()).sum(), [xt])
    report = gradcheck(
        lambda x: HalfSoftplus.apply(x.T.T * 2.0).T.sum(), [xt], raise_exception=False
    )
    assert [f.name for f in report.faults] == ["HalfSoftplus"]


def test_sharp_curves_are_not_blamed():
    # log and 1/sqrt near 0 curve so sharply that eps = 1e-6 differences are off by > rtol
    x = Tensor(np.array([1e-5, 3e-5, 0.5]))
    w = Tensor(np.array([0.3, -0.2, 1.0]))
    report = gradcheck(
        lambda x, w: (x.log() * HalfSoftplus.apply(w)).sum() + (x * x).sqrt().sum(),
        [x, w],
        raise_exception=False,
    )
    assert [f.name for f in report.faults] == ["HalfSoftplus"]


def test_mismatch_from_outside_the_graph_blames_no_node():
    # sin is computed on .data, so the recorded graph misses its derivative
    def f(x):
        return (Tensor(np.sin(x.data)) * x).sum()

    report = gradcheck(f, [_x()], raise_exception=False)
    assert not report and report.faults == [] and report.node is None
    assert "outside the recorded graph" in report.message


def test_relu_at_zero_is_reported_as_a_kink():
    report = gradcheck(
        lambda x: x.relu().sum(), [Tensor(np.array([0.0, 1.0]))], raise_exception=False
    )
    assert not report and report.only_kinks and report.faults == []
    assert report.failures[0].element == (0,)


# --- precision --------------------------------------------------------------------------------


def test_float32_inputs_are_checked_in_float64_and_noise_is_told_apart():
    x32 = Tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))
    report = gradcheck(lambda x: (x * x.sin()).sum(), [x32])
    assert report.inputs[0].dtype == np.float64
    assert "within float32 rounding" in report.message
    # (x + 3e4) - 3e4 rounds x to a multiple of 2**-9 in float32: the rule is right (the
    # float64 check passes) but float32 arithmetic loses the gradient's precision
    xs = Tensor(np.linspace(0.1, 0.9, 12, dtype=np.float32).reshape(3, 4) + 3e-4)
    report = gradcheck(lambda x: (((x + 3e4) - 3e4) ** 2).sum(), [xs])
    assert report and "loses precision in float32" in report.message


def test_float32_noise_is_not_a_real_error_but_a_bug_still_is():
    x32 = Tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))
    report = gradcheck(lambda x: HalfSoftplus.apply(x).sum(), [x32], raise_exception=False)
    assert not report and "a real error, not rounding noise" in report.message
    assert "dtype float32 (checked in float64)" in report.message


def test_a_float32_intermediate_is_named_not_blamed():
    x = Tensor(np.linspace(1.1, 1.9, 6))
    report = gradcheck(
        lambda x: (x.astype(np.float32).astype(np.float64) * x).sin().sum(),
        [x],
        raise_exception=False,
    )
    assert not report and report.faults == []
    assert "'astype' (node" in report.message and "gives float32" in report.message


def test_eps_and_tolerances_follow_an_internal_float32():
    report = gradcheck(lambda x: (x.astype(np.float32) ** 2).sum(), [_x()])
    assert report and report.eps > 1e-3
    assert "computes in float32 inside" in report.message


# --- second derivatives -----------------------------------------------------------------------


def test_gradgradcheck_passes_for_builtin_ops():
    assert gradgradcheck(lambda x, y: (x.tanh() * y).sum(), [_x(), _x(seed=1)])
    assert gradgradcheck(lambda x: (x @ x.T).sigmoid(), [_x()])


def test_gradgradcheck_finds_a_rule_that_is_not_differentiable(monkeypatch):
    from autograd_core.tensor import _make

    def rule_on_arrays(g, out, x):
        # right values, but computed on .data: the second derivative is lost
        return (g * _make(out.data * (1.0 - out.data)),)

    monkeypatch.setattr(ag.sigmoid, "rule", rule_on_arrays)
    x = _x()
    assert gradcheck(lambda x: x.sigmoid().sum(), [x])
    report = gradgradcheck(lambda x: x.sigmoid().sum(), [x], raise_exception=False)
    assert not report and report.name == "gradient of <lambda>"
    assert "outside the recorded graph" in report.message


def test_gradgradcheck_through_a_function_says_it_is_once_differentiable():
    with pytest.raises(ag.BackwardError, match="Softplus"):
        gradgradcheck(lambda x: Softplus.apply(x).sum(), [_x()])


# --- drawing the report -----------------------------------------------------------------------


def test_report_draw_passes_the_faulty_node_to_draw_graph(monkeypatch):
    import sys
    import types

    calls = []
    stub = types.ModuleType("autograd_core.viz")
    stub.draw_graph = lambda output, **kw: calls.append((output, kw)) or "drawn"
    monkeypatch.setitem(sys.modules, "autograd_core.viz", stub)
    report = gradcheck(lambda x: HalfSoftplus.apply(x).sum(), [_x()], raise_exception=False)
    assert report.draw(show_grad=True) == "drawn"
    ((output, kw),) = calls
    assert output is report.output and kw == {"highlight": [report.node], "show_grad": True}


def test_report_draw_highlights_the_faulty_node():
    pytest.importorskip("autograd_core.viz")
    report = gradcheck(lambda x: HalfSoftplus.apply(x).sum(), [_x()], raise_exception=False)
    dot = report.draw()
    assert "HalfSoftplus" in dot.source


# --- the testing helper -----------------------------------------------------------------------


def test_check_gradients_passes_for_a_correct_function():
    check_gradients(Softplus, shapes=[(3, 4)], max_examples=5)
    check_gradients(
        lambda x, y: x * y.exp(),
        shapes=[hnp.array_shapes(max_dims=2, max_side=3), (1,)],
        max_examples=5,
    )


def test_check_gradients_with_broadcastable_shapes_finds_a_broadcasting_bug():
    class AddSumsFirstAxis(Function):
        """x + y whose backward assumes y was broadcast along the first axis."""

        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            # a gradient in the output's shape is summed back for us; this one is not that
            return g, (g.sum(axis=0) if g.ndim else g)

    shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)
    check_gradients(lambda x, y: x * y + y.exp(), shapes=shapes, max_examples=10)
    with pytest.raises(
        ag.ShapeError, match="AddSumsFirstAxis.backward returned a gradient of shape"
    ):
        check_gradients(lambda x, y: AddSumsFirstAxis.apply(x, y), shapes=shapes, max_examples=20)


def test_check_gradients_finds_a_planted_bug():
    with pytest.raises(GradcheckError) as info:
        check_gradients(HalfSoftplus, shapes=[(2, 2)], max_examples=5)
    msg = str(info.value)
    assert msg.startswith("gradcheck failed for HalfSoftplus")
    assert "wrong backward: custom Function HalfSoftplus" in msg
    assert "smallest failing input found: (Tensor(" in msg


def test_check_gradients_elements_inputs_and_kinks():
    check_gradients(lambda x: x.log(), shapes=[(4,)], elements=(0.1, 5.0), max_examples=5)
    pair = st.tuples(st.just(Tensor(np.array([0.0]))))
    with pytest.raises(GradcheckError, match="one-sided slopes differ"):
        check_gradients(lambda x: x.relu(), inputs=pair, max_examples=1)
    check_gradients(lambda x: x.relu(), inputs=pair, max_examples=1, allow_kinks=True)
    with pytest.raises(ValueError, match="exactly one of"):
        check_gradients(Softplus)


@gradient_test(shapes=[(2, 3), (3,)], max_examples=5)
def test_gradient_test_decorator(x, b):
    return Softplus.apply(x * b) + b


# --- several outputs --------------------------------------------------------------------------


class SinCos(Function):
    """Two outputs; ``wrong=True`` plants a sign error in the cosine's gradient."""

    wrong = False

    @classmethod
    def forward(cls, ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x), np.cos(x)

    @classmethod
    def backward(cls, ctx, g_sin, g_cos):
        (x,) = ctx.saved_arrays
        sign = 1.0 if cls.wrong else -1.0
        g_sin *= np.cos(x)  # writing into the incoming gradient must not confuse the check
        return g_sin + sign * g_cos * np.sin(x)


class WrongSinCos(SinCos):
    wrong = True


def test_tuple_outputs_and_multi_output_functions():
    x = _x((2, 3))
    assert gradcheck(SinCos.apply, [x])  # a tuple of Tensors is checked as one vector
    report = gradcheck(lambda x: WrongSinCos.apply(x * 2.0), [x], raise_exception=False)
    assert not report and [f.name for f in report.faults] == ["WrongSinCos"]


class RandomMask(Function):
    """A dropout-like op: each forward draws a new mask (its backward is right for its own)."""

    rng = np.random.default_rng(0)

    @classmethod
    def forward(cls, ctx, x):
        ctx.mask = (cls.rng.random(x.shape) > 0.5) * 2.0
        return x * ctx.mask

    @staticmethod
    def backward(ctx, g):
        return g * ctx.mask


def test_a_random_forward_is_not_blamed():
    x = _x()
    report = gradcheck(
        lambda x: HalfSoftplus.apply(RandomMask.apply(x)).sum(), [x], raise_exception=False
    )
    assert not report and [f.name for f in report.faults] == ["HalfSoftplus"]
    assert any("RandomMask" in u and "not deterministic" in u for u in report.unchecked)
    assert "not checked on its own: RandomMask (node 3)" in report.message


# --- a backward that ignores or mis-scales its incoming gradient ---------------------------------


class _IgnoresGrad(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_arrays
        return 2 * x  # forgot `grad *`: right only when grad is all ones


class _MisScales(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_arrays
        return np.cos(x) * grad.mean()  # the mean of the incoming gradient, not itself


@pytest.mark.parametrize("fn", [_IgnoresGrad, _MisScales])
def test_gradcheck_of_f_sum_catches_a_backward_ignoring_its_incoming_gradient(fn) -> None:
    x = Tensor(np.array([0.3, -0.7, 1.2]), requires_grad=True)
    with pytest.raises(ag.GradcheckError) as e:
        gradcheck(lambda t: fn.apply(t).sum(), [x])
    report = e.value.report
    assert report.node is not None and report.node.name == fn.__name__
    assert fn.__name__ in str(e.value) and "random incoming gradient" in str(e.value)
    assert not gradcheck(lambda t: fn.apply(t).sum(), [x], raise_exception=False)


def test_gradcheck_still_passes_a_correct_custom_function_under_sum() -> None:
    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_arrays
            return 3 * x**2 * grad

    x = Tensor(np.array([0.3, -0.7, 1.2]), requires_grad=True)
    assert gradcheck(lambda t: Cube.apply(t).sum(), [x])


def test_gradcheck_catches_a_user_op_rule_ignoring_g() -> None:
    from autograd_core import op

    @op("test_square_ignoring_g")
    def sq(x):
        return x * x

    @sq.vjp
    def _(g, out, x):
        return (2.0 * x,)  # ignores g

    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    with pytest.raises(ag.GradcheckError, match="test_square_ignoring_g"):
        gradcheck(lambda t: sq(t).sum(), [x])


def test_a_function_returning_its_input_itself_checks_correctly():
    # the output's array is the input's, which gradcheck perturbs in place: the numeric
    # side must copy what it reads, or both differences see the same values (0)
    x = Tensor(np.random.default_rng(3).standard_normal(4), requires_grad=True)
    assert ag.gradcheck(lambda t: t, [x])
