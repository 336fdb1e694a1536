"""Version counters: an array saved for backward that changed since makes backward() raise,
naming the op, the shape and both versions; raw numpy writes into an array a Tensor shares
are refused while a graph reads it. Never a silently wrong gradient."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import BackwardError, Function, Tensor, no_grad


def _leaf(values=(1.0, 2.0, 3.0), name=None) -> Tensor:
    return Tensor(np.array(values), requires_grad=True, name=name)


# --- writes through the Tensor ------------------------------------------------------------------


def test_data_imul_between_forward_and_backward_raises_naming_op_shape_and_versions() -> None:
    t = _leaf(name="t")
    y = (t * t).sum()
    t.data *= 2
    with pytest.raises(BackwardError) as e:
        y.backward()
    msg = str(e.value)
    assert "'multiply'" in msg and "(3,)" in msg and "'t'" in msg
    assert "version 1" in msg and "version 0" in msg
    assert t.grad is None  # nothing delivered


def test_data_assignment_between_forward_and_backward_raises() -> None:
    t = _leaf()
    y = (t * t).sum()
    t.data = np.array([5.0, 6.0, 7.0])
    with pytest.raises(BackwardError, match="multiply"):
        y.backward()


def test_assigning_an_array_of_the_same_values_is_no_change() -> None:
    # what an optimizer does binding its parameters into one flat buffer; PyTorch too lets
    # `p.data = ...` pass between forward and backward
    t = _leaf()
    y = (t * t).sum()
    buffer = np.zeros(6)
    buffer[3:] = t.data
    t.data = buffer[3:]
    assert t.version == 0
    y.backward()
    np.testing.assert_array_equal(t.grad, [2.0, 4.0, 6.0])
    # a write into the new memory is seen as any other
    y = (t * t).sum()
    buffer *= 2
    ag.increment_version(t)
    with pytest.raises(BackwardError, match="is at version 1; it was at version 0"):
        y.backward()


@pytest.mark.parametrize(
    "new",
    [np.array([-0.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0], dtype=np.float32)],
    ids=["negative zero", "another dtype"],
)
def test_values_that_only_look_the_same_are_a_change(new) -> None:
    t = Tensor(np.array([0.0, 2.0, 3.0]), requires_grad=True)
    y = (t * t).sum()
    t.data = new
    assert t.version == 1
    with pytest.raises(BackwardError, match="multiply"):
        y.backward()


def test_data_assignment_that_changes_the_shape_raises_even_where_values_are_not_read() -> None:
    t = _leaf()
    y = (t + 1.0).sum()  # add reads no values, but the gradient needs t's shape
    t.data = np.ones(5)
    with pytest.raises(BackwardError, match="'add'"):
        y.backward()


def test_version_counts_writes_and_is_shared_by_views_and_detach() -> None:
    t = _leaf()
    assert t.version == 0
    d = t.detach()
    with no_grad():
        t += 1
        t[0] = 7.0
    assert t.version == d.version == 2
    t.data *= 2
    assert t.version == 3
    t.data = np.zeros(3)
    assert t.version == 4  # an assignment continues the count


def test_reading_an_add_input_changed_later_is_fine_as_in_pytorch() -> None:
    x = _leaf()
    h = x * 1.0
    y = (h + 3.0).sum()  # add's rule reads no values
    with no_grad():
        h *= 10.0
    y.backward()
    np.testing.assert_array_equal(x.grad, np.ones(3))


def test_an_output_read_by_its_rule_changed_in_place_raises() -> None:
    x = _leaf()
    y = x.exp()
    y += 1.0  # exp's rule reads its output
    with pytest.raises(BackwardError, match=r"output 0 of 'exp'"):
        y.sum().backward()


@pytest.mark.parametrize(
    "make", [lambda x: x.sigmoid(), lambda x: x.tanh(), lambda x: x.sqrt(), lambda x: 1.0 / x]
)
def test_every_rule_that_reads_its_output_checks_it(make) -> None:
    x = _leaf()
    y = make(x)
    with no_grad():
        y *= 2.0
    with pytest.raises(BackwardError, match="output 0"):
        y.sum().backward()


def test_fused_linear_relu_checks_its_output_and_its_inputs() -> None:
    x = Tensor(np.ones((2, 3)))
    k = Tensor(np.full((3, 2), 0.5), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    y = ag.linear(x, k, b, activation="relu")
    with no_grad():
        y *= 2.0
    with pytest.raises(BackwardError, match="output 0 of 'linear_relu'"):
        y.sum().backward()
    y = ag.linear(x, k, b, activation="relu")
    with no_grad():
        b += 1.0  # the bias is read only by its shape
    y.sum().backward()
    y = ag.linear(x, k, b, activation="relu")
    with no_grad():
        k *= 2.0
    with pytest.raises(BackwardError, match="input 1 of 'linear_relu'"):
        y.sum().backward()


def test_a_write_through_a_view_changes_the_base_version() -> None:
    w = _leaf([[1.0, 2.0], [3.0, 4.0]])
    y = (w * w).sum()
    with no_grad():
        w.reshape(4)[0] = 10.0  # a view: the write lands in w
    assert w.data[0, 0] == 10.0
    with pytest.raises(BackwardError):
        y.backward()


def test_a_write_into_the_base_is_seen_by_a_graph_that_saved_a_view() -> None:
    w = _leaf([1.0, 2.0, 3.0, 4.0])
    v = w.detach()[1:3]
    y = (_leaf([1.0, 1.0]) * v).sum()
    with no_grad():
        w[1] = 0.0
    with pytest.raises(BackwardError):
        y.backward()


def test_two_tensors_over_one_numpy_array_share_the_version() -> None:
    a = np.ones(4)
    whole, part = Tensor(a), Tensor(a[1:3])
    w = _leaf([1.0, 2.0])
    y = (w * part).sum()
    with no_grad():
        whole += 1.0
    with pytest.raises(BackwardError):
        y.backward()


def test_retain_graph_then_a_write_then_the_second_backward_raises() -> None:
    x = _leaf()
    y = (x * x).sum()
    y.backward(retain_graph=True)
    with no_grad():
        x -= 0.1 * x.grad
    with pytest.raises(BackwardError, match="version"):
        y.backward()


def test_copy_under_no_grad_is_the_weight_loading_write_and_is_seen() -> None:
    w = _leaf()
    y = (w * w).sum()
    with no_grad():
        w.copy_(np.array([4.0, 5.0, 6.0]))
    assert w.is_leaf and w.requires_grad
    with pytest.raises(BackwardError):
        y.backward()


def test_increment_version_marks_a_direct_numpy_write() -> None:
    w = _leaf()
    y = (w * w).sum()
    np.multiply(w.data, 2.0, out=w.data)  # a write the engine cannot see by itself
    ag.increment_version(w)
    with pytest.raises(BackwardError):
        y.backward()


def test_a_write_after_backward_does_not_disturb_a_new_graph() -> None:
    w = _leaf()
    (w * w).sum().backward()
    with no_grad():
        w -= 0.5 * w.grad
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * w.data)


# --- raw numpy writes ---------------------------------------------------------------------------


def test_writing_into_the_array_a_leaf_shares_is_refused_while_a_graph_reads_it() -> None:
    a = np.ones(3)
    t = Tensor(a, requires_grad=True)
    y = (t * t).sum()
    with pytest.raises(ValueError, match="read-only"):
        a[0] = 5.0
    y.backward()
    np.testing.assert_array_equal(t.grad, [2.0, 2.0, 2.0])
    a[0] = 5.0  # released by backward: writable again, and shared as before
    assert t.data[0] == 5.0


def test_an_operand_array_is_protected_too_and_released_with_the_graph() -> None:
    a = np.array([1.0, 2.0, 3.0])
    x = _leaf()
    y = (x * a).sum()
    with pytest.raises(ValueError):
        a[1] = 0.0
    del y
    gc.collect()
    a[1] = 0.0  # the graph is gone: nothing reads a any more


def test_a_dropped_graph_releases_the_arrays_without_the_cycle_collector() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        a = np.ones(3)
        t = Tensor(a, requires_grad=True)
        y = (t * t).sum()
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None
        a[0] = 2.0
    finally:
        if was:
            gc.enable()


def test_retain_graph_keeps_the_arrays_protected_until_the_graph_goes() -> None:
    a = np.ones(3)
    t = Tensor(a, requires_grad=True)
    y = (t * t).sum()
    y.backward(retain_graph=True)
    with pytest.raises(ValueError):
        a[0] = 3.0
    y.backward()
    a[0] = 3.0


def test_an_array_read_by_no_rule_is_not_locked() -> None:
    a = np.ones(3)
    x = _leaf()
    y = (x + a).sum()  # add reads no values: a may change freely, as in PyTorch
    a[0] = 4.0
    y.backward()
    np.testing.assert_array_equal(x.grad, np.ones(3))


def test_data_imul_still_works_while_the_users_array_is_locked() -> None:
    a = np.ones(3)
    t = Tensor(a, requires_grad=True)
    y = (t * t).sum()
    t.data *= 2  # through the Tensor: allowed, and seen at backward
    assert a[0] == 2.0
    with pytest.raises(BackwardError):
        y.backward()


def test_views_of_a_protected_array_are_protected() -> None:
    a = np.arange(6.0).reshape(2, 3)
    t = Tensor(a)
    x = _leaf([1.0, 1.0, 1.0])
    y = (x * t[1]).sum()
    with pytest.raises(ValueError):
        a[1, 0] = 0.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0, 5.0])


def test_an_array_only_the_tensor_holds_is_never_locked() -> None:
    t = Tensor(np.ones(3), requires_grad=True)
    y = (t * t).sum()
    assert t._guard is None  # nobody else can write the temporary
    y.backward()


# --- custom Functions ---------------------------------------------------------------------------


class _Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_arrays
        return 2 * x * grad


def test_a_function_input_changed_after_forward_raises() -> None:
    x = _leaf()
    y = _Square.apply(x).sum()
    with no_grad():
        x *= 3.0
    with pytest.raises(BackwardError, match="_Square"):
        y.backward()


def test_a_function_output_changed_in_place_raises() -> None:
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            out = np.exp(x)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_arrays
            return grad * out

    x = _leaf()
    y = Exp.apply(x)
    y += 1.0
    with pytest.raises(BackwardError, match="output 0 of 'Exp'"):
        y.sum().backward()


def test_a_backward_writing_into_a_saved_array_fails_naming_the_function() -> None:
    class Clobber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_arrays
            x *= 0  # would corrupt the input the user gave
            return grad * 2

    a = np.array([1.0, 2.0])
    t = Tensor(a, requires_grad=True)
    with pytest.raises(BackwardError, match=r"Clobber\.backward wrote into an array it saved"):
        Clobber.apply(t).sum().backward()
    np.testing.assert_array_equal(t.data, [1.0, 2.0])  # untouched
    t.data[0] = 3.0  # writable again afterwards
    a[1] = 4.0


def test_saved_arrays_are_readable_and_writable_again_after_backward() -> None:
    x = _leaf()
    y = _Square.apply(x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)
    x.data[0] = 9.0
