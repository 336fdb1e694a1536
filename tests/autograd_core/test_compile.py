"""ag.compile: N compiled steps equal N eager steps; guards retrace; value reads are refused;
returned tensors belong to the caller; threads; the source runs."""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import CompileError, Tensor

RNG = np.random.default_rng(0)
X = RNG.standard_normal((64, 3)).astype(np.float32)
Y = (X[:, :1] + 0.5 * X[:, 1:2] > 0).astype(np.float32)


def _layers(kind: str) -> list:
    if kind == "dense":
        return [nn.Dense(8, input_dim=3, activation="relu"), nn.Dense(1, activation="sigmoid")]
    if kind == "dropout":
        return [
            nn.Dense(8, input_dim=3, activation="relu"),
            nn.Dropout(0.4),
            nn.Dense(1, activation="sigmoid"),
        ]
    return [
        nn.Dense(8, input_dim=3, activation="tanh"),
        nn.BatchNormalization(),
        nn.Dense(4, activation="relu"),
        nn.Dropout(0.3),
        nn.Dense(1, activation="sigmoid"),
    ]


def _setup(kind: str, make_opt: Callable) -> tuple[Any, Any, Callable]:
    nn.set_seed(7)
    model = nn.Sequential(_layers(kind))
    opt = make_opt(model.parameters())

    def train_step(x: np.ndarray, y: np.ndarray) -> Tensor:
        opt.zero_grad()
        loss = nn.losses.binary_crossentropy(y, model(x, training=True))
        loss.backward()
        opt.step()
        return loss

    return model, opt, train_step


def _batches(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for i in range(n):
        lo = (i * 16) % 48
        out.append((X[lo : lo + 16], Y[lo : lo + 16]))
    out.append((X[:5], Y[:5]))  # the last, smaller batch of an epoch: traced again
    return out


def _state(model: Any, opt: Any) -> list[np.ndarray]:
    arrays = [np.array(w.data) for w in model.weights] if hasattr(model, "weights") else []
    arrays += [np.array(p.data) for p in model.parameters()]
    for state in opt.state_arrays():
        arrays += [np.array(a) for a in state if a is not None]
    return arrays


OPTIMIZERS = {
    "sgd": lambda p: nn.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: nn.optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd_nesterov": lambda p: nn.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda p: nn.optim.RMSprop(p, lr=0.01),
    "rmsprop_centered": lambda p: nn.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "adam": lambda p: nn.optim.Adam(p, lr=0.01),
    "adam_amsgrad": lambda p: nn.optim.Adam(p, lr=0.01, amsgrad=True),
    "adamw": lambda p: nn.optim.AdamW(p, lr=0.01, weight_decay=0.01),
    "exponential_decay": lambda p: nn.optim.Adam(
        p, lr=nn.optim.ExponentialDecay(0.02, decay_steps=2, decay_rate=0.5)
    ),
    "piecewise": lambda p: nn.optim.SGD(
        p, lr=nn.optim.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01]), momentum=0.5
    ),
}


