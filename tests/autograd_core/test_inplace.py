"""In-place updates (PyTorch's semantics): the same object changes; inside no_grad() a plain
write; outside, a leaf that requires grad refuses and any other tensor records the update."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import DTypeError, InplaceError, ShapeError, Tensor, no_grad


def _leaf(values=(1.0, 2.0, 3.0), name=None) -> Tensor:
    return Tensor(np.array(values), requires_grad=True, name=name)


@pytest.mark.parametrize(
    "update, expected",
    [
        (lambda x: x.__iadd__(2.0), [3.0, 4.0, 5.0]),
        (lambda x: x.__isub__(2.0), [-1.0, 0.0, 1.0]),
        (lambda x: x.__imul__(2.0), [2.0, 4.0, 6.0]),
        (lambda x: x.__itruediv__(2.0), [0.5, 1.0, 1.5]),
        (lambda x: x.__ipow__(2.0), [1.0, 4.0, 9.0]),
    ],
)
def test_inplace_operators_change_the_same_object(update, expected) -> None:
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    data = x.data
    assert update(x) is x
    assert x.data is data  # the same array, written in place
    np.testing.assert_allclose(x.data, expected)


def test_the_classic_sgd_step_keeps_the_leaf() -> None:
    w = _leaf(name="w")
    (w * w).sum().backward()
    w_before = w
    with no_grad():
        w -= 0.1 * w.grad
    assert w is w_before and w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.data, [0.8, 1.6, 2.4])
    w.grad = None
    (w * w).sum().backward()  # the next backward works on the same leaf
    np.testing.assert_allclose(w.grad, 2 * w.data)


def test_a_leaf_that_requires_grad_refuses_an_inplace_update_naming_op_and_shape() -> None:
    w = _leaf(name="w")
    with pytest.raises(InplaceError) as e:
        w -= 1.0
    msg = str(e.value)
    assert "subtract_" in msg and "'w'" in msg and "(3,)" in msg and "leaf" in msg
    assert isinstance(e.value, ag.BackwardError) and isinstance(e.value, RuntimeError)
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])  # unchanged
    with pytest.raises(InplaceError, match="leaf"):
        w[0] = 5.0


def test_a_recorded_update_becomes_the_history_and_gradients_flow_to_both_sides() -> None:
    w = _leaf()
    v = _leaf([2.0, 0.5, -1.0])
    x = w * 1.0
    x *= v  # d/dw = v, d/dv = w
    assert x.grad_fn.name == "multiply" and not x.is_leaf
    x.sum().backward()
    np.testing.assert_allclose(w.grad, [2.0, 0.5, -1.0])
    np.testing.assert_allclose(v.grad, [1.0, 2.0, 3.0])


def test_repeated_updates_chain_exactly() -> None:
    w = _leaf()
    x = w * 1.0
    x += 1.0
    x *= x  # (w + 1)**2, the old value kept for the rule
    x /= 2.0
    x.sum().backward()
    np.testing.assert_allclose(x.data, (np.array([1.0, 2.0, 3.0]) + 1) ** 2 / 2)
    np.testing.assert_allclose(w.grad, np.array([2.0, 3.0, 4.0]))


def test_a_constant_becomes_a_non_leaf_when_a_value_that_requires_grad_goes_in() -> None:
    w = _leaf()
    x = Tensor(np.zeros(3))
    x += w
    assert x.requires_grad and not x.is_leaf
    (x * x).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * w.data)


def test_setitem_gradient_zero_where_overwritten_and_gathered_for_the_value() -> None:
    w = _leaf([1.0, 2.0, 3.0, 4.0])
    v = Tensor(np.array(5.0), requires_grad=True)
    x = w * 1.0
    x[1:3] = v  # broadcast scalar: its gradient is the sum over the two positions
    (x * x).sum().backward()
    np.testing.assert_allclose(w.grad, [2.0, 0.0, 0.0, 8.0])
    np.testing.assert_allclose(v.grad, 20.0)


def test_setitem_with_arrays_scalars_masks_and_index_arrays() -> None:
    x = Tensor(np.zeros((2, 3)))
    x[0] = np.array([1.0, 2.0, 3.0])
    x[1, 1:] = 7.0
    x[x.data > 5] = -1.0
    x[[0, 1], [0, 0]] = Tensor(np.array([9.0, 8.0]))
    np.testing.assert_array_equal(x.data, [[9.0, 2.0, 3.0], [8.0, -1.0, -1.0]])


def test_slice_plus_equals_into_a_buffer_records_through_the_view() -> None:
    w = _leaf([1.0, 2.0])
    out = Tensor(np.zeros(4))
    out[1:3] += w
    out[0:2] += w * w
    (out * out).sum().backward()
    # out = [w0^2, w0 + w1^2, w1, 0]
    w0, w1 = 1.0, 2.0
    expected = [2 * w0**2 * 2 * w0 + 2 * (w0 + w1**2), 2 * (w0 + w1**2) * 2 * w1 + 2 * w1]
    np.testing.assert_allclose(w.grad, expected)


def test_an_update_through_a_view_changes_the_base_and_its_gradient() -> None:
    w = _leaf([1.0, 2.0, 3.0, 4.0])
    x = w * 1.0
    v = x[1:3]
    v *= 10.0
    np.testing.assert_array_equal(x.data, [1.0, 20.0, 30.0, 4.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(w.grad, [2.0, 400.0, 600.0, 8.0])


def test_a_view_taken_before_its_base_changed_follows_the_new_history() -> None:
    w = _leaf()
    x = w * 1.0
    v = x[0:2]
    x *= 3.0
    (v * v).sum().backward()  # v = 3 w[0:2]
    np.testing.assert_allclose(w.grad, [18.0, 36.0, 0.0])


def test_a_view_of_a_leaf_that_requires_grad_refuses() -> None:
    w = _leaf()
    with pytest.raises(InplaceError, match=r"a view \(shape \(2,\)\) of a leaf"):
        w[0:2] *= 2.0


def test_a_no_grad_view_modified_with_gradients_recorded_refuses() -> None:
    w = _leaf()
    with no_grad():
        v = w[0:2]
    with pytest.raises(InplaceError, match="no_grad"):
        v += 1.0
    with no_grad():
        v += 1.0  # both inside: a plain write into w
    np.testing.assert_array_equal(w.data, [2.0, 3.0, 3.0])


def test_dtype_rules_are_numpys_same_kind_as_pytorch() -> None:
    x = Tensor(np.zeros(3, dtype=np.float32))
    x += np.ones(3)  # float64 operand: x stays float32
    assert x.dtype == np.float32
    n = Tensor(np.array([1, 2, 3]))
    n *= 2
    assert n.dtype == np.int64 and n.data.tolist() == [2, 4, 6]
    with pytest.raises(DTypeError, match="same_kind"):
        n += 0.5
    with pytest.raises(DTypeError):
        n /= 2  # true division gives floats


def test_a_float32_result_of_a_float64_operand_that_requires_grad_casts_back() -> None:
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    d = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    y = x * 1.0
    y *= d
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and d.grad.dtype == np.float64
    np.testing.assert_allclose(d.grad, [1.0, 1.0])


def test_an_update_cannot_change_the_shape() -> None:
    x = Tensor(np.zeros(3))
    with pytest.raises(ShapeError, match="shape"):
        x += np.ones((2, 3))
    with pytest.raises(ShapeError):
        x[0:2] = np.ones(3)


def test_a_read_only_array_refuses_an_update_clearly() -> None:
    a = np.ones(3)
    a.setflags(write=False)
    x = Tensor(a)
    with pytest.raises(InplaceError, match="read-only"):
        x += 1.0
    with pytest.raises(InplaceError, match="read-only"):
        x[0] = 2.0


def test_matmul_in_place_with_a_square_operand() -> None:
    x = Tensor(np.eye(2))
    x @= np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(x.data, [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ShapeError):
        x @= np.ones((2, 3))


def test_retain_grad_follows_the_tensor_and_hooks_stay_with_the_old_value() -> None:
    w = _leaf([1.0, 2.0])
    y = w * 1.0
    seen = []
    y.register_hook(lambda g: seen.append(np.array(g)))
    y.retain_grad()
    y *= 3.0
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad, 2 * y.data)  # the gradient of the new value
    np.testing.assert_allclose(seen[0], 3 * 2 * y.data)  # the old value's, as PyTorch
    np.testing.assert_allclose(w.grad, 18 * w.data)


def test_copy_is_in_place_and_broadcasts() -> None:
    x = Tensor(np.zeros((2, 2)))
    assert x.copy_(np.array([1.0, 2.0])) is x
    np.testing.assert_array_equal(x.data, [[1.0, 2.0], [1.0, 2.0]])
    w = _leaf([1.0, 2.0])
    x.copy_(w * 3.0)  # recorded
    x.sum().backward()
    np.testing.assert_allclose(w.grad, [6.0, 6.0])


def test_second_derivatives_through_an_inplace_update() -> None:
    w = _leaf([1.0, 2.0])
    x = w * 1.0
    x *= w  # w**2
    x *= w  # w**3
    (g,) = ag.gradients(x.sum(), [w], create_graph=True)
    np.testing.assert_allclose(g.data, 3 * w.data**2)
    (h,) = ag.gradients(g.sum(), [w])
    np.testing.assert_allclose(h, 6 * w.data)


def test_gradcheck_through_inplace_updates() -> None:
    def f(w, v):
        x = w * 1.0
        x *= v
        x[0] = v[1] * 2.0
        x += w.exp()
        return (x * x).sum()

    assert ag.gradcheck(f, [_leaf([0.3, -0.2, 0.5]), _leaf([1.5, 0.7, -0.4])])


@pytest.mark.parametrize(
    "update",
    [
        lambda x: x.__setitem__(slice(0, 2), x[1:3]),
        lambda x: x.__iadd__(x * 2.0),
        lambda x: x.__imul__(x.sum()),
        lambda x: x[0:2].__iadd__(x[1:3] + x.sum()),
    ],
)
def test_an_update_that_reads_x_itself_makes_no_reference_cycle(update) -> None:
    import gc
    import weakref

    was = gc.isenabled()
    gc.disable()
    try:
        w = _leaf([1.0, 2.0, 3.0])
        x = w * 1.0
        update(x)
        node = weakref.ref(x.grad_fn)
        x.sum().backward(retain_graph=True)
        del x
        assert node() is None
    finally:
        if was:
            gc.enable()


def test_a_consumer_of_a_constant_that_gains_a_history_gives_it_no_gradient() -> None:
    c = Tensor(np.ones(2))
    w = _leaf([1.0, 2.0])
    z = c + w  # c needed no gradient when this was recorded
    c += w * 3.0  # c now has a history (and requires grad)
    z.sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])
