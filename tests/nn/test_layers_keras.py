"""The Keras layers beyond Dense: Flatten, Reshape, Dropout, BatchNormalization,
LayerNormalization, Embedding, Add, Concatenate, Input, Activation by every name.

Each against NumPy (and PyTorch where it has the same layer), with gradients against
central differences in float64 (second derivatives too), training against inference,
refused arguments, deferred build, repr, and the get_config round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor, gradcheck, gradgradcheck
from nn import (
    Activation,
    Add,
    BatchNormalization,
    Concatenate,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    LayerNormalization,
    Reshape,
    Sequential,
)

RNG = np.random.default_rng(0)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _uses(layer, **tensors):
    """Put the given Tensors in place of the layer's parameters (gradcheck passes copies)."""
    for key, t in tensors.items():
        setattr(layer, key, t)


def _round_trip(layer):
    config = layer.get_config()
    json.dumps(config)  # JSON-able
    again = type(layer)(**config)
    assert again.get_config() == config
    return again


# --- every layer: get_config rebuilds it, input_shape builds it at once ---------------------

LAYERS = [
    lambda: Flatten(),
    lambda: Reshape((2, -1)),
    lambda: Dropout(0.3, noise_shape=(None, 1), seed=3),
    lambda: BatchNormalization(momentum=0.9, epsilon=1e-4, center=False),
    lambda: LayerNormalization(axis=(-2, -1), epsilon=1e-5, scale=False),
    lambda: Embedding(10, 3, embeddings_regularizer="l2"),
    lambda: Add(),
    lambda: Concatenate(axis=1),
    lambda: Activation("elu"),
    lambda: nn.Softmax(axis=0),
    lambda: nn.LeakyReLU(0.1),
    lambda: Dense(
        3,
        activation="tanh",
        kernel_initializer=nn.initializers.RandomNormal(stddev=0.2),
        kernel_regularizer=nn.regularizers.L1L2(l1=0.1, l2=0.2),
        bias_regularizer="l1",
        name="my_dense",
        trainable=False,
    ),
]


@pytest.mark.parametrize("make", LAYERS)
def test_get_config_is_json_and_rebuilds_an_equal_layer(make):
    layer = make()
    again = _round_trip(layer)
    assert type(again) is type(layer) and again.name == layer.name


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda s: Flatten(input_shape=s), (3, 4)),
        (lambda s: Reshape((12,), input_shape=s), (3, 4)),
        (lambda s: Dropout(0.5, input_shape=s), (3, 4)),
        (lambda s: BatchNormalization(input_shape=s), (3, 4)),
        (lambda s: LayerNormalization(input_shape=s), (3, 4)),
        (lambda s: Dense(5, input_shape=s), (3, 4)),
        (lambda s: Activation("relu", input_shape=s), (3, 4)),
    ],
)
def test_input_shape_builds_at_once_and_round_trips(make, shape):
    layer = make(shape)
    assert layer.built
    assert layer.get_config()["input_shape"] == shape
    assert _round_trip(layer).built
    model = Sequential([layer, Dense(2)])  # the stack builds from the first layer's shape
    assert model.built and model.layers[1].kernel is not None


def test_input_shape_is_checked_by_name():
    with pytest.raises(ValueError, match=r"`input_shape`.*Received: input_shape=\(0,\)"):
        Flatten(input_shape=(0,))
    with pytest.raises(ValueError, match=r"Received: input_shape='784'"):
        Dense(3, input_shape="784")
    with pytest.raises(ValueError, match="disagree"):
        Dense(3, input_dim=4, input_shape=(5,))
    assert Dense(3, input_shape=784).kernel.shape == (784, 3)  # an int is one axis


# --- Flatten, Reshape -----------------------------------------------------------------------