@pytest.mark.parametrize("kind", ["dense", "dropout", "batchnorm"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_compiled_steps_equal_eager_steps(name: str, kind: str) -> None:
    eager_model, eager_opt, eager_step = _setup(kind, OPTIMIZERS[name])
    model, opt, train_step = _setup(kind, OPTIMIZERS[name])
    step = ag.compile(train_step)
    for x, y in _batches(6):
        want = float(eager_step(x, y).data)
        got = float(step(x, y).data)
        assert abs(want - got) < 1e-6
    assert step.traces == 2  # one batch size, then the smaller last batch
    assert opt.iterations == eager_opt.iterations == 7
    for a, b in zip(_state(eager_model, eager_opt), _state(model, opt), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    for (_, p), (_, q) in zip(
        eager_model.named_parameters(), model.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(p.grad, q.grad, atol=1e-6)


def test_batchnorm_moving_statistics_advance_on_replay() -> None:
    eager_model, _, eager_step = _setup("batchnorm", OPTIMIZERS["adam"])
    model, _, train_step = _setup("batchnorm", OPTIMIZERS["adam"])
    step = ag.compile(train_step)
    bn, bn_eager = model.layers[1], eager_model.layers[1]
    before = np.array(bn.moving_mean.data)
    for x, y in _batches(4):
        eager_step(x, y)
        step(x, y)
    assert not np.allclose(before, bn.moving_mean.data)
    np.testing.assert_allclose(bn.moving_mean.data, bn_eager.moving_mean.data, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.data, bn_eager.moving_variance.data, atol=1e-6)


def test_dropout_masks_are_drawn_fresh_on_each_call() -> None:
    nn.set_seed(3)
    layer = nn.Dropout(0.5)
    f = ag.compile(lambda x: layer(Tensor(x), training=True))
    x = np.ones((8, 8), np.float32)
    outs = [f(x).data.copy() for _ in range(4)]
    assert f.traces == 1
    for a, b in zip(outs, outs[1:], strict=False):
        assert not np.array_equal(a, b)


def test_training_flag_is_guarded() -> None:
    nn.set_seed(3)
    layer = nn.Dropout(0.5)
    f = ag.compile(lambda x: layer(Tensor(x)))
    x = np.ones((4, 4), np.float32)
    layer.train()
    f(x)
    assert not np.array_equal(f(x).data, x)
    layer.eval()
    np.testing.assert_array_equal(f(x).data, x)  # traced again: the identity now
    assert f.traces == 2


def test_a_new_shape_or_dtype_or_grad_mode_traces_again() -> None:
    w = Tensor(np.arange(3.0), requires_grad=True)
    f = ag.compile(lambda x: (x * w).sum(axis=-1))
    a = np.ones((2, 3))
    np.testing.assert_allclose(f(a).data, [3.0, 3.0])
    np.testing.assert_allclose(f(np.ones((5, 3))).data, [3.0] * 5)
    assert f.traces == 2
    f(a.astype(np.float32))
    assert f.traces == 3
    with ag.no_grad():
        f(a)
    assert f.traces == 4
    f(a)
    assert f.traces == 4


def test_a_call_unlike_the_last_finds_its_own_program() -> None:
    # the last program is checked first, by one generated function: every part of the
    # signature must still be compared there (kind, shape, dtype, requires_grad, .grad)
    w = Tensor(np.arange(3.0), requires_grad=True)
    f = ag.compile(lambda x: (x * w).sum())
    a, b = np.ones(3), np.full((2, 3), 2.0)
    t = Tensor(np.ones(3), requires_grad=True)
    calls = [a, b, a.astype(np.float32), t, Tensor(np.ones(3)), a, b, t, a.astype(np.float32)]
    for x in calls + calls:
        want = (np.asarray(x.data if isinstance(x, Tensor) else x) * w.data).sum()
        np.testing.assert_allclose(f(x).data, want)
    assert f.traces == 5
    t.grad = np.zeros(3)  # `.grad` set is another signature for a tensor argument
    f(t)
    assert f.traces == 6
    with pytest.raises(TypeError):
        f(a, a)  # too many arguments: the function's own error, when traced
    with ag.no_grad():
        f(a)
    assert f.traces == 7


def test_a_batch_of_another_size_is_never_broadcast_through_the_trace() -> None:
    b = Tensor(np.zeros((1, 3)))
    f = ag.compile(lambda x: x + b)
    f(np.ones((4, 3)))
    assert f(np.ones((1, 3))).shape == (1, 3)


def test_returned_tensors_are_not_overwritten_by_later_calls() -> None:
    w = Tensor(np.ones(4), requires_grad=True)

    def fn(x: np.ndarray) -> tuple:
        y = (x * w).sum()
        y.backward()
        return y, Tensor(x) * 2.0, w.grad

    f = ag.compile(fn)
    results = []
    for k in range(4):
        w.grad = None
        y, z, g = f(np.full(4, float(k)))
        results.append((y.data.copy(), z.data.copy(), g.copy(), (y, z, g)))
    for want_y, want_z, want_g, (y, z, g) in results:
        np.testing.assert_array_equal(y.data, want_y)
        np.testing.assert_array_equal(z.data, want_z)
        np.testing.assert_array_equal(g, want_g)
    assert results[3][0] == 12.0


def test_gradients_accumulate_without_zero_grad() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    w2 = Tensor(np.ones(3), requires_grad=True)

    def fn(x: np.ndarray, v: Tensor) -> Tensor:
        y = (x * v * v).sum()
        y.backward()
        return y

    f = ag.compile(fn)
    for k in range(4):
        x = np.full(3, k + 1.0)
        fn(x, w)
        f(x, w2)
        np.testing.assert_allclose(w.grad, w2.grad)
    assert f.traces == 2  # .grad absent on the first call, present after


def test_a_value_dependent_branch_is_refused_naming_the_line() -> None:
    def fn(x: np.ndarray) -> Tensor:
        y = Tensor(x) * 2.0
        if y.sum() > 0:  # a Python decision on a traced value
            return y
        return -y

    f = ag.compile(fn)
    with pytest.raises(CompileError, match=r"test_compile\.py:\d+"):
        f(np.ones(3))


@pytest.mark.parametrize(
    "read",
    [
        lambda t: float(t.sum()),
        lambda t: t.sum().item(),
        lambda t: t.exp().data,
        lambda t: t.exp().numpy(),
        lambda t: np.asarray(t * 2.0),
        lambda t: int(t.max()),
    ],
)
def test_reads_of_traced_values_are_refused(read: Callable) -> None:
    f = ag.compile(lambda x: read(Tensor(x)))
    with pytest.raises(CompileError, match="test_compile"):
        f(np.ones(3))


def test_in_place_updates_and_custom_functions_are_refused() -> None:
    ws = [Tensor(np.ones(3), requires_grad=True)]

    def update(x: np.ndarray) -> None:
        w = ws[0]
        (w * x).sum().backward()
        with ag.no_grad():
            w -= 0.1 * Tensor(w.grad)

    with pytest.raises(CompileError, match="in-place"):
        ag.compile(update)(np.ones(3))

    class Twice(ag.Function):
        @staticmethod
        def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
            return 2 * x

        @staticmethod
        def backward(ctx: Any, g: np.ndarray) -> np.ndarray:
            return 2 * g

    with pytest.raises(CompileError, match="Twice"):
        ag.compile(lambda x: Twice.apply(Tensor(x)))(np.ones(3))


def test_two_threads_replay_the_same_compiled_function() -> None:
    w = Tensor(np.linspace(-1, 1, 5), requires_grad=False)
    f = ag.compile(lambda x: ((x * w).tanh() * 3.0).sum(axis=1))
    errors: list = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(200):
                x = rng.standard_normal((4, 5))
                want = (np.tanh(x * w.data) * 3.0).sum(axis=1)
                np.testing.assert_allclose(f(x).data, want, rtol=1e-12)
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert f.traces <= 4


def test_tracing_in_one_thread_leaves_another_eager() -> None:
    started, release = threading.Event(), threading.Event()
    w = Tensor(np.ones(3), requires_grad=True)
    seen: list = []

    def slow(x: np.ndarray) -> Tensor:
        y = Tensor(x) * w
        started.set()
        release.wait(5)
        return y.sum()

    f = ag.compile(slow)
    t = threading.Thread(target=f, args=(np.ones(3),))
    t.start()
    started.wait(5)
    z = Tensor(np.ones(3)) * w  # eager in this thread, while the other traces
    seen.append(z.grad_fn is not None and float(z.sum().data) == 3.0)
    release.set()
    t.join()
    assert seen == [True]


def test_source_runs_and_gives_the_same_steps() -> None:
    _, eager_opt, _ = _setup("dropout", OPTIMIZERS["adam"])
    model_a, opt_a, step_a = _setup("dropout", OPTIMIZERS["adam"])
    model_b, opt_b, step_b = _setup("dropout", OPTIMIZERS["adam"])
    fa, fb = ag.compile(step_a), ag.compile(step_b)
    x, y = X[:16], Y[:16]
    fa(x, y)
    fb(x, y)
    source = fa.source()
    assert "def train_step(x, y):" in source
    for name in ("dense", "kernel", "adam.step()", "# backward", ".grad ="):
        assert name in source
    space = fa.namespace()
    exec(source, space)  # noqa: S102 (what the test is for)
    by_source = space["train_step"]
    for _ in range(3):
        (la,) = by_source(x, y)
        lb = fb(x, y)
        assert abs(float(la) - float(lb.data)) < 1e-6
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data, atol=1e-6)
    assert opt_a.iterations == opt_b.iterations == 4


def test_parameters_are_read_live_and_guarded() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    f = ag.compile(lambda x: (x * w).sum())
    f(np.ones(3))
    with ag.no_grad():
        w.copy_(np.full(3, 2.0))
    assert float(f(np.ones(3)).data) == 6.0
    w.data = np.ones(4)
    assert float(f(np.ones(4)).data) == 4.0  # another shape: traced again
    assert f.traces == 2
    w.requires_grad = False
    f(np.ones(4))
    assert f.traces == 3  # the set of tensors requiring grad changed


def test_an_array_computed_with_plain_numpy_is_not_returned_frozen() -> None:
    with pytest.raises(CompileError, match="plain numpy"):
        ag.compile(lambda x: x * 2.0)(np.ones(3))


_GEN = np.random.default_rng(3)


@pytest.mark.parametrize(
    "fn",
    [
        # a random draw made with numpy inside the function
        lambda x: (Tensor(x) * _GEN.standard_normal(3)).sum(),
        # numpy arithmetic on an array argument's values
        lambda x: (Tensor(x) * (x > 0.5)).sum(),
        # a tensor made afresh from numpy on each call
        lambda x: (Tensor(x) + Tensor(_GEN.uniform(size=3))).sum(),
        # a numpy number computed from an argument
        lambda x: (Tensor(x) - x.mean()).sum(),
        # a fresh array handed to a recorded call
        lambda x: ag.record_call(np.negative, np.arange(3.0) * x[0]),
    ],
    ids=["random-draw", "numpy-on-argument", "fresh-tensor", "numpy-number", "recorded-call"],
)
def test_values_made_with_plain_numpy_inside_are_refused_not_frozen(fn: Callable) -> None:
    f = ag.compile(fn)
    with pytest.raises(CompileError, match=r"inside the compiled function.*test_compile"):
        f(np.linspace(0.0, 1.0, 3))


def test_reads_of_an_arguments_values_are_refused() -> None:
    def fn(x: Tensor) -> Tensor:
        if x.data.sum() > 0:  # a decision on the values, via numpy
            return x * 2.0
        return x * 3.0

    with pytest.raises(CompileError, match=r"values \(.data.*test_compile\.py:\d+"):
        ag.compile(fn)(Tensor(np.ones(3)))
    w = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(CompileError, match="np.asarray"):
        ag.compile(lambda x: Tensor(x) * float(np.asarray(w).sum()))(np.ones(3))


def test_arrays_and_tensors_made_outside_are_read_on_each_call() -> None:
    scale = np.array([1.0, 2.0, 3.0])
    offset = Tensor(np.zeros(3))
    f = ag.compile(lambda x: Tensor(x) * scale + offset + 1.0)
    np.testing.assert_allclose(f(np.ones(3)).data, [2.0, 3.0, 4.0])
    scale *= 10.0  # in place: the program reads the same array
    offset.data[...] = 0.5
    np.testing.assert_allclose(f(np.ones(3)).data, [11.5, 21.5, 31.5])
    assert f.traces == 1


def test_a_model_built_on_the_first_compiled_call_keeps_its_weights() -> None:
    nn.set_seed(1)
    model = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(1)])  # built on call
    eager = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(1)])
    f = ag.compile(lambda x: model(x))
    got = f(X[:8])
    eager(X[:8])
    for p, q in zip(eager.parameters(), model.parameters(), strict=True):
        p.data[...] = q.data
    for lo in (8, 16, 24):
        np.testing.assert_allclose(f(X[lo : lo + 8]).data, eager(X[lo : lo + 8]).data)
    assert f.traces == 1 and got.shape == (8, 1)


