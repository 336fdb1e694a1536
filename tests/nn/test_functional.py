"""Models beyond Sequential: functional models ``nn.Model(inputs, outputs)`` over
``nn.Input``, user subclasses with ``call(x, training=...)`` or ``forward(x)``, and the
structure methods every model has (add, pop, get_layer, the *_on_batch methods)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn import (
    Add,
    BatchNormalization,
    Concatenate,
    Dense,
    Dropout,
    Input,
    Model,
    ReLU,
    Sequential,
    Softmax,
)


def _blobs(n=150, seed=0):
    r = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    y = r.integers(0, 3, n)
    return (centers[y] + 0.4 * r.standard_normal((n, 2))).astype(np.float32), y


# --- the functional API -----------------------------------------------------------------------


def test_input_is_symbolic_and_layers_record_what_they_were_called_on():
    x = Input(shape=(4,), name="features")
    assert x.shape == (None, 4) and x.dtype == np.float32 and x.name == "features"
    h = Dense(3, name="hidden")(x)
    assert h.shape == (None, 3) and h.layer.name == "hidden" and h.node.inputs == [x]
    assert h.layer.built and h.layer.kernel.shape == (4, 3)  # built from the Input's shape
    with pytest.raises(TypeError, match="only records layer calls.*nn.Add"):
        h + h  # noqa: B018
    assert nn.Input(batch_shape=(None, 7)).shape == (None, 7)
    with pytest.raises(ValueError, match=r"Received: input_shape=\(-1,\)"):
        Input(shape=(-1,))


def test_a_functional_chain_equals_the_same_sequential_model():
    x, y = _blobs()
    results = []
    for kind in ("sequential", "functional"):
        nn.set_seed(0)
        if kind == "sequential":
            model = Sequential(
                [Dense(8, input_dim=2, activation="relu"), Dense(3, activation="softmax")]
            )
        else:
            inp = Input(shape=(2,))
            out = Dense(3, activation="softmax")(Dense(8, activation="relu")(inp))
            model = Model(inp, out)
        assert len(model.parameters()) == 4  # built at once, ready for an optimizer
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        assert model._fused()  # the softmax output fuses into the loss in both
        h = model.fit(x, y, epochs=5, batch_size=16, verbose=0, seed=1)
        results.append((h.history["loss"], model.predict(x)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-7)


def test_branches_and_merges_with_two_inputs_train_end_to_end():
    r = np.random.default_rng(1)
    a, b = (
        r.standard_normal((300, 3)).astype(np.float32),
        r.standard_normal((300, 2)).astype(np.float32),
    )
    target = (a[:, 0] * b[:, 0] > 0).astype(np.int64)  # needs both inputs
    nn.set_seed(2)
    in_a, in_b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    ha = Dense(16, activation="tanh")(in_a)
    hb = Dense(16, activation="tanh")(in_b)
    merged = Add()([ha, hb])
    joined = Concatenate()([merged, Dense(8, activation="relu")(merged), in_b])
    out = Dense(1, activation="sigmoid")(BatchNormalization()(joined))
    model = Model(inputs=[in_a, in_b], outputs=out, name="two_towers")
    assert [layer.name for layer in model.layers[:2]] == ["a", "b"]
    model.compile(
        optimizer=nn.optim.Adam(learning_rate=0.01),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    h = model.fit([a, b], target, epochs=40, batch_size=32, verbose=0, seed=0, validation_split=0.2)
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    assert model.evaluate([a, b], target)[1] > 0.9
    probs = model.predict([a, b], batch_size=64)
    assert probs.shape == (300, 1) and probs.dtype == np.float32
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \(\['a', 'b'\]\). Received: 1"):
        model(np.zeros((2, 3)))
    with pytest.raises(
        ValueError, match=r"input 1 \('b'\) takes samples of shape \(2,\).*\(4, 3\)"
    ):
        model([np.zeros((4, 3)), np.zeros((4, 3))])


def test_functional_summary_names_what_each_layer_is_connected_to():
    a, b = Input(shape=(3,), name="left"), Input(shape=(3,), name="right")
    shared = Dense(4, name="shared")
    merged = Concatenate(name="join")([shared(a), shared(b)])  # one layer, two calls
    model = Model([a, b], Dense(1, name="score")(merged))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text
    assert "shared (Dense)" in text and "left[0][0], right[0][0]" in text
    assert "shared[0][0], shared[1][0]" in text  # the two calls of the shared layer
    assert "(None, 8)" in text and "Total params: 25" in text  # 16 shared once + 9
    assert [n for n, _ in model.named_parameters()][:2] == ["shared.kernel", "shared.bias"]
    x = np.ones((2, 3), np.float32)
    k, bias = shared.kernel.data, shared.bias.data
    expected = np.concatenate([x @ k + bias, 2 * x @ k + bias], 1)
    np.testing.assert_allclose(
        model([x, 2 * x]).data,
        expected @ model.get_layer("score").kernel.data + model.get_layer("score").bias.data,
        rtol=1e-5,
    )
    chain = Model(a, Dense(2)(Dense(3)(a)))
    lines.clear()
    chain.summary(print_fn=lines.append)
    assert "Connected to" not in "\n".join(lines)  # a chain prints as a Sequential does


def test_several_outputs_come_back_as_a_list():
    x = Input(shape=(2,))
    h = Dense(4, activation="relu")(x)
    model = Model(x, [Dense(1)(h), Dense(3, activation="softmax")(h)])
    data = np.random.default_rng(0).standard_normal((10, 2)).astype(np.float32)
    out = model(data)
    assert isinstance(out, list) and [o.shape for o in out] == [(10, 1), (10, 3)]
    pred = model.predict(data, batch_size=4)
    assert [p.shape for p in pred] == [(10, 1), (10, 3)]
    np.testing.assert_allclose(pred[1], out[1].data, rtol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="has 2 outputs"):
        model.fit(data, np.zeros((10, 1)), verbose=0)


def test_wrong_wiring_is_refused_naming_the_layer():
    x = Input(shape=(3,))
    h = Dense(4)(x)
    with pytest.raises(
        ValueError, match=r"'late' \(Dense\) cannot be called on .*\(None, 4\).*last dimension is 5"
    ):
        Dense(2, input_dim=5, name="late")(h)
    with pytest.raises(
        ValueError, match=r"Concatenate layer 'cat'.*\[\(None, 4\), \(None, 1, 3\)\]"
    ):
        Concatenate(name="cat")([h, nn.Reshape((1, 3))(x)])
    with pytest.raises(ValueError, match=r"Add layer 'plus'.*list of at least 2"):
        Add(name="plus")(h)
    other = Input(shape=(2,), name="forgotten")
    y = Add()([Dense(4)(other), h])
    with pytest.raises(ValueError, match=r"Graph disconnected.*'forgotten'"):
        Model(x, y)
    with pytest.raises(ValueError, match="not an nn.Input"):
        Model(h, Dense(1)(h))
    with pytest.raises(TypeError, match="symbolic tensors"):
        Model(x, np.zeros(3))
    with pytest.raises(ValueError, match="needs both"):
        Model(inputs=x)
    with pytest.raises(TypeError, match="mixes symbolic tensors"):
        Add()([h, np.zeros((1, 4))])
    twin = Dense(4, name="twin")
    with pytest.raises(ValueError, match="named 'twin'"):
        Model(x, Add()([twin(x), Dense(4, name="twin")(x)]))


def test_compile_checks_and_fusion_read_a_functional_models_output_layer():
    x = Input(shape=(2,))
    probs = Model(x, Dense(3, activation="softmax")(Dense(4)(x)))
    with pytest.raises(ValueError, match="from_logits=True.*applies a softmax"):
        probs.compile(
            loss=nn.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="adam"
        )
    raw = Model(x, Dense(3)(x))
    with pytest.raises(ValueError, match="raw logits"):
        raw.compile(loss="categorical_crossentropy", optimizer="adam")
    layered = Model(x, Softmax()(Dense(3)(x)))
    layered.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    assert layered._fused()
    data, labels = _blobs(40)
    steps = []
    for fuse in (True, False):
        nn.set_seed(5)
        inp = Input(shape=(2,))
        m = Model(inp, Softmax()(Dense(3)(ReLU()(Dense(5)(inp)))))
        m.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", fuse_loss=fuse)
        logs = m.train_step(data, labels)
        steps.append((logs["loss"], [p.grad.copy() for p in m.parameters()]))
    assert steps[0][0] == pytest.approx(steps[1][0], rel=1e-6)
    for g1, g2 in zip(steps[0][1], steps[1][1], strict=True):
        np.testing.assert_allclose(g1, g2, rtol=1e-5, atol=1e-7)


def test_a_model_used_as_a_layer_and_sequential_with_an_input_first():
    inner_in = Input(shape=(3,))
    inner = Model(inner_in, Dense(2, activation="tanh")(inner_in), name="block")
    x = Input(shape=(3,))
    outer = Model(x, Dense(1)(inner(x)))
    assert outer.get_layer("block") is inner and outer.count_params() == 8 + 3
    data = np.ones((4, 3), np.float32)
    np.testing.assert_allclose(outer(data).data, outer.layers[-1](inner(data)).data, rtol=1e-6)
    seq = Sequential([Input(shape=(5,)), Dense(4), Dense(2)])
    assert seq.built and len(seq.layers) == 2 and seq.count_params() == 24 + 10
    seq.add(Dense(1))
    assert seq.layers[-1].kernel.shape == (2, 1)
    with pytest.raises(ValueError, match="only come first"):
        Sequential([Dense(2), Input(shape=(2,))])


# --- subclassed models ----------------------------------------------------------------------


class _Classifier(nn.Model):
    """Keras's subclassing: layers in __init__, call(x, training) passing training on."""

    def __init__(self):
        super().__init__(name="classifier")
        self.hidden = Dense(32, activation="relu")
        self.drop = Dropout(0.5)
        self.out = Dense(3)
        self.seen: list = []

    def call(self, x, training=False):
        self.seen.append(training)
        return self.out(self.drop(self.hidden(x), training=training))


