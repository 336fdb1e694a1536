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


def test_a_step_advances_the_version_of_every_parameter_of_the_flat_buffer() -> None:
    model, _ = _recorded_loss()
    params = list(model.parameters())
    opt = optim.SGD(params, learning_rate=0.1)
    assert opt._flat is not None  # (small parameters: the flat path)
    before = [p.version for p in params]
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    assert [p.version for p in params] == [v + 1 for v in before]


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


# --- Adagrad, Adamax, Nadam: the formulas by hand, and PyTorch where it runs the same rule ----


def test_adagrad_follows_keras():
    lr, a0, eps = 0.1, 0.1, 1e-7
    p = _param([1.0, 2.0, 3.0, 4.0])
    got = _run(optim.Adagrad([p], lr=lr), p)
    w, acc = np.array([1.0, 2.0, 3.0, 4.0]), np.full(4, a0)
    for k, g in enumerate(GRADS):
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
        np.testing.assert_allclose(got[k], w, rtol=1e-12)
    d = optim.get("adagrad", [_param([1.0])])
    assert (d.lr, d.initial_accumulator_value, d.epsilon) == (0.001, 0.1, 1e-7)


def test_adamax_follows_keras():
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-7
    p = _param([1.0, 2.0, 3.0, 4.0])
    got = _run(optim.Adamax([p], lr=lr), p)
    w, m, u = np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4), np.zeros(4)
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1**t) * (u + eps))
        np.testing.assert_allclose(got[t - 1], w, rtol=1e-12)
    d = optim.get("adamax", [_param([1.0])])
    assert (d.lr, d.beta_1, d.beta_2, d.epsilon) == (0.001, 0.9, 0.999, 1e-7)


def test_nadam_follows_keras_3():
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-7
    p = _param([1.0, 2.0, 3.0, 4.0])
    got = _run(optim.Nadam([p], lr=lr), p)

    def mu(t):  # Keras 3's momentum schedule: 0.96 ** t
        return b1 * (1 - 0.5 * 0.96**t)

    w, m, v, prod = np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4), np.zeros(4), 1.0
    for t, g in enumerate(GRADS, start=1):
        prod = prod * mu(t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = mu(t + 1) * m / (1 - prod * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod)
        v_hat = v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(got[t - 1], w, rtol=1e-12)
    d = optim.get("nadam", [_param([1.0])])
    assert (d.lr, d.beta_1, d.beta_2, d.epsilon) == (0.001, 0.9, 0.999, 1e-7)


def _torch_steps(torch_opt, w0):
    torch = pytest.importorskip("torch")
    t = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt = torch_opt(torch, [t])
    out = []
    for g in GRADS:
        t.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(t.detach().numpy().copy())
    return out


@pytest.mark.parametrize(
    "ours, theirs",
    [
        # epsilon 0: Keras adds it inside the square root, PyTorch outside
        (
            lambda ps: optim.Adagrad(ps, lr=0.1, epsilon=0.0),
            lambda torch, ps: torch.optim.Adagrad(ps, lr=0.1, initial_accumulator_value=0.1),
        ),
        # epsilon 0: PyTorch puts it inside the maximum
        (
            lambda ps: optim.Adamax(ps, lr=0.05, epsilon=0.0),
            lambda torch, ps: torch.optim.Adamax(ps, lr=0.05, eps=0.0),
        ),
        # Keras 3's 0.96 ** t is PyTorch's momentum_decay=1
        (
            lambda ps: optim.Nadam(ps, lr=0.05),
            lambda torch, ps: torch.optim.NAdam(ps, lr=0.05, eps=1e-7, momentum_decay=1.0),
        ),
        # epsilon 0: Keras's is the "epsilon hat" of the paper (added before the bias
        # correction of v), PyTorch's the epsilon of its Algorithm 1
        (
            lambda ps: optim.Adam(ps, lr=0.05, epsilon=0.0),
            lambda torch, ps: torch.optim.Adam(ps, lr=0.05, eps=0.0),
        ),
        (
            lambda ps: optim.AdamW(ps, lr=0.05, epsilon=0.0, weight_decay=0.1),
            lambda torch, ps: torch.optim.AdamW(ps, lr=0.05, eps=0.0, weight_decay=0.1),
        ),
    ],
    ids=["adagrad", "adamax", "nadam", "adam", "adamw"],
)
def test_the_same_steps_as_pytorch_where_the_rule_is_the_same(ours, theirs):
    w0 = [1.0, 2.0, 3.0, 4.0]
    expected = _torch_steps(theirs, w0)
    p = _param(w0)
    got = _run(ours([p]), p)
    # PyTorch keeps NAdam's running product of momentum coefficients in float32 (its scalar
    # dtype), which moves the steps by about 1e-9 relative
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)