def test_index_arrays_from_the_arguments_are_read_on_each_call() -> None:
    w = Tensor(np.arange(10.0), requires_grad=True)

    def pick(i: np.ndarray, j: Tensor) -> Tensor:
        out = (w[i] * 2.0).sum() + ag.take_along_axis(w.reshape(2, 5), j, axis=1).sum()
        out.backward()
        return out

    f = ag.compile(pick)
    for i, j in [([1, 2], [[0], [4]]), ([3, 3], [[1], [2]]), ([9, 0], [[3], [3]])]:
        ia, ja = np.array(i), Tensor(np.array(j))
        w.grad = None
        got, got_grad = f(ia, ja).data, w.grad.copy()
        w.grad = None
        want = pick(ia, ja)
        np.testing.assert_array_equal(got, want.data)
        np.testing.assert_array_equal(got_grad, w.grad)
    assert f.traces == 1


@pytest.mark.parametrize(
    "loss, labels",
    [
        ("hinge", ([[0.0], [1.0], [1.0], [0.0]], [[-1.0], [1.0], [-1.0], [1.0]])),
        ("huber", ([[3.0], [0.1], [-2.0], [0.0]], [[0.2], [5.0], [0.4], [-4.0]])),
        ("sparse_categorical_crossentropy", ([0.0, 2.0, 1.0, 1.0], [2.0, 2.0, 0.0, 1.0])),
    ],
)
def test_losses_that_look_at_the_labels_decide_per_call(loss: str, labels: tuple) -> None:
    # hinge maps 0/1 labels to -1/1 only when every label is 0 or 1; huber picks its branch
    # per element; sparse labels given as floats are checked and converted
    rng = np.random.default_rng(0)
    width = 3 if loss.startswith("sparse") else 1
    p = Tensor(rng.uniform(0.1, 0.9, (4, width)), requires_grad=True)
    fn = getattr(nn.losses, loss)

    def step(y: np.ndarray) -> Tensor:
        p.grad = None
        out = fn(y, p.softmax(axis=-1) if width > 1 else p)
        out.backward()
        return out

    f = ag.compile(step)
    for y in [*labels, *labels]:
        got, got_grad = f(np.array(y)).data, p.grad.copy()
        want = step(np.array(y))
        np.testing.assert_allclose(got, want.data, rtol=1e-12)
        np.testing.assert_allclose(got_grad, p.grad, rtol=1e-12)