def test_flatten_joins_every_axis_but_the_batch():
    x = _x(2, 3, 4)
    np.testing.assert_array_equal(Flatten()(x).data, x.reshape(2, 12))
    assert Flatten()(_x(5)).shape == (5, 1)  # a batch of scalars, as Keras
    assert Flatten().compute_output_shape((None, 3, None)) == (None, None)
    assert Flatten()(np.zeros((0, 3, 4))).shape == (0, 12)


def test_reshape_works_out_minus_one_and_refuses_a_wrong_size():
    x = _x(2, 3, 4)
    np.testing.assert_array_equal(Reshape((4, -1))(x).data, x.reshape(2, 4, 3))
    assert Reshape((6, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    assert Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)
    with pytest.raises(ValueError, match=r"cannot reshape samples of shape \(3, 4\)"):
        Reshape((5, -1))(x)
    with pytest.raises(ValueError, match="cannot reshape"):
        Reshape((5,), input_shape=(3, 4))
    for bad in ((2, -1, -1), (0, 3), 5, (2.0, 3)):
        with pytest.raises(
            ValueError,
            match=rf"Received: target_shape={bad!r}".replace("(", r"\(").replace(")", r"\)"),
        ):
            Reshape(bad)


def test_flatten_and_reshape_gradients(float64):
    x = Tensor(_x(2, 3, 4).astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: Flatten()(t) ** 2, [x])
    assert gradgradcheck(lambda t: Reshape((4, 3))(t) ** 3, [x])


# --- Dropout --------------------------------------------------------------------------------


def test_dropout_refuses_rates_outside_zero_one_and_bad_seeds():
    for rate in (-0.1, 1.5, "0.5", None):
        with pytest.raises(ValueError, match=rf"Received: rate={rate!r}"):
            Dropout(rate)
    with pytest.raises(ValueError, match=r"Received: seed=-1"):
        Dropout(0.5, seed=-1)
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(0, 1))


def test_dropout_scales_kept_units_in_training_and_is_the_identity_in_inference():
    x = np.ones((200, 50), np.float32)
    layer = Dropout(0.25, seed=0)
    assert layer(x).data is not None and np.array_equal(layer(x).data, x)  # called directly
    assert np.array_equal(layer(x, training=False).data, x)
    y = layer(x, training=True).data
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.02)
    assert y.mean() == pytest.approx(1.0, abs=0.03)  # inverted dropout keeps the mean
    assert not np.array_equal(layer(x, training=True).data, y)  # a fresh mask each call
    assert np.array_equal(Dropout(0.0)(x, training=True).data, x)
    assert not Dropout(1.0)(x, training=True).data.any()


def test_dropout_seed_and_set_seed_make_masks_repeatable():
    x = np.ones((4, 8), np.float32)
    a = Dropout(0.5, seed=7)(x, training=True).data
    b = Dropout(0.5, seed=7)(x, training=True).data
    assert np.array_equal(a, b)
    nn.set_seed(1)
    c = Dropout(0.5)(x, training=True).data
    w = nn.initializers.get("glorot_uniform")((3, 3))
    nn.set_seed(1)
    d = Dropout(0.5)(x, training=True).data
    assert np.array_equal(c, d)
    # no Dropout this time, and the same initial weights: the masks come from elsewhere
    nn.set_seed(1)
    np.testing.assert_array_equal(nn.initializers.get("glorot_uniform")((3, 3)), w)


def test_dropout_noise_shape_drops_whole_rows():
    y = Dropout(0.5, noise_shape=(None, 1), seed=0)(np.ones((64, 5)), training=True).data
    assert all(len(set(row)) == 1 for row in y)  # each row kept or dropped whole
    with pytest.raises(ValueError, match="does not fit"):
        Dropout(0.5, noise_shape=(None, 1, 1))(np.ones((2, 3)), training=True)