def test_a_subclass_with_call_gets_training_from_fit_and_from_the_call():
    x, y = _blobs()
    nn.set_seed(0)
    model = _Classifier()
    model.compile(
        optimizer=nn.optim.Adam(learning_rate=0.02),
        loss=nn.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x, y, epochs=10, batch_size=32, verbose=0, seed=0, validation_split=0.2)
    assert True in model.seen and False in model.seen  # training steps, validation passes
    model.seen.clear()
    model.evaluate(x, y)
    model.predict(x)
    assert set(model.seen) == {False}
    model.seen.clear()
    a, b = model(x[:8]).data, model(x[:8]).data
    assert model.seen == [False, False] and np.array_equal(a, b)  # called directly: inference
    t1, t2 = model(x[:8], training=True).data, model(x[:8], training=True).data
    assert model.seen[-1] is True and not np.array_equal(t1, t2)  # dropout on
    assert model.evaluate(x, y)[1] > 0.9
    assert model.get_layer(model.hidden.name) is model.hidden
    assert model.get_layer(index=2) is model.out
    assert model.layers == [model.hidden, model.drop, model.out]


class _Torchy(nn.Model):
    """PyTorch's spelling: forward(x), no training argument; Dropout follows the mode."""

    def __init__(self):
        super().__init__()
        self.body = Sequential([Dense(16, activation="relu"), Dropout(0.5), Dense(1)])

    def forward(self, x):
        return self.body(x)