def test_the_targets_of_every_replayed_batch_are_checked() -> None:
    p = Tensor(np.full((3, 1), 0.5), requires_grad=True)
    f = ag.compile(lambda y: nn.losses.binary_crossentropy(y, p))
    f(np.array([[0.0], [1.0], [1.0]]))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        f(np.array([[0.0], [2.0], [1.0]]))
    z = Tensor(np.zeros((3, 4)), requires_grad=True)
    g = ag.compile(lambda y: ag.softmax_cross_entropy(z, y))
    g(np.array([0, 3, 1]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        g(np.array([0, -1, 1]))  # (numpy would read label -1 as the last class)


def test_an_embedding_model_trains_the_same_compiled() -> None:
    def make() -> tuple:
        nn.set_seed(4)
        model = nn.Sequential(
            [nn.Embedding(12, 3, input_length=2), nn.Flatten(), nn.Dense(1, activation="sigmoid")]
        )
        opt = nn.optim.Adam(model.parameters(), lr=0.05)

        def step(x: np.ndarray, y: np.ndarray) -> Tensor:
            opt.zero_grad()
            loss = nn.losses.binary_crossentropy(y, model(x))
            loss.backward()
            opt.step()
            return loss

        return model, step

    (m1, eager), (m2, compiled) = make(), make()
    compiled = ag.compile(compiled)
    ids = np.random.default_rng(1).integers(0, 12, (5, 4, 2))
    ys = (ids.sum(axis=-1, keepdims=True) > 11).astype(np.float32)
    for x, y in zip(ids, ys, strict=True):
        np.testing.assert_allclose(compiled(x, y).data, eager(x, y).data, rtol=1e-6)
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6)
    with pytest.raises(ValueError, match="indices must lie"):
        compiled(np.full((4, 2), 12), ys[0])


def test_a_layer_given_a_new_weight_tensor_traces_again_and_hooks_are_refused() -> None:
    nn.set_seed(2)
    model = nn.Sequential([nn.Dense(3, input_dim=2), nn.Dense(1)])
    f = ag.compile(lambda x: model(x))
    f(X[:4, :2])
    model.layers[0].kernel = Tensor(np.full((2, 3), 0.5, np.float32), requires_grad=True)
    np.testing.assert_allclose(f(X[:4, :2]).data, model(X[:4, :2]).data)
    assert f.traces == 2
    model.layers[1].register_forward_hook(lambda layer, x, y: None)
    with pytest.raises(CompileError, match="forward hooks"):
        ag.compile(lambda x: model(x))(X[:4, :2])


_OFFSET = np.array([0.5, 0.5])


def test_a_variable_rebound_to_a_new_array_or_tensor_traces_again() -> None:
    scale = np.array([1.0, 2.0])
    shift = Tensor(np.zeros(2))

    def f(x: np.ndarray) -> Tensor:
        return Tensor(x) * scale + shift

    g = ag.compile(f)
    np.testing.assert_allclose(g(np.ones(2)).data, [1.0, 2.0])
    scale = np.array([5.0, 6.0])  # noqa: F841 (read by f through its closure)
    np.testing.assert_allclose(g(np.ones(2)).data, [5.0, 6.0])
    shift = Tensor(np.ones(2))  # noqa: F841
    np.testing.assert_allclose(g(np.ones(2)).data, [6.0, 7.0])
    assert g.traces == 3
    assert "the variable scale is the same object" in g.source()
    global _OFFSET
    h = ag.compile(lambda x: Tensor(x) + _OFFSET)
    np.testing.assert_allclose(h(np.ones(2)).data, [1.5, 1.5])
    _OFFSET = np.array([2.0, 3.0])
    np.testing.assert_allclose(h(np.ones(2)).data, [3.0, 4.0])


def test_a_tensor_with_a_graph_from_outside_is_refused() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    h = w * 2.0
    with pytest.raises(CompileError, match="outside"):
        ag.compile(lambda x: (x * h).sum())(np.ones(3))


def test_nested_compiled_functions_and_decorator_form() -> None:
    inner = ag.compile(lambda x: x * 2.0)

    @ag.compile
    def outer(x: np.ndarray) -> Tensor:
        return inner(Tensor(x)) + 1.0

    for k in range(3):
        np.testing.assert_allclose(outer(np.full(2, float(k))).data, 2.0 * k + 1.0)
    assert "def outer(x):" in outer.source()
    # a function already compiled (and replaying) becomes part of another's trace
    twice = ag.compile(lambda t: t * 3.0)
    for _ in range(2):
        twice(Tensor(np.ones(2)))
    outer2 = ag.compile(lambda x: twice(Tensor(x)) - 1.0)
    for k in range(3):
        np.testing.assert_allclose(outer2(np.full(2, float(k))).data, 3.0 * k - 1.0)
    assert "x * np.float64(3.0)" in outer2.source()


def test_a_long_chain_replays_and_frees_its_arrays_as_it_goes() -> None:
    a = Tensor(np.full(5, 1.0001))
    ones = np.ones(5)  # (made outside: an array made inside would be refused)

    def chain(x0: Tensor) -> Tensor:
        x = x0
        for _ in range(300):
            x = x * a + 1e-3
        x.backward(ones)
        return x.sum()

    f = ag.compile(chain)
    for k in range(3):
        x_eager, x_compiled = (Tensor(np.full(5, float(k)), requires_grad=True) for _ in "ab")
        want = chain(x_eager)
        got = f(x_compiled)
        np.testing.assert_allclose(got.data, want.data, rtol=1e-12)
        np.testing.assert_allclose(x_compiled.grad, x_eager.grad, rtol=1e-12)
    assert "del " in f.source()


def test_gradients_stored_are_arrays_of_their_own() -> None:
    # the backward of (a * b + a).sum() multiplies by ones: the program skips the product,
    # and copies where the array would otherwise be an input's
    def tiny(x: Tensor, y: Tensor) -> Tensor:
        out = (x * y + x).sum()
        out.backward()
        return out

    f = ag.compile(tiny)
    for k in range(3):
        a = Tensor(np.full((2, 2), k + 1.0), requires_grad=True)
        b = Tensor(np.full((2, 2), k + 2.0), requires_grad=True)
        f(a, b)
        np.testing.assert_array_equal(b.grad, a.data)
        np.testing.assert_array_equal(a.grad, b.data + 1.0)
        assert not np.shares_memory(b.grad, a.data)
        assert not np.shares_memory(a.grad, b.data)