def test_dropout_gradient_is_the_mask_and_matches_pytorch_scaling(float64):
    torch = pytest.importorskip("torch")
    layer = Dropout(0.4, seed=2)
    x = Tensor(RNG.standard_normal((6, 7)), requires_grad=True)
    mask = layer._mask((6, 7), np.float64)  # the same draw the next call makes
    layer._generator = np.random.default_rng(2)
    y = layer(x, training=True)
    np.testing.assert_allclose(y.data, x.data * mask)
    (y * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad, 2.0 * mask)

    def f(t):  # the same mask on every call, so that finite differences mean something
        layer._generator = np.random.default_rng(2)
        return layer(t, training=True) ** 2

    assert gradcheck(f, [x]) and gradgradcheck(f, [x])
    # PyTorch: kept units are scaled by 1 / (1 - p), dropped ones are 0
    t = torch.nn.Dropout(p=0.4).train()(torch.ones(1000, dtype=torch.float64)).numpy()
    assert set(np.unique(t)) == {0.0, 1 / 0.6} and set(np.unique(mask)) == {0.0, 1 / 0.6}


# --- BatchNormalization ---------------------------------------------------------------------


def test_batch_normalization_refuses_bad_arguments():
    for kw, key in (({"momentum": 1.5}, "momentum"), ({"epsilon": 0.0}, "epsilon")):
        with pytest.raises(ValueError, match=rf"`{key}`.*Received: {key}="):
            BatchNormalization(**kw)
    with pytest.raises(ValueError, match=r"Received: axis='x'"):
        BatchNormalization(axis="x")
    with pytest.raises(ValueError, match="batch axis"):
        BatchNormalization(axis=0)(_x(4, 3))
    with pytest.raises(ValueError, match="axis=3"):
        BatchNormalization(axis=3)(_x(4, 3))
    layer = BatchNormalization()
    layer(_x(4, 3))
    with pytest.raises(ValueError, match=r"3 features.*\(4, 5\)"):
        layer(_x(4, 5))


def test_batch_normalization_training_uses_batch_stats_and_moves_the_averages():
    x = _x(32, 5) * 3 + 1
    layer = BatchNormalization(momentum=0.9)
    assert not layer.built and layer.parameters() == []  # deferred until the first call
    y = layer(x, training=True).data
    mean, var = x.mean(0), x.var(0)  # biased variance
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    # Keras: moving = moving * momentum + batch * (1 - momentum), biased batch variance
    np.testing.assert_allclose(layer.moving_mean.data, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.data, 0.9 + 0.1 * var, rtol=1e-5)
    before = layer.moving_mean.data.copy()
    z = layer(x).data  # inference: the moving statistics, no update
    np.testing.assert_array_equal(layer.moving_mean.data, before)
    expected = (x - layer.moving_mean.data) / np.sqrt(layer.moving_variance.data + 1e-3)
    np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_matches_pytorch_batchnorm1d(training):
    torch = pytest.importorskip("torch")
    x = _x(16, 4, seed=3) * 2 + 0.5
    ours = BatchNormalization(momentum=0.8, epsilon=1e-3, gamma_initializer="random_normal")
    ours.build((None, 4))
    ours.moving_variance.data[...] = [0.5, 1.0, 2.0, 3.0]
    ours.moving_mean.data[...] = [0.1, -0.2, 0.3, 0.0]
    ref = torch.nn.BatchNorm1d(4, eps=1e-3, momentum=1 - 0.8)  # PyTorch's momentum is 1 - ours
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(ours.gamma.data))
        ref.running_var.copy_(torch.from_numpy(ours.moving_variance.data))
        ref.running_mean.copy_(torch.from_numpy(ours.moving_mean.data))
    ref.train(training)
    rv0 = ours.moving_variance.data.copy()
    got = ours(x, training=training).data
    want = ref(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.moving_mean.data, ref.running_mean.numpy(), rtol=1e-5)
    if training:
        # PyTorch's running variance takes the unbiased batch variance, Keras's the biased
        n, batch_var = len(x), x.var(0)
        np.testing.assert_allclose(
            ref.running_var.numpy(), 0.8 * rv0 + 0.2 * batch_var * n / (n - 1), rtol=1e-5
        )
        np.testing.assert_allclose(
            ours.moving_variance.data, 0.8 * rv0 + 0.2 * batch_var, rtol=1e-5
        )
    else:
        np.testing.assert_allclose(ours.moving_variance.data, ref.running_var.numpy())


