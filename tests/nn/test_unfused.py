"""``nn.unfused()``: a Dense layer records matmul, add and its activation one by one, with the
fused path's gradients (first and second order); the switch is per thread, the default fused."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor, draw_graph
from nn import Dense

ACTIVATIONS = [None, "linear", "relu", "sigmoid", "tanh", "softmax"]


def _ops(out: Tensor) -> list[str]:
    """The op names of out's graph, from the input side to the output."""
    root = out.grad_fn
    names = []
    stack = [root]
    while stack:
        node = stack.pop()
        names.append(node.name)
        stack.extend(p for p in node.parents if p is not None)
    return names[::-1]


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_unfused_dense_records_matmul_add_and_activation(act, use_bias):
    layer = Dense(3, input_dim=4, activation=act, use_bias=use_bias)
    x = Tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    fused = _ops(layer(x))
    with nn.unfused():
        unfused = _ops(layer(x))
    expected = ["matmul"] + (["add"] if use_bias else [])
    if act not in (None, "linear"):
        expected.append(act)
    assert unfused == expected
    if act in ("relu", "sigmoid", "tanh"):
        assert fused == [f"linear_{act}"]  # the default stays one node
    assert _ops(layer(x)) == fused  # leaving the block restores the fused path


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_unfused_gradients_equal_the_fused_ones_to_second_order(float64, act, use_bias):
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((6, 4))
    v = rng.standard_normal((6, 4))
    layer = Dense(3, input_dim=4, activation=act, use_bias=use_bias)
    if use_bias:
        layer.bias.data[...] = rng.standard_normal(3)  # zeros would hide a wrong bias rule
    params = [p for p in (layer.kernel, layer.bias) if p is not None]
    results = []
    for fused in (True, False):
        x = Tensor(x0.copy(), requires_grad=True)
        if fused:
            out = layer(x)
        else:
            with nn.unfused():
                out = layer(x)
        loss = (out.tanh() ** 2).sum() + (out * out).mean()
        first = ag.gradients(loss, [x, *params], create_graph=True)
        # second derivatives: a Hessian-vector product through the layer, for every input
        second = ag.gradients((first[0] * v).sum(), [x, *params], allow_unused=True)
        results.append([g.data for g in first] + [np.zeros(1) if g is None else g for g in second])
    for got, ref in zip(results[1], results[0], strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_a_whole_model_trains_the_same_inside_and_outside(float64):
    def run(unfused: bool) -> list[np.ndarray]:
        nn.set_seed(3)
        model = nn.Sequential(
            [Dense(4, input_dim=2, activation="relu"), Dense(1, activation="sigmoid")]
        )
        model.compile(loss="binary_crossentropy", optimizer="adam")
        X, y = nn.datasets.make_moons(64, noise=0.1, seed=0)
        if unfused:
            with nn.unfused():
                model.fit(X, y, epochs=2, batch_size=16, verbose=0, seed=0)
        else:
            model.fit(X, y, epochs=2, batch_size=16, verbose=0, seed=0)
        return model.get_weights()

    for got, ref in zip(run(True), run(False), strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def test_the_switch_is_per_thread_nests_and_decorates():
    layer = Dense(2, input_dim=2, activation="relu")
    x = Tensor(np.ones((1, 2), dtype=np.float32))
    seen = {}

    def other_thread():
        seen["other"] = nn.fusion.is_fused()

    assert nn.fusion.is_fused()
    with nn.unfused():
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        with nn.unfused():
            assert not nn.fusion.is_fused()
        assert not nn.fusion.is_fused()  # the inner block leaves the outer one as it was
    assert nn.fusion.is_fused() and seen["other"] is True

    @nn.unfused()
    def forward(t: Tensor) -> Tensor:
        return layer(t)

    assert _ops(forward(x)) == ["matmul", "add", "relu"]
    assert _ops(layer(x)) == ["linear_relu"]


def test_unfused_graph_and_walkthrough_show_the_chain_rule_of_each_layer():
    nn.set_seed(0)
    model = nn.Sequential(
        [Dense(3, input_dim=2, activation="relu"), Dense(1, activation="sigmoid")]
    )
    X = Tensor(np.array([[0.5, -1.0], [1.5, 0.2]], dtype=np.float32), name="X")
    y = Tensor(np.array([[1.0], [0.0]], dtype=np.float32), name="y")
    with nn.unfused():
        loss = nn.losses.binary_crossentropy(y, model(X))
    ops = [s.op for s in ag.backward_steps(loss)]
    first, last = model.layers[0].name, model.layers[1].name
    assert ops[1:4] == [f"{last}/sigmoid", f"{last}/add", f"{last}/matmul"]
    assert ops[4:] == [f"{first}/relu", f"{first}/add", f"{first}/matmul"]
    src = draw_graph(loss).source
    for name in ("matmul", "add", "relu", "sigmoid"):
        assert f"<B>{name}</B>" in src
    assert "linear_relu" not in src


def test_a_named_target_keeps_its_name_in_the_graph():
    p = Tensor(np.array([[0.2], [0.9]], dtype=np.float32), requires_grad=True)
    y = Tensor(np.array([[0.0], [1.0]], dtype=np.float32), name="y")
    src = draw_graph(nn.losses.binary_crossentropy(y, p)).source
    assert "<B>y</B>" in src
    loose = nn.losses.mse(np.array([0.0, 1.0]), p)  # a plain array is still reshaped as before
    np.testing.assert_allclose(loose.item(), ((p.data.ravel() - [0, 1]) ** 2).mean(), rtol=1e-6)
