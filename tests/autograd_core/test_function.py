"""Custom Functions: forward/backward on arrays, ctx, several inputs and outputs, errors."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Function, Tensor, gradcheck
from tests.autograd_core.custom_functions import ProdSum, Softplus


class ScaleSum(Function):
    """A Tensor, a Python number and a keyword argument: only the Tensor is differentiated."""

    @staticmethod
    def forward(ctx, x, k, axis=None):
        ctx.shape, ctx.k, ctx.axis = x.shape, k, axis
        ctx.seen = ctx.needs_input_grad
        return k * x.sum(axis=axis)

    @staticmethod
    def backward(ctx, grad):
        g = grad if ctx.axis is None else np.expand_dims(grad, ctx.axis)
        return np.broadcast_to(ctx.k * g, ctx.shape).copy(), None


def _rng():
    return np.random.default_rng(0)


def test_softplus_matches_formula_and_is_recorded_like_a_builtin():
    x = Tensor(_rng().standard_normal((3, 4)), requires_grad=True)
    y = Softplus.apply(x)
    np.testing.assert_allclose(y.data, np.log1p(np.exp(x.data)))
    assert y.grad_fn.name == "Softplus" and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 1.0 / (1.0 + np.exp(-x.data)))
    assert gradcheck(Softplus.apply, [x])


def test_function_output_mixes_with_builtin_ops():
    x = Tensor(_rng().standard_normal((2, 3)), requires_grad=True)
    w = Tensor(_rng().standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda x, w: (Softplus.apply(x @ w) * x.sum()).mean(), [x, w])


def test_two_outputs_each_get_their_gradient():
    rng = _rng()
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    y = Tensor(rng.standard_normal(4), requires_grad=True)
    p, s = ProdSum.apply(x, y)
    (2 * p + 3 * s).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * y.data + 3)
    np.testing.assert_allclose(y.grad, 2 * x.data + 3)
    assert gradcheck(lambda x, y: ProdSum.apply(x, y)[0] * ProdSum.apply(x, y)[1], [x, y])


def test_an_unused_output_gets_zero_upstream_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = Tensor(np.array([3.0, 5.0]), requires_grad=True)
    p, _ = ProdSum.apply(x, y)
    p.sum().backward()
    np.testing.assert_allclose(x.grad, y.data)
    np.testing.assert_allclose(y.grad, x.data)


def test_multi_output_node_describes_itself():
    x = Tensor(np.ones(3), requires_grad=True)
    p, _ = ProdSum.apply(x, x)
    owner = p.grad_fn.parents[0]
    assert "ProdSum" in repr(owner) and owner.shape == ((3,), (3,))
    p.sum().backward()  # released: still describable
    assert "ProdSum" in repr(owner)


def test_forward_returning_a_one_element_tuple():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return (2 * x,)

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    x = Tensor(np.arange(3.0), requires_grad=True)
    (y,) = Twice.apply(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0, 2.0])


def test_non_tensor_arguments_pass_through_and_needs_input_grad():
    x = Tensor(_rng().standard_normal((3, 4)), requires_grad=True)
    y = ScaleSum.apply(x, 2.5, axis=1)
    assert y.shape == (3,)
    assert y.grad_fn.ctx.seen == (True, False)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((3, 4), 2.5))
    assert gradcheck(lambda x: ScaleSum.apply(x, 2.5, axis=1), [x])
    assert gradcheck(lambda x: ScaleSum.apply(x, -1.5), [x])


def test_backward_may_return_none_for_an_input():
    class FirstOnly(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.needs = ctx.needs_input_grad
            return x * 3.0 + y.sum() * 0.0

        @staticmethod
        def backward(ctx, g):
            return 3.0 * g, None

    x = Tensor(np.ones(3), requires_grad=True)
    y = Tensor(np.ones(2), requires_grad=False)
    out = FirstOnly.apply(x, y)
    assert out.grad_fn.ctx.needs == (True, False)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0, 3.0])
    assert y.grad is None


def test_gradient_in_the_broadcast_shape_is_summed_back():
    # as PyTorch: b was broadcast by the forward, so g of the output's shape is summed to (4,)
    class AddBias(Function):
        @staticmethod
        def forward(ctx, x, b):
            return x + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = Tensor(np.ones((3, 4)), requires_grad=True)
    b = Tensor(np.ones(4), requires_grad=True)
    (AddBias.apply(x, b) * np.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(b.grad, [0.0, 3.0, 6.0, 9.0])
    np.testing.assert_array_equal(x.grad, np.tile(np.arange(4.0), (3, 1)))


def test_wrong_shape_names_function_input_and_both_shapes():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x, b):
            return x * b

        @staticmethod
        def backward(ctx, g):
            return g, g[:, :2]  # (3, 2) cannot be summed to b's shape (4,)

    x = Tensor(np.ones((3, 4)), requires_grad=True)
    b = Tensor(np.ones(4), requires_grad=True)
    with pytest.raises(ag.ShapeError) as info:
        WrongShape.apply(x, b).sum().backward()
    msg = str(info.value)
    assert "WrongShape" in msg and "input 1" in msg
    assert "(3, 2)" in msg and "(4,)" in msg
    assert b.grad is None


def test_another_float_dtype_is_cast_to_the_input_dtype():
    # as PyTorch: a float64 gradient for a float32 input is cast, not refused
    class Upcasts(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (2 * g).astype(np.float64)

    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    Upcasts.apply(x).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_integer_gradient_names_both_dtypes():
    class Integer(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return np.full(g.shape, 2)

    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.raises(ag.DTypeError) as info:
        Integer.apply(x).sum().backward()
    msg = str(info.value)
    assert "Integer" in msg and "int64" in msg and "float32" in msg and "input 0" in msg


def test_wrong_number_of_gradients():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ag.BackwardError, match="TooFew.backward returned 1 gradient"):
        TooFew.apply(x, x).sum().backward()


def test_saved_arrays_are_freed_after_backward_unless_retained():
    x = Tensor(np.ones(3), requires_grad=True)
    y = Softplus.apply(x)
    y.backward(np.ones(3), retain_graph=True)
    y.backward(np.ones(3))
    np.testing.assert_allclose(x.grad, 2 / (1 + np.exp(-1.0)) * np.ones(3))
    with pytest.raises(ag.BackwardError, match="Softplus"):
        y.backward(np.ones(3))
    with pytest.raises(ag.BackwardError, match="Softplus.backward: the saved arrays were freed"):
        _ = y.grad_fn.ctx.saved_arrays


def test_second_derivative_through_a_function_raises_clearly():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    Softplus.apply(x).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.data, 1 / (1 + np.exp(-x.data)))
    with pytest.raises(ag.BackwardError, match="Softplus.backward works on numpy arrays"):
        x.grad.sum().backward()


def test_no_grad_and_integer_outputs_record_nothing():
    x = Tensor(np.ones(3), requires_grad=True)
    with ag.no_grad():
        y = Softplus.apply(x)
    assert not y.requires_grad and y.grad_fn is None

    class Floor(Function):
        @staticmethod
        def forward(ctx, x):
            return np.floor(x).astype(np.int64)

        @staticmethod
        def backward(ctx, g):
            return None

    assert not Floor.apply(x).requires_grad


def test_forward_runs_with_recording_off():
    class UsesTensorsInside(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.recorded = Tensor(x, requires_grad=True).exp().requires_grad
            return np.exp(x)

        @staticmethod
        def backward(ctx, g):
            return g

    x = Tensor(np.ones(2), requires_grad=True)
    assert UsesTensorsInside.apply(x).grad_fn.ctx.recorded is False


def test_forward_can_be_rerun_from_the_node():
    # gradcheck re-runs a node's forward; the node keeps the non-Tensor arguments for that
    x = Tensor(np.arange(3.0), requires_grad=True)
    node = (x * 2).grad_fn
    y = Softplus.apply(x)
    assert y.grad_fn.ctx._args == (None,) and y.grad_fn.ctx._kwargs == {}
    assert node.op.forward(np.ones(2), np.full(2, 3.0)).tolist() == [3.0, 3.0]


def test_anomaly_mode_adds_the_creation_place_to_a_backward_error():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g.sum(axis=0)

    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with ag.detect_anomaly():
        y = WrongShape.apply(x)  # the line named in the note
        with pytest.raises(ag.ShapeError) as info:
            y.sum().backward()
    (note,) = info.value.__notes__
    assert note.startswith("in the backward of WrongShape, created at tests/autograd_core/")
    assert "y = WrongShape.apply(x)" in note