@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_gradients_match_central_differences(float64, training):
    layer = BatchNormalization(
        axis=1, gamma_initializer="random_normal", beta_initializer="random_normal"
    )
    x0 = RNG.standard_normal((5, 3, 2))
    layer.build(x0.shape)
    layer.moving_variance.data[...] = [0.5, 1.5, 2.0]
    ins = [Tensor(x0, requires_grad=True), layer.gamma, layer.beta]

    def f(x, gamma, beta):
        _uses(layer, gamma=gamma, beta=beta)
        return layer(x, training=training)

    assert gradcheck(f, ins)
    assert gradgradcheck(f, ins)


def test_batch_normalization_weights_count_and_save_with_the_moving_statistics(tmp_path):
    model = Sequential([Dense(4, input_dim=3), BatchNormalization()])
    assert [n for n, _ in model.named_parameters()] == ["0.kernel", "0.bias", "1.gamma", "1.beta"]
    assert [n for n, _ in model.named_buffers()] == ["1.moving_mean", "1.moving_variance"]
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 32" in text  # 16 + 4 * 4, moving statistics included (Keras)
    assert "Trainable params: 24" in text and "Non-trainable params: 8" in text
    model(_x(8, 3), training=True)
    path = str(tmp_path / "bn.safetensors")
    model.save(path)
    other = Sequential([Dense(4, input_dim=3), BatchNormalization()])
    other(_x(8, 3))
    other.load(path)
    np.testing.assert_array_equal(
        other.layers[1].moving_mean.data, model.layers[1].moving_mean.data
    )
    assert len(model.get_weights()) == 6


def test_frozen_batch_normalization_runs_in_inference_mode_as_keras():
    layer = BatchNormalization(input_shape=(3,))
    layer.trainable = False
    x = _x(8, 3) + 5
    np.testing.assert_allclose(layer(x, training=True).data, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    assert not layer.moving_mean.data.any()


# --- LayerNormalization ---------------------------------------------------------------------


def test_layer_normalization_matches_numpy_and_pytorch():
    x = _x(4, 6, seed=5) * 3 + 2
    layer = LayerNormalization(gamma_initializer="random_normal", beta_initializer="random_normal")
    y = layer(x).data
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * layer.gamma.data + layer.beta.data
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layer(x, training=True).data, y)  # no training behaviour
    torch = pytest.importorskip("torch")
    ref = torch.nn.LayerNorm(6, eps=1e-3)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.gamma.data))
        ref.bias.copy_(torch.from_numpy(layer.beta.data))
    np.testing.assert_allclose(y, ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_layer_normalization_over_several_axes_and_refusals():
    x = _x(3, 4, 5)
    y = LayerNormalization(axis=(1, 2), center=False, scale=False)(x).data
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-5)
    layer = LayerNormalization(axis=[1, -1])
    layer(x)
    assert layer.gamma.shape == (4, 5)
    with pytest.raises(ValueError, match=r"Received: axis='last'"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match=r"Received: epsilon=-1"):
        LayerNormalization(epsilon=-1)
    with pytest.raises(ValueError, match="batch axis"):
        LayerNormalization(axis=0)(x)
    with pytest.raises(ValueError, match=r"\(3, 4, 6\)"):
        layer(_x(3, 4, 6))


def test_layer_normalization_gradients_match_central_differences(float64):
    layer = LayerNormalization(gamma_initializer="random_normal", beta_initializer="random_normal")
    x = Tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    layer(x)

    def f(x, gamma, beta):
        _uses(layer, gamma=gamma, beta=beta)
        return layer(x)

    assert gradcheck(f, [x, layer.gamma, layer.beta])
    assert gradgradcheck(f, [x, layer.gamma, layer.beta])


