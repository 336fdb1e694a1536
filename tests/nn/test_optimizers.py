"""Optimizers: each update rule against its formula written out by hand, in-place updates,
no writes to gradients, schedules and lookup by name."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nn
from autograd_core import BackwardError, Tensor
from nn import optim


def _param(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


GRADS = [
    np.array([1.0, 6.0, 7.0, 2.0]),
    np.array([-2.0, 0.5, 3.0, 1.0]),
    np.array([0.3, -1.0, 2.0, -4.0]),
]


def _run(opt, p, grads=GRADS):
    out = []
    for g in grads:
        p.grad = g.copy()
        opt.step()
        out.append(p.data.copy())
    return out


def test_adam_first_step_is_keras_pinned_value():
    # Keras's own test: lr 0.5, any gradient -> every weight moves by 0.5 on step one, since
    # m_hat / sqrt(v_hat) = g / |g| (epsilon = 1e-7 shortens the step by about 3e-6 of it for
    # g = 1: Keras checks to 1e-4).
    p = _param([1.0, 2.0, 3.0, 4.0], np.float32)
    opt = optim.Adam([p], lr=0.5)
    p.grad = np.array([1.0, 6.0, 7.0, 2.0], dtype=np.float32)
    opt.step()
    np.testing.assert_allclose(p.data, [0.5, 1.5, 2.5, 3.5], atol=2e-6)
    exact = 0.5 * np.sqrt(0.001) / 0.1 * 0.1 / (np.sqrt(0.001) + 1e-7)  # g = 1, by hand
    assert 1.0 - p.data[0] == pytest.approx(exact, rel=1e-6)
    # the gradient of a sum is all ones: same result
    q = _param([1.0, 2.0, 3.0, 4.0], np.float32)
    opt = optim.Adam([q], learning_rate=0.5)
    q.sum().backward()
    opt.step()
    np.testing.assert_allclose(q.data, [0.5, 1.5, 2.5, 3.5], atol=2e-6)


def test_adam_follows_the_formula_for_several_steps():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    p = _param([1.0, 2.0, 3.0, 4.0])
    got = _run(optim.Adam([p], lr=lr), p)
    w, m, v = np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4), np.zeros(4)
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(got[t - 1], w, rtol=1e-12)


def test_adamw_decays_weights_decoupled_from_the_gradient():
    lr, wd = 0.01, 0.1
    p, q = _param([1.0, -2.0, 3.0, 0.5]), _param([1.0, -2.0, 3.0, 0.5])
    got = _run(optim.AdamW([p], lr=lr, weight_decay=wd), p)
    adam = optim.Adam([q], lr=lr)
    for k, g in enumerate(GRADS):
        q.data *= 1 - lr * wd  # decay first, then the plain Adam step
        q.grad = g.copy()
        adam.step()
        np.testing.assert_allclose(got[k], q.data, rtol=1e-12)
    assert optim.AdamW([_param([1.0])]).weight_decay == 0.004  # Keras's default


def test_sgd_plain_and_momentum_follow_the_textbook_recurrence():
    lr, beta = 0.1, 0.9
    p = _param([1.0, 2.0, 3.0, 4.0])
    plain = _run(optim.SGD([p], lr=lr), p)
    np.testing.assert_allclose(plain[0], np.array([1.0, 2.0, 3.0, 4.0]) - lr * GRADS[0])
    p = _param([1.0, 2.0, 3.0, 4.0])
    got = _run(optim.SGD([p], lr=lr, momentum=beta), p)
    w, dw = np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4)
    for k, g in enumerate(GRADS):
        dw = beta * dw - lr * g  # Δθ ← βΔθ − α∇θJ
        w = w + dw  # θ ← θ + Δθ
        np.testing.assert_allclose(got[k], w, rtol=1e-12)


def test_sgd_nesterov_follows_keras():
    lr, beta = 0.05, 0.8
    p = _param([1.0, 2.0, 3.0, 4.0])
    got = _run(optim.SGD([p], lr=lr, momentum=beta, nesterov=True), p)
    w, v = np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4)
    for k, g in enumerate(GRADS):
        v = beta * v - lr * g
        w = w + beta * v - lr * g
        np.testing.assert_allclose(got[k], w, rtol=1e-12)


@pytest.mark.parametrize(
    "centered, momentum", [(False, 0.0), (True, 0.0), (False, 0.5), (True, 0.5)]
)
def test_rmsprop_follows_keras(centered, momentum):
    lr, rho, eps = 0.01, 0.9, 1e-7
    p = _param([1.0, 2.0, 3.0, 4.0])
    got = _run(optim.RMSprop([p], lr=lr, centered=centered, momentum=momentum), p)
    w, a, mg, buf = np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4), np.zeros(4), np.zeros(4)
    for k, g in enumerate(GRADS):
        a = rho * a + (1 - rho) * g * g
        denom = a + eps
        if centered:
            mg = rho * mg + (1 - rho) * g
            denom = a - mg * mg + eps
        inc = lr * g / np.sqrt(denom)
        if momentum:
            buf = momentum * buf + inc
            inc = buf
        w = w - inc
        np.testing.assert_allclose(got[k], w, rtol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: optim.RMSprop(ps),
        lambda ps: optim.Adam(ps),
        lambda ps: optim.AdamW(ps),
    ],
)
def test_updates_are_in_place_float32_and_never_touch_gradients(make):
    p = _param(np.ones((3, 2)), np.float32)
    opt = make([p])
    data_id = id(p.data)
    g = np.full((3, 2), 0.5, dtype=np.float32)
    p.grad = g  # the engine may hand out shared arrays: the optimizer only reads them
    opt.step()
    state_ids = [id(a) for a in opt.state_arrays()[0] if a is not None]
    opt.step()
    assert id(p.data) == data_id and p.dtype == np.float32
    assert (g == 0.5).all() and p.grad is g
    assert [id(a) for a in opt.state_arrays()[0] if a is not None] == state_ids
    assert not (p.data == 1.0).all()
    opt.zero_grad()
    assert p.grad is None


def test_parameters_without_gradient_are_skipped():
    a, b = _param([1.0]), _param([2.0])
    opt = optim.SGD([a, b], lr=1.0)
    a.grad = np.array([1.0])
    opt.step()
    assert a.data[0] == 0.0 and b.data[0] == 2.0


def test_learning_rate_schedule_is_evaluated_per_step():
    sched = optim.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert sched(0) == pytest.approx(0.1) and sched(10) == pytest.approx(0.05)
    assert optim.ExponentialDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.05)
    p = _param([0.0])
    opt = optim.SGD([p], learning_rate=sched)
    for _ in range(3):
        p.grad = np.array([1.0])
        opt.step()
    assert p.data[0] == pytest.approx(-(0.1 + 0.1 * 0.5**0.1 + 0.1 * 0.5**0.2))
    pc = optim.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    assert [pc(s) for s in (0, 2, 3, 4, 5)] == [1.0, 1.0, 0.5, 0.5, 0.1]


def test_lookup_by_name_with_keras_defaults_and_errors():
    ps = [_param([1.0])]
    assert optim.get("sgd", ps).lr == 0.01
    assert optim.get("rmsprop", ps).lr == 0.001 and optim.get("rmsprop", ps).rho == 0.9
    adam = optim.get("Adam", ps)
    assert (adam.lr, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    with pytest.raises(ValueError, match="Unknown optimizer 'adan'"):
        optim.get("adan")
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD(ps, lr=-1.0)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(ps[0])
    with pytest.raises(ValueError, match="no parameters"):
        optim.Adam().step()
    assert nn.optim is nn.optimizers


def test_explicit_training_loop_from_the_api_fits_a_line():
    nn.set_seed(0)
    x = np.linspace(-1, 1, 64).reshape(-1, 1).astype(np.float32)
    y = 3 * x - 0.5
    model = nn.Sequential([nn.Dense(1, input_dim=1)])
    opt = nn.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        loss = nn.losses.mse(y, model(x))
        loss.backward()
        opt.step()
    assert loss.item() < 1e-4
    np.testing.assert_allclose(model.layers[0].kernel.data, [[3.0]], atol=1e-2)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda ps: optim.RMSprop(ps, centered=True, momentum=0.3),
        lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True),
        lambda ps: optim.AdamW(ps, lr=0.05),
    ],
)
def test_many_small_parameters_update_like_one_at_a_time(make):
    # Several small parameters go through one flat buffer; the result must be exactly that
    # of separate optimizers, also across a step where one parameter has no gradient.
    r = np.random.default_rng(0)
    shapes = [(3, 2), (4,), (2, 2, 2)]
    init = [r.standard_normal(s).astype(np.float32) for s in shapes]
    together = [Tensor(a.copy(), requires_grad=True) for a in init]
    alone = [Tensor(a.copy(), requires_grad=True) for a in init]
    opt = make(together)
    assert opt._flat is not None
    singles = [make([p]) for p in alone]
    for step in range(4):
        grads = [r.standard_normal(s).astype(np.float32) for s in shapes]
        for k, g in enumerate(grads):
            skip = step == 1 and k == 1
            together[k].grad = None if skip else g[::-1] if g.ndim == 1 else g
            alone[k].grad = together[k].grad
        opt.step()
        for single, p in zip(singles, alone, strict=True):
            if p.grad is not None:
                single.iterations = opt.iterations - 1  # Adam's step count is global
                single.step()
    for a, b in zip(together, alone, strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6, atol=1e-7)


def test_a_parameter_whose_data_is_replaced_keeps_being_updated():
    a, b = _param(np.zeros(3), np.float32), _param(np.zeros(2), np.float32)
    opt = optim.SGD([a, b], lr=1.0)
    a.data = np.ones(3, dtype=np.float32)  # the user swaps the array
    a.grad, b.grad = np.ones(3, dtype=np.float32), np.ones(2, dtype=np.float32)
    opt.step()
    np.testing.assert_array_equal(a.data, np.zeros(3))
    np.testing.assert_array_equal(b.data, -np.ones(2))


# --- writes to the parameters between a forward and its backward ------------------------------


def _recorded_loss():
    nn.set_seed(0)
    model = nn.Sequential([nn.Dense(3, input_dim=2), nn.Dense(1)])
    x = np.ones((4, 2), dtype=np.float32)
    return model, nn.losses.mse(np.zeros((4, 1), dtype=np.float32), model(x))


def test_an_optimizer_step_between_forward_and_backward_raises_naming_op_shape_versions():
    model, loss = _recorded_loss()
    opt = optim.Adam(model.parameters(), learning_rate=0.1)
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(BackwardError) as e:
        loss.backward()
    msg = str(e.value)
    assert re.search(r"input 1 \('dense(_\d+)?/kernel'\) of 'linear' \(shape \(3, 1\)", msg)
    assert re.search(r"is at version 1; it was at version 0", msg)


def test_load_state_dict_between_forward_and_backward_raises() -> None:
    model, loss = _recorded_loss()
    state = {k: v * 2 for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    with pytest.raises(BackwardError, match=r"'linear' \(shape \(3, 1\).*version 1; .*version 0"):
        loss.backward()
    # a graph recorded after the load trains as usual
    x = np.ones((4, 2), dtype=np.float32)
    nn.losses.mse(np.zeros((4, 1), dtype=np.float32), model(x)).backward()
    assert model.layers[0].kernel.grad is not None


def test_a_subclassed_model_trains_its_first_batch_with_an_optimizer_bound_late() -> None:
    # the optimizer of a model that builds on its first call binds to the new parameters
    # (moving them into its flat buffer) only after that call's backward
    class Two(nn.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Dense(4, activation="relu"), nn.Dense(1)

        def call(self, x, training=False):
            return self.b(self.a(x))

    nn.set_seed(0)
    model = Two()
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    before = model.train_on_batch(x, np.zeros((8, 1), dtype=np.float32))
    after = model.train_on_batch(x, np.zeros((8, 1), dtype=np.float32))
    assert np.isfinite(before).all() and after < before


def test_an_optimizer_made_between_forward_and_backward_takes_the_gradients() -> None:
    # (making it moves the parameters into one flat buffer, values unchanged: no write)
    model, loss = _recorded_loss()
    kernel = model.layers[1].kernel
    before = kernel.data.copy()
    opt = optim.SGD(model.parameters(), learning_rate=0.1)
    loss.backward()
    opt.step()
    np.testing.assert_allclose(kernel.data, before - 0.1 * kernel.grad, rtol=1e-6)