# --- clipping and weight decay, for every optimizer -------------------------------------------

ALL = {
    "sgd": lambda ps, **kw: optim.SGD(ps, lr=0.1, momentum=0.5, **kw),
    "rmsprop": lambda ps, **kw: optim.RMSprop(ps, lr=0.01, **kw),
    "adam": lambda ps, **kw: optim.Adam(ps, lr=0.01, **kw),
    "adamw": lambda ps, **kw: optim.AdamW(ps, lr=0.01, **kw),
    "adagrad": lambda ps, **kw: optim.Adagrad(ps, lr=0.1, **kw),
    "adamax": lambda ps, **kw: optim.Adamax(ps, lr=0.01, **kw),
    "nadam": lambda ps, **kw: optim.Nadam(ps, lr=0.01, **kw),
}


def _clip_reference(how, limit, grads):
    """The gradients as Keras's _clip_gradients hands them to the update."""
    if how == "clipvalue":
        return [np.clip(g, -limit, limit) for g in grads]
    if how == "clipnorm":
        return [g * limit / max(np.linalg.norm(g), limit) for g in grads]
    total = np.sqrt(sum(np.sum(g * g) for g in grads))
    return [g * limit / max(total, limit) for g in grads]


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize(
    "how, limit", [("clipnorm", 1.5), ("clipvalue", 0.7), ("global_clipnorm", 2.0)]
)
@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per_parameter"])
def test_clipping_hands_the_update_keras_clipped_gradients(name, how, limit, flat):
    r = np.random.default_rng(1)
    shapes = [(3, 2), (4,), (2, 2)]
    init = [r.standard_normal(s) for s in shapes]
    clipped = [Tensor(a.copy(), requires_grad=True) for a in init]
    plain = [Tensor(a.copy(), requires_grad=True) for a in init]
    opt = ALL[name](clipped, **{how: limit})
    ref = ALL[name](plain)
    if not flat:  # a parameter whose data was replaced sends every step down the other path
        clipped[0].data = clipped[0].data.copy()
        plain[0].data = plain[0].data.copy()
    assert (opt._flat is not None) == (ref._flat is not None)
    for _ in range(3):
        grads = [3 * r.standard_normal(s) for s in shapes]
        for p, g in zip(clipped, grads, strict=True):
            p.grad = g
        for p, g in zip(plain, _clip_reference(how, limit, grads), strict=True):
            p.grad = g
        kept = [g.copy() for g in grads]
        opt.step()
        ref.step()
        for g, k in zip(grads, kept, strict=True):
            np.testing.assert_array_equal(g, k)  # the .grad arrays are only read
    for a, b in zip(clipped, plain, strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-14)


def test_clipping_leaves_small_gradients_alone_and_zero_switches_it_off():
    p, q = _param([1.0, 2.0]), _param([1.0, 2.0])
    a, b = optim.SGD([p], lr=0.1, clipnorm=10.0), optim.SGD([q], lr=0.1)
    for opt, t in ((a, p), (b, q)):
        t.grad = np.array([3.0, 4.0])  # norm 5
        opt.step()
    np.testing.assert_array_equal(p.data, q.data)
    off = optim.SGD([_param([0.0])], lr=1.0, clipvalue=0.0)  # Keras: 0 means no clipping
    off.params[0].grad = np.array([5.0])
    off.step()
    assert off.params[0].data[0] == -5.0