# --- Embedding ------------------------------------------------------------------------------


def test_embedding_picks_rows_and_matches_pytorch():
    layer = Embedding(10, 4)
    assert layer.built and layer.embeddings.shape == (10, 4)  # exists before any call
    assert np.abs(layer.embeddings.data).max() <= 0.05  # Keras's "uniform"
    idx = np.array([[1, 2, 2], [9, 0, 1]])
    y = layer(idx)
    assert y.shape == (2, 3, 4)
    np.testing.assert_array_equal(y.data, layer.embeddings.data[idx])
    np.testing.assert_array_equal(layer(idx.astype(np.float32)).data, y.data)  # whole floats
    assert layer.compute_output_shape((None, 3)) == (None, 3, 4)
    torch = pytest.importorskip("torch")
    ref = torch.nn.Embedding(10, 4)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.embeddings.data))
    np.testing.assert_array_equal(y.data, ref(torch.from_numpy(idx)).detach().numpy())


def test_embedding_gradient_adds_up_over_repeated_indices(float64):
    layer = Embedding(5, 3)
    idx = np.array([[0, 2, 2], [2, 4, 0]])
    weights = RNG.standard_normal((2, 3, 3))
    (layer(idx) * weights).sum().backward()
    expected = np.zeros((5, 3))
    np.add.at(expected, idx, weights)
    np.testing.assert_allclose(layer.embeddings.grad, expected)

    def f(table):
        _uses(layer, embeddings=table)
        return layer(idx) ** 2

    assert gradcheck(f, [layer.embeddings])
    assert gradgradcheck(f, [layer.embeddings])


def test_embedding_refuses_bad_sizes_and_bad_indices():
    for kw, key in (
        ({"input_dim": 0, "output_dim": 3}, "input_dim"),
        ({"input_dim": 3, "output_dim": 2.5}, "output_dim"),
    ):
        with pytest.raises(ValueError, match=rf"`{key}`. Received: {key}="):
            Embedding(**kw)
    layer = Embedding(4, 2)
    with pytest.raises(ValueError, match=r"\[0, 4\).*from 0 to 4"):
        layer(np.array([[0, 4]]))
    with pytest.raises(ValueError, match=r"from -1"):
        layer(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="integer indices"):
        layer(np.array([[0.5, 1.0]]))
    assert Embedding(4, 2, input_length=3).get_config()["input_length"] == 3


def test_embedding_trains_in_a_sequential_model():
    nn.set_seed(0)
    idx = np.random.default_rng(0).integers(0, 6, (120, 3))
    y = (idx == 5).any(axis=1).astype(np.int64)
    model = Sequential([Embedding(6, 4, input_length=3), Flatten(), Dense(1, activation="sigmoid")])
    assert model.built and model.count_params() == 6 * 4 + 12 + 1
    model.compile(
        optimizer=nn.optim.Adam(learning_rate=0.05),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(idx, y, epochs=30, batch_size=16, verbose=0, seed=0)
    assert model.evaluate(idx, y)[1] > 0.95


# --- Add, Concatenate ----------------------------------------------------------------------


def test_add_and_concatenate_match_numpy_and_differentiate(float64):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(Add()([a, b, a]).data, 2 * a + b)
    np.testing.assert_allclose(Concatenate()([a, b]).data, np.concatenate([a, b], -1))
    np.testing.assert_allclose(
        Concatenate(axis=1)([a[:, :1], b]).data, np.concatenate([a[:, :1], b], 1)
    )
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    assert gradcheck(lambda x, y: Add()([x, y]) * x, [ta, tb])
    assert gradgradcheck(lambda x, y: Concatenate()([x * y, y]) ** 2, [ta, tb])
    assert Add().compute_output_shape([(None, 1), (None, 4)]) == (None, 4)  # 1 broadcasts


def test_merge_layers_refuse_single_inputs_and_shapes_that_do_not_fit():
    with pytest.raises(
        ValueError, match=r"Add layer .* list of at least 2 inputs.*single input of shape \(3, 4\)"
    ):
        Add()(_x(3, 4))
    with pytest.raises(ValueError, match=r"Add layer .*\[\(3, 4\), \(3, 5\)\]"):
        Add()([_x(3, 4), _x(3, 5)])
    with pytest.raises(ValueError, match=r"Concatenate layer .*axis=-1.*\[\(3, 4\), \(2, 4\)\]"):
        Concatenate()([_x(3, 4), _x(2, 4)])
    with pytest.raises(ValueError, match=r"Received: axis=1.5"):
        Concatenate(axis=1.5)
    assert Concatenate()([_x(3, 4)]).shape == (3, 4)  # one input is allowed, as Keras


# --- Activation, by every name -------------------------------------------------------------

_REF = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "exponential": np.exp,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "log_sigmoid": lambda x: -np.log1p(np.exp(-x)),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "relu6": lambda x: np.clip(x, 0, 6),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
}