def test_a_subclass_with_forward_follows_train_and_eval_modes():
    x = np.ones((32, 4), np.float32)
    model = _Torchy()
    first = model(x).data
    assert np.array_equal(model(x).data, first)  # a new model infers
    model.train()
    assert not np.array_equal(model(x).data, model(x).data)  # dropout in training mode
    model.eval()
    assert np.array_equal(model(x).data, first)
    with nn.layers.base.training_scope(True):
        assert not np.array_equal(model(x).data, first)  # a call around overrides the mode
        assert np.array_equal(model(x, training=False).data, first)  # ... and training= it


def test_a_subclass_without_call_or_forward_says_so():
    class Nothing(nn.Model):
        def __init__(self):
            super().__init__()
            self.d = Dense(1)

    with pytest.raises(NotImplementedError, match=r"call\(self, inputs\).*forward\(self, x\)"):
        Nothing()(np.ones((1, 2)))


def test_a_custom_keras_layer_with_build_call_and_add_weight():
    class Scale(nn.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", shape=(input_shape[-1],), initializer="ones")
            self.count = self.add_weight("count", shape=(), initializer="zeros", trainable=False)

        def call(self, inputs):
            return inputs * self.w

    layer = Scale()
    x = Input(shape=(3,))
    model = Model(x, Dense(1)(layer(x)))  # the symbolic call builds it; its shape is probed
    assert model.layers[1] is layer and [n for n, _ in layer.named_weights()] == ["w", "count"]
    assert len(layer.trainable_weights) == 1 and len(layer.non_trainable_weights) == 1
    np.testing.assert_allclose(layer(np.full((2, 3), 2.0)).data, np.full((2, 3), 2.0))


# --- model structure: add, pop, get_layer, *_on_batch ---------------------------------------


def test_add_pop_and_get_layer():
    model = Sequential(name="stack")
    model.add(Dense(4, input_shape=(2,), name="first"))
    model.add(Dense(3, name="second"))
    assert model.built and model.get_layer("second").kernel.shape == (4, 3)
    assert model.get_layer(index=0).name == "first" and model.get_layer(index=-1).name == "second"
    with pytest.raises(
        ValueError, match=r"no layer named 'third'. The layers are \['first', 'second'\]"
    ):
        model.get_layer("third")
    with pytest.raises(ValueError, match="index 5 but model 'stack' has 2 layers"):
        model.get_layer(index=5)
    with pytest.raises(ValueError, match="one of them"):
        model.get_layer()
    with pytest.raises(ValueError, match="already has a layer named 'first'"):
        model.add(Dense(1, name="first"))
    popped = model.pop()
    assert popped.name == "second" and len(model.layers) == 1
    model.add(Dense(5))
    assert model.layers[-1].kernel.shape == (4, 5) and model.compute_output_shape((None, 2)) == (
        None,
        5,
    )


def test_on_batch_methods_return_as_keras():
    x, y = _blobs(64)
    nn.set_seed(3)
    model = Sequential([Dense(8, input_dim=2, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    loss = model.train_on_batch(x, y)
    assert isinstance(loss, float) and model.optimizer.iterations == 1
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, acc = model.train_on_batch(x, y)
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    probs = model.predict_on_batch(x)
    assert isinstance(probs, np.ndarray) and probs.shape == (64, 3)
    np.testing.assert_allclose(probs, model.predict(x), rtol=1e-6)
    assert logs["accuracy"] == pytest.approx(np.mean(probs.argmax(1) == y))
    ref = -np.log(np.clip(probs[np.arange(64), y], 1e-7, 1)).mean()
    assert logs["loss"] == pytest.approx(ref, rel=1e-5)
    w = model.get_weights()
    model.test_on_batch(x, y)
    model.predict_on_batch(x)
    assert all(np.array_equal(a, b) for a, b in zip(w, model.get_weights(), strict=True))


def test_train_on_batch_trains_and_test_on_batch_infers_with_dropout():
    x = np.ones((16, 4), np.float32)
    nn.set_seed(0)
    model = Sequential([Dense(8, input_dim=4), Dropout(0.9), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    model.layers[1].register_forward_hook(
        lambda layer, i, o: seen.append(bool((o.data == 0).any()))
    )
    model.train_on_batch(x, np.zeros((16, 1)))
    model.test_on_batch(x, np.zeros((16, 1)))
    model.predict_on_batch(x)
    assert seen == [True, False, False]  # units dropped only in the training step


def test_model_name_keeps_its_old_positional_spelling():
    class Named(nn.Model):
        def __init__(self):
            super().__init__("my_name")
            self.d = Dense(1, input_dim=1)

        def forward(self, x):
            return self.d(x)

    assert Named().name == "my_name"
    x = Input(shape=(1,))
    assert Model(x, Dense(1)(x)).name.startswith("functional")
    t = Tensor(np.ones((1, 1), np.float32))
    assert Named()(t).shape == (1, 1)


def test_a_training_argument_given_in_the_graph_is_kept_and_unbuilt_models_nest():
    x = Input(shape=(3,))
    always = Model(x, Dropout(0.5, seed=0)(x, training=True))  # Monte Carlo dropout
    out = always.predict(np.ones((64, 3), np.float32))
    assert set(np.unique(out)) == {0.0, 2.0}  # dropped even at inference, as asked
    assert Model(x, x)(np.ones((2, 3))).shape == (2, 3)  # an input can be an output
    inner = Sequential([Dense(4, activation="relu"), Dense(2)])  # not built yet
    nested = Model(x, inner(x))
    assert inner.built and nested.count_params() == 16 + 10
    sub = _Torchy()  # a subclass built by probing it once, then recorded as one call
    assert Model(x, sub(Dense(4)(x))).count_params() == 16 + (4 * 16 + 16) + 17


class _TwoInputs(nn.Model):
    """A subclass whose call takes a list of two inputs, as Keras's may."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = (
            Dense(4, activation="tanh"),
            Dense(4, activation="tanh"),
            Dense(1),
        )

    def call(self, inputs):
        left, right = inputs
        return self.out(self.a(left) * self.b(right))


def test_a_subclass_takes_a_list_of_inputs_in_calls_fit_and_predict():
    r = np.random.default_rng(0)
    a, b = (
        r.standard_normal((128, 3)).astype(np.float32),
        r.standard_normal((128, 2)).astype(np.float32),
    )
    y = (a[:, :1] * b[:, :1]).astype(np.float32)
    nn.set_seed(0)
    model = _TwoInputs()
    assert model([a[:4], b[:4]]).shape == (4, 1)
    model.compile(optimizer=nn.optim.Adam(learning_rate=0.02), loss="mse")
    h = model.fit([a, b], y, epochs=30, batch_size=32, verbose=0, seed=0, validation_split=0.25)
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    assert model.predict([a, b], batch_size=50).shape == (128, 1)
    rows = Sequential([Dense(1, input_dim=2)])
    assert rows([np.array([1.0, 2.0]), np.array([3.0, 4.0])]).shape == (2, 1)  # a list of rows


def test_a_custom_layers_forward_with_training_gets_it_decided():
    class Noisy(nn.Layer):
        def forward(self, x, training=False):  # PyTorch-like spelling with a flag
            return x + 1.0 if training else x

    layer = Noisy()
    x = np.zeros((2, 2), np.float32)
    assert not layer(x).data.any() and layer(x, training=True).data.all()
    model = Sequential([Dense(2, input_dim=2, kernel_initializer="zeros"), layer])
    model.compile(optimizer=nn.optim.SGD(lr=0.0), loss="mse")
    assert model.train_on_batch(x, np.zeros((2, 2))) == pytest.approx(1.0)  # fit: training
    assert model.test_on_batch(x, np.zeros((2, 2))) == pytest.approx(0.0)
    layer.train()
    assert layer(x).data.all()
