"""Module discovery, Dense, activations and initializers."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor
from nn import Dense, LeakyReLU, ReLU, Sequential, Sigmoid, Softmax, Tanh, initializers


class TwoLayer(nn.Module):
    def __init__(self):
        self.fc1 = Dense(3, input_dim=2, activation="relu")
        self.blocks = [Dense(3, input_dim=3), Dense(1, input_dim=3)]
        self.scale = nn.parameter(np.ones(1), name="scale")
        self._cache = Dense(2, input_dim=2)  # private: not a child

    def forward(self, x):
        h = self.fc1(x)
        for b in self.blocks:
            h = b(h)
        return h * self.scale


def test_named_parameters_follow_attributes_and_lists_like_pytorch():
    names = [n for n, _ in TwoLayer().named_parameters()]
    assert names == [
        "scale",
        "fc1.kernel",
        "fc1.bias",
        "blocks.0.kernel",
        "blocks.0.bias",
        "blocks.1.kernel",
        "blocks.1.bias",
    ]


def test_shared_parameter_is_listed_once():
    m = TwoLayer()
    m.tied = m.fc1.kernel  # the same parameter under two names
    m.extra = m.fc1  # the same module under two names
    assert len(m.parameters()) == 7


def test_sequential_names_by_position_and_builds_at_once():
    model = Sequential([Dense(4, input_dim=2, activation="relu"), Dense(1)])
    assert [n for n, _ in model.named_parameters()] == ["0.kernel", "0.bias", "1.kernel", "1.bias"]
    shapes = [p.shape for p in model.parameters()]
    assert shapes == [(2, 4), (4,), (4, 1), (1,)]
    for p in model.parameters():
        assert p.requires_grad and p.is_leaf and p.dtype == np.float32
        assert "/" in p.name  # e.g. "dense_3/kernel", shown in drawn graphs


def test_dense_defers_build_until_first_call():
    layer = Dense(5)
    assert layer.parameters() == [] and not layer.built
    y = layer(np.ones((3, 7)))
    assert layer.built and layer.kernel.shape == (7, 5) and y.shape == (3, 5)
    model = Sequential([Dense(3), Dense(2)])
    assert model.parameters() == []
    model(np.zeros((1, 4)))
    assert [p.shape for p in model.parameters()] == [(4, 3), (3,), (3, 2), (2,)]


def test_dense_forward_matches_numpy():
    layer = Dense(3, input_dim=4, activation="tanh", bias_initializer="random_normal")
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    expected = np.tanh(x @ layer.kernel.data + layer.bias.data)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-6)
    assert Dense(2, input_dim=4, use_bias=False).parameters()[0].name.endswith("/kernel")
    assert len(Dense(2, input_dim=4, use_bias=False).parameters()) == 1


def test_dense_gradients_match_central_differences(float64, numgrad):
    layer = Dense(3, input_dim=4, activation="sigmoid", bias_initializer="random_normal")
    x = np.random.default_rng(1).standard_normal((5, 4))
    weights = np.random.default_rng(2).standard_normal((5, 3))

    def f():
        return (layer(x) * weights).sum()

    out = f()
    out.backward()
    for p in layer.parameters():
        assert p.dtype == np.float64
        np.testing.assert_allclose(p.grad, numgrad(lambda: f().data, p.data), atol=1e-7)


def test_dense_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match=r"Received: units=0"):
        Dense(0)
    with pytest.raises(ValueError, match="input_dim"):
        Dense(3, input_dim=-1)
    with pytest.raises(ValueError, match="Unknown activation 'rellu'"):
        Dense(3, activation="rellu")
    layer = Dense(3, input_dim=4)
    with pytest.raises(ValueError, match=r"last dimension is 4.*\(2, 5\)"):
        layer(np.zeros((2, 5)))


@pytest.mark.parametrize(
    "make, ref",
    [
        (ReLU, lambda x: np.maximum(x, 0)),
        (Sigmoid, lambda x: 1 / (1 + np.exp(-x))),
        (Tanh, np.tanh),
        (Softmax, lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
        (LeakyReLU, lambda x: np.where(x > 0, x, 0.3 * x)),
    ],
)
def test_activation_layers_match_numpy(make, ref):
    x = np.linspace(-3, 3, 12).reshape(3, 4).astype(np.float32)
    np.testing.assert_allclose(make()(x).data, ref(x), rtol=1e-6, atol=1e-7)


def test_activations_by_name_and_linear():
    x = Tensor(np.array([-1.0, 2.0], dtype=np.float32))
    assert nn.activations.get(None)(x) is x
    assert nn.activations.get("linear")(x) is x
    np.testing.assert_allclose(nn.activations.get("relu")(x).data, [0.0, 2.0])
    np.testing.assert_allclose(nn.activations.get("leaky_relu")(x).data, [-0.2, 2.0])
    assert nn.activations.name_of(nn.activations.get("softmax")) == "softmax"


def test_sequential_accepts_activation_layers():
    model = Sequential([Dense(3, input_dim=2), ReLU(), Dense(2), Softmax()])
    out = model(np.ones((4, 2)))
    np.testing.assert_allclose(out.data.sum(axis=1), np.ones(4), rtol=1e-6)
    assert model.count_params() == 2 * 3 + 3 + 3 * 2 + 2


def test_summary_lists_layers_shapes_and_parameter_counts():
    model = Sequential(
        [
            Dense(4, input_dim=2, activation="relu"),
            Dense(6, activation="relu"),
            Dense(1, activation="sigmoid"),
        ],
        name="circles",
    )
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "circles"' in text
    assert "(None, 4)" in text and "(None, 6)" in text and "(None, 1)" in text
    total = (2 * 4 + 4) + (4 * 6 + 6) + (6 + 1)
    assert f"Total params: {total}" in text
    names = [layer.name for layer in model.layers]
    assert all(f"{n} (Dense)" in text for n in names)


def test_repr_shows_configuration():
    model = Sequential([Dense(4, input_dim=2, activation="relu"), Softmax()])
    text = repr(model)
    assert "(0): Dense(units=4, activation='relu', input_dim=2)" in text
    assert "(1): Softmax(axis=-1)" in text


def test_train_eval_zero_grad_and_forward_hooks():
    model = TwoLayer()
    model.eval()
    assert not model.fc1.training and not model.blocks[1].training
    model.train()
    assert model.blocks[0].training
    seen = []
    remove = model.fc1.register_forward_hook(lambda layer, x, y: seen.append(y.shape))
    model(np.ones((2, 2))).sum().backward()
    assert seen == [(2, 3)] and model.fc1.kernel.grad is not None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    remove()
    model(np.ones((2, 2)))
    assert len(seen) == 1


# --- initializers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, std",
    [
        ("glorot_uniform", np.sqrt(2 / (300 + 200))),
        ("glorot_normal", np.sqrt(2 / (300 + 200))),
        ("he_normal", np.sqrt(2 / 300)),
        ("he_uniform", np.sqrt(2 / 300)),
        ("lecun_normal", np.sqrt(1 / 300)),
        ("lecun_uniform", np.sqrt(1 / 300)),
        ("random_normal", 0.05),
        ("random_uniform", 0.1 / np.sqrt(12)),
    ],
)
def test_initializers_have_keras_variance(name, std):
    w = initializers.get(name)((300, 200), np.random.default_rng(0))
    assert w.dtype == np.float32 and w.shape == (300, 200)
    assert abs(w.mean()) < 0.05 * std * 10
    assert w.std() == pytest.approx(std, rel=0.03)


def test_uniform_and_truncated_initializers_stay_in_their_bounds():
    rng = np.random.default_rng(0)
    limit = np.sqrt(6 / (30 + 20))
    assert np.abs(initializers.get("glorot_uniform")((30, 20), rng)).max() <= limit
    std = np.sqrt(2 / 30) / 0.87962566103423978
    assert np.abs(initializers.get("he_normal")((30, 20), rng)).max() <= 2 * std + 1e-6
    assert (initializers.get("zeros")((3,)) == 0).all()
    assert (initializers.get("ones")((3,)) == 1).all()
    with pytest.raises(ValueError, match="Unknown initializer 'glorot'"):
        initializers.get("glorot")


def test_set_seed_makes_initialization_repeatable():
    nn.set_seed(3)
    a = Sequential([Dense(4, input_dim=2), Dense(1)]).state_dict()
    nn.set_seed(3)
    b = Sequential([Dense(4, input_dim=2), Dense(1)]).state_dict()
    c = Sequential([Dense(4, input_dim=2), Dense(1)]).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["0.kernel"], c["0.kernel"])
    with pytest.raises(ValueError, match="non-negative integer"):
        nn.set_seed(-1)


def test_initializer_objects_and_default_dtype(float64):
    layer = Dense(2, input_dim=3, kernel_initializer=initializers.Constant(0.5))
    assert layer.kernel.dtype == np.float64 and (layer.kernel.data == 0.5).all()
    assert ag.get_default_dtype() == np.float64


@pytest.mark.parametrize("act", [None, "relu", "sigmoid", "tanh"])
def test_linear_op_matches_matmul_plus_add_including_second_derivatives(float64, act):
    r = np.random.default_rng(3)
    x0, w0, b0 = r.standard_normal((2, 5, 4)), r.standard_normal((4, 3)), r.standard_normal(3)
    v = r.standard_normal((2, 5, 4))
    results = []
    for fused in (True, False):
        x, w, b = (Tensor(a.copy(), requires_grad=True) for a in (x0, w0, b0))
        if fused:
            out = nn.layers.linear(x, w, b, activation=act)
        else:
            out = nn.activations.get(act)(x @ w + b)
        loss = (out.tanh() ** 2).sum()
        gx, gw, gb = ag.gradients(loss, [x, w, b], create_graph=True)
        (hw,) = ag.gradients((gx * v).sum(), [w])  # a Hessian-vector product through linear
        results.append([gx.data, gw.data, gb.data, hw])
    for got, ref in zip(results[0], results[1], strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("act", [None, "relu", "sigmoid", "tanh"])
def test_linear_op_gradients_match_central_differences(float64, numgrad, act):
    r = np.random.default_rng(4)
    x, w, b = r.standard_normal((3, 4)), r.standard_normal((4, 2)), r.standard_normal(2)
    weights = r.standard_normal((3, 2))
    ts = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    (nn.layers.linear(*ts, activation=act) * weights).sum().backward()
    for t, a in zip(ts, (x, w, b), strict=True):
        expected = numgrad(
            lambda: (nn.layers.linear(x, w, b, activation=act) * weights).sum().data, a
        )
        np.testing.assert_allclose(t.grad, expected, rtol=1e-6, atol=1e-8)
    y = nn.layers.linear(Tensor(x), Tensor(w))  # no bias
    np.testing.assert_allclose(y.data, x @ w)


def test_dense_runs_its_activation_inside_one_node_and_stays_stable():
    layer = Dense(3, input_dim=2, activation="sigmoid")
    out = layer(np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=np.float32))  # no overflow warning
    assert out.grad_fn.name == "linear_sigmoid"
    assert np.all((out.data >= 0) & (out.data <= 1))
    custom = Dense(3, input_dim=2, activation=lambda t: t.relu())  # a callable: not fused
    assert custom(np.ones((1, 2))).grad_fn.name == "relu"
    assert Dense(3, input_dim=2, activation="tanh")(np.ones((1, 2))).grad_fn.name == ("linear_tanh")
    with pytest.raises(ValueError, match="activation must be None, 'relu', 'sigmoid' or 'tanh'"):
        nn.layers.linear(Tensor(np.ones((1, 2))), Tensor(np.ones((2, 1))), activation="elu")