def test_every_registered_activation_has_a_reference():
    assert set(nn.activations.names()) == set(_REF)


@pytest.mark.parametrize("name", sorted(_REF))
def test_activation_layer_matches_numpy_and_its_gradients_check(float64, name):
    # points away from the kinks (0, +-3, 6), where finite differences mean nothing
    x0 = np.array([[-7.1, -3.6, -1.3, -0.4], [0.3, 1.7, 2.4, 7.3]])
    layer = Activation(name)
    np.testing.assert_allclose(layer(x0).data, _REF[name](x0), rtol=1e-10, atol=1e-12)
    assert layer.activation_name == nn.activations.name_of(nn.activations.get(name))
    x = Tensor(x0, requires_grad=True)

    def f(t):
        return layer(t) * 1.0  # "linear" returns its input itself: gradcheck needs a new array

    assert gradcheck(f, [x])
    assert gradgradcheck(f, [x])


def test_activation_matches_pytorch_where_it_has_the_function():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = np.linspace(-5, 5, 41).reshape(1, -1).astype(np.float32)
    t = torch.from_numpy(x)
    pairs = {
        "elu": F.elu(t),
        "selu": F.selu(t),
        "silu": F.silu(t),
        "softsign": F.softsign(t),
        "relu6": F.relu6(t),
        "hard_sigmoid": F.hardsigmoid(t),
        "hard_silu": F.hardswish(t),
        "mish": F.mish(t),
        "log_sigmoid": F.logsigmoid(t),
        "log_softmax": F.log_softmax(t, -1),
    }
    for name, want in pairs.items():
        np.testing.assert_allclose(
            Activation(name)(x).data, want.numpy(), rtol=1e-5, atol=1e-6, err_msg=name
        )


def test_activation_refuses_unknown_names_and_shows_its_name():
    with pytest.raises(ValueError, match="Unknown activation 'gelux'"):
        Activation("gelux")
    assert repr(Activation("selu")) == "Activation('selu')"
    assert Dense(3, activation="mish").activation_name == "mish"
    x = Tensor(np.ones((1, 2), np.float32))
    assert ag.get_default_dtype() == np.float32 and Activation("elu")(x).dtype == np.float32


def test_new_layers_show_in_repr_and_summary():
    model = Sequential(
        [
            Flatten(input_shape=(2, 3)),
            Dense(8, activation="relu"),
            BatchNormalization(),
            Dropout(0.5),
            Reshape((2, 4)),
            LayerNormalization(),
        ]
    )
    text = repr(model)
    assert "(1): Dense(units=8, activation='relu', input_dim=6)" in text
    assert "(3): Dropout(rate=0.5)" in text and "(4): Reshape(target_shape=(2, 4))" in text
    lines = []
    model.summary(print_fn=lines.append)
    out = "\n".join(lines)
    assert "(None, 6)" in out and "(None, 2, 4)" in out and "flatten" in out
    assert "Non-trainable params: 16" in out