def test_clip_arguments_are_validated_as_keras_does():
    ps = [_param([1.0])]
    with pytest.raises(
        ValueError, match="only one of `clipnorm`, `clipvalue` and `global_clipnorm`"
    ):
        optim.Adam(ps, clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="Received: clipnorm=1.0, clipvalue=0.5"):
        optim.SGD(ps, clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(ValueError, match="clipvalue >= 0. Received: clipvalue=-1"):
        optim.RMSprop(ps, clipvalue=-1)
    with pytest.raises(ValueError, match="weight_decay >= 0"):
        optim.Nadam(ps, weight_decay=-0.1)
    with pytest.raises(ValueError, match="beta_1 in \\[0, 1\\)"):
        optim.Adamax(ps, beta_1=1.0)
    with pytest.raises(ValueError, match="initial_accumulator_value >= 0"):
        optim.Adagrad(ps, initial_accumulator_value=-1.0)
    opt = optim.Adam(ps, global_clipnorm=np.float32(2.0), weight_decay=None)
    assert opt.global_clipnorm == 2.0 and opt.weight_decay == 0.0


@pytest.mark.parametrize("name", sorted(ALL))
def test_weight_decay_is_keras_decoupled_form_before_every_update(name):
    wd = 0.05
    r = np.random.default_rng(2)
    init = [r.standard_normal((3, 2)), r.standard_normal(4)]
    decayed = [Tensor(a.copy(), requires_grad=True) for a in init]
    plain = [Tensor(a.copy(), requires_grad=True) for a in init]
    opt = ALL[name](decayed, weight_decay=wd)
    ref = ALL[name](plain, weight_decay=0.0)
    for _ in range(3):
        grads = [r.standard_normal(a.shape) for a in init]
        for p, q, g in zip(decayed, plain, grads, strict=True):
            p.grad, q.grad = g, g
            q.data[...] -= ref.current_lr() * wd * q.data  # p -= lr * wd * p, then the update
        opt.step()
        ref.step()
    for a, b in zip(decayed, plain, strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


# --- CosineDecay ------------------------------------------------------------------------------


def test_cosine_decay_follows_keras_3():
    s = optim.CosineDecay(0.1, decay_steps=100, alpha=0.2)
    for step in (0, 1, 30, 50, 99, 100, 150):
        c = 0.5 * (1 + np.cos(np.pi * min(step, 100) / 100))
        assert s(step) == pytest.approx(0.1 * ((1 - 0.2) * c + 0.2), rel=1e-12)
    assert s(0) == pytest.approx(0.1) and s(100) == pytest.approx(0.02) == s(1000)
    # Keras's docstring example: warm up from 0 to 0.1 over 1000 steps, then decay over 1000
    w = optim.CosineDecay(0.0, 1000, warmup_target=0.1, warmup_steps=1000)
    assert w(0) == 0.0 and w(250) == pytest.approx(0.025) and w(999) == pytest.approx(0.0999)
    assert w(1000) == pytest.approx(0.1) and w(1500) == pytest.approx(0.05)
    assert w(2000) == pytest.approx(0.0, abs=1e-15) and w(5000) == w(2000)
    a = optim.CosineDecay(0.01, 10, alpha=0.1, warmup_target=0.5, warmup_steps=5)
    assert a(5) == pytest.approx(0.5) and a(15) == pytest.approx(0.05)  # alpha * warmup_target
    assert a.name == "CosineDecay"
    with pytest.raises(ValueError, match="decay_steps > 0. Received: decay_steps=0"):
        optim.CosineDecay(0.1, 0)


def test_a_schedule_is_evaluated_at_the_step_count_and_cannot_be_set_to_a_number():
    sched = optim.CosineDecay(1.0, decay_steps=4)
    p = _param([0.0])
    opt = optim.SGD([p], learning_rate=sched)
    rates = []
    for _ in range(5):
        rates.append(opt.current_lr())
        p.grad = np.array([1.0])
        opt.step()
    np.testing.assert_allclose(rates, [sched(i) for i in range(5)])
    assert p.data[0] == pytest.approx(-sum(rates))
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        opt.learning_rate = 0.1
    opt.learning_rate = optim.ExponentialDecay(0.1, 10, 0.5)  # another schedule is fine
    plain = optim.SGD([_param([0.0])], lr=0.1)
    plain.learning_rate = np.float32(0.5)
    assert plain.lr == 0.5 and type(plain.lr) is float


# --- copies, pickles and saved state ----------------------------------------------------------


def _small_model(seed=0):
    nn.set_seed(seed)
    model = nn.Sequential(
        [nn.Dense(8, input_dim=3, activation="relu"), nn.Dense(1, activation="sigmoid")]
    )
    return model


def _xy():
    r = np.random.default_rng(0)
    x = r.standard_normal((64, 3)).astype(np.float32)
    return x, (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)


@pytest.mark.parametrize("name", ["adam", "nadam", "sgd", "rmsprop"])
@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_compiled_model_trains_to_the_same_weights(name, how):
    import copy
    import pickle

    x, y = _xy()
    model = _small_model()
    model.compile(optimizer=name, loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0, seed=0)  # the optimizer has state by now
    assert model.optimizer._flat is not None
    twin = copy.deepcopy(model) if how == "deepcopy" else pickle.loads(pickle.dumps(model))
    assert twin.optimizer._flat is not None
    assert twin.optimizer.params[0] is twin.layers[0].kernel  # bound to the copy's parameters
    for m in (model, twin):
        m.fit(x, y, epochs=2, verbose=0, seed=1)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert a is not b
        np.testing.assert_array_equal(a.data, b.data)
    assert twin.optimizer.iterations == model.optimizer.iterations
    ours, theirs = model.optimizer.state_dict(), twin.optimizer.state_dict()
    assert sorted(ours) == sorted(theirs)
    for key, value in ours.items():
        np.testing.assert_array_equal(value, theirs[key])


def test_a_copied_optimizer_alone_updates_its_own_copies():
    import copy

    a, b = _param([1.0, 2.0], np.float32), _param([3.0], np.float32)
    opt = optim.Adam([a, b], lr=0.1)
    twin = copy.deepcopy(opt)
    ta, tb = twin.params
    for p in (a, b, ta, tb):
        p.grad = np.ones_like(p.data)
    opt.step()
    twin.step()
    np.testing.assert_array_equal(ta.data, a.data)
    np.testing.assert_array_equal(tb.data, b.data)
    assert not np.array_equal(ta.data, [1.0, 2.0])


def test_state_dict_round_trip_restores_moments_step_count_and_rate():
    x, y = _xy()
    model = _small_model()
    model.compile(optimizer=optim.Nadam(learning_rate=0.01), loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0, seed=0)
    saved_w, saved_opt = model.state_dict(), model.optimizer.state_dict()
    assert saved_opt["iterations"] == 2 and "0.momentum" in saved_opt and "u_product" in saved_opt
    model.fit(x, y, epochs=1, verbose=0, seed=1)
    after = [p.data.copy() for p in model.parameters()]
    model.optimizer.learning_rate = 0.5
    model.fit(x, y, epochs=3, verbose=0, seed=5)  # wander off
    model.load_state_dict(saved_w)
    model.optimizer.load_state_dict(saved_opt)
    assert model.optimizer.lr == 0.01 and model.optimizer.iterations == 2
    model.fit(x, y, epochs=1, verbose=0, seed=1)
    for p, a in zip(model.parameters(), after, strict=True):
        np.testing.assert_array_equal(p.data, a)
    with pytest.raises(ValueError, match="does not fit this optimizer"):
        optim.Adam([_param([1.0])]).load_state_dict(saved_opt)


def test_a_number_as_first_argument_is_the_learning_rate_as_in_keras():
    opt = nn.optim.Adam(0.05)
    assert opt.learning_rate == 0.05 and opt.params == []
    schedule = nn.optim.CosineDecay(0.1, decay_steps=10)
    assert nn.optim.SGD(schedule).learning_rate is schedule
    with pytest.raises(TypeError, match="learning rate twice"):
        nn.optim.RMSprop(0.1, learning_rate=0.2)
