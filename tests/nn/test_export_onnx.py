"""ONNX export: every supported layer and activation, Sequential and functional models, under
onnxruntime, equal to ``predict`` (atol 1e-5), for any batch size."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest

import nn
from nn import Dense, Sequential, activations

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

rng = np.random.default_rng(0)
X = rng.normal(size=(9, 6)).astype(np.float32)


def _run(path, xs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    xs = xs if isinstance(xs, list) else [xs]
    feeds = {i.name: x for i, x in zip(session.get_inputs(), xs, strict=True)}
    return session.run(None, feeds)


def _max_diff(model, xs, tmp_path, opset=nn.export.DEFAULT_OPSET):
    path = tmp_path / "model.onnx"
    proto = nn.export.to_onnx(model, path, opset=opset)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    assert proto.opset_import[0].version == opset
    got = _run(path, xs)
    want = model.predict(xs, verbose=0)
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == np.float32
    return max(float(np.max(np.abs(g - w))) for g, w in zip(got, want, strict=True))


def _trained(model, x, y_width):
    model.compile(loss="mse", optimizer="adam")
    y = rng.normal(size=(len(x), y_width)).astype(np.float32)
    model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    return model


@pytest.mark.parametrize("name", activations.names())
def test_each_activation_in_a_dense_layer(tmp_path, name):
    nn.set_seed(0)
    model = Sequential([Dense(5, input_dim=6, activation=name)])
    assert _max_diff(model, X, tmp_path) <= 1e-5


@pytest.mark.parametrize(
    "layer",
    [
        lambda: nn.ReLU(),
        lambda: nn.Sigmoid(),
        lambda: nn.Tanh(),
        lambda: nn.Softmax(),
        lambda: nn.Softmax(axis=1),
        lambda: nn.LeakyReLU(0.1),
        lambda: nn.Activation("gelu"),
        lambda: nn.Activation("selu"),
        lambda: nn.Dropout(0.5),
        lambda: nn.BatchNormalization(momentum=0.5),
        lambda: nn.BatchNormalization(center=False, scale=False),
        lambda: nn.LayerNormalization(),
        lambda: nn.LayerNormalization(center=False),
        lambda: nn.Flatten(),
    ],
    ids=lambda f: repr(f()).split("(")[0],
)
def test_each_layer_after_a_trained_dense(tmp_path, layer):
    nn.set_seed(1)
    model = _trained(Sequential([Dense(8, input_dim=6), layer()]), X, 8)
    assert _max_diff(model, X, tmp_path) <= 1e-5


def test_reshape_flatten_and_layer_normalization_over_several_axes(tmp_path):
    nn.set_seed(2)
    model = Sequential(
        [
            nn.Input((6,)),
            Dense(12, activation="tanh"),
            nn.Reshape((3, -1)),
            nn.LayerNormalization(axis=(-2, -1)),
            nn.BatchNormalization(axis=1),
            Dense(2),
            nn.Flatten(),
        ]
    )
    _trained(model, X, 6)
    assert _max_diff(model, X, tmp_path) <= 1e-5


def test_embedding(tmp_path):
    nn.set_seed(3)
    model = Sequential(
        [nn.Input((5,), dtype="int64"), nn.Embedding(10, 3), nn.Flatten(), Dense(2, "relu")]
    )
    idx = rng.integers(0, 10, (4, 5))
    assert _max_diff(model, idx, tmp_path) == 0.0
    path = tmp_path / "model.onnx"
    assert onnx.load(str(path)).graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64


def test_the_two_circles_sequential_for_any_batch_size(tmp_path):
    x, y = nn.datasets.make_circles(200, noise=0.05, factor=0.5, seed=0)
    nn.set_seed(0)
    model = Sequential(
        [
            Dense(4, input_dim=2, activation="relu"),
            Dense(6, activation="relu"),
            Dense(6, activation="relu"),
            Dense(4, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert _max_diff(model, x, tmp_path) <= 1e-6
    proto = onnx.load(str(tmp_path / "model.onnx"))
    batch = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param == "batch"
    for n in (1, 3, 64):
        (out,) = _run(tmp_path / "model.onnx", x[:n])
        np.testing.assert_allclose(out, model.predict(x[:n], verbose=0), atol=1e-6)


def test_a_functional_model_with_two_inputs_and_two_outputs(tmp_path):
    nn.set_seed(4)
    a_in, b_in = nn.Input((6,), name="features"), nn.Input((3,), name="extra")
    a = Dense(4, activation="tanh")(a_in)
    b = Dense(4)(b_in)
    joined = nn.Concatenate()([a, nn.Add()([a, b])])
    joined = nn.LayerNormalization()(nn.Dropout(0.3)(joined))
    probs = Dense(3, activation="softmax")(joined)
    model = nn.Model([a_in, b_in], [probs, Dense(1)(joined)])
    xs = [X, X[:, :3].copy()]
    assert _max_diff(model, xs, tmp_path) <= 1e-5
    proto = onnx.load(str(tmp_path / "model.onnx"))
    assert [i.name for i in proto.graph.input] == ["features", "extra"]
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1"]


def test_a_functional_model_with_a_nested_sequential_and_a_shared_layer(tmp_path):
    nn.set_seed(5)
    inner = Sequential([Dense(5, input_dim=6, activation="relu"), nn.BatchNormalization()])
    shared = Dense(5, activation="sigmoid")
    i = nn.Input((6,))
    h = inner(i)
    out = nn.Add()([shared(h), shared(shared(h))])
    model = _trained(nn.Model(i, out), X, 5)
    assert _max_diff(model, X, tmp_path) <= 1e-5


@pytest.mark.parametrize("opset", [13, 17, 18, 21])
def test_opsets(tmp_path, opset):
    nn.set_seed(6)
    model = Sequential(
        [Dense(8, input_dim=6, activation="gelu"), nn.LayerNormalization(), Dense(2, "softmax")]
    )
    assert _max_diff(model, X, tmp_path, opset=opset) <= 1e-5


def test_bad_opset_is_refused(tmp_path):
    model = Sequential([Dense(2, input_dim=6)])
    with pytest.raises(ValueError, match="opset from 13"):
        nn.export.to_onnx(model, tmp_path / "m.onnx", opset=11)


def test_an_unsupported_layer_is_named(tmp_path):
    class Doubling(nn.Layer):
        def forward(self, x):
            return x * 2

    model = Sequential([Dense(3, input_dim=6), Doubling(name="twice")])
    with pytest.raises(nn.export.ExportError, match=r"layer 'twice' \(Doubling\) has no ONNX"):
        nn.export.to_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_an_unknown_activation_is_named(tmp_path):
    def cube(x):
        return x * x * x

    model = Sequential([Dense(3, input_dim=6, activation=cube, name="cubed")])
    with pytest.raises(nn.export.ExportError, match="'cubed'.*activation 'cube'"):
        nn.export.to_onnx(model, tmp_path / "m.onnx")


def test_subclassed_and_unbuilt_models_are_refused(tmp_path):
    class Net(nn.Model):
        def __init__(self):
            super().__init__()
            self.d = Dense(2)

        def call(self, x, training=False):
            return self.d(x)

    net = Net()
    net(X)
    with pytest.raises(nn.export.ExportError, match="subclassed"):
        nn.export.to_onnx(net, tmp_path / "m.onnx")
    with pytest.raises(nn.export.ExportError, match="not built yet"):
        nn.export.to_onnx(Sequential([Dense(2)]), tmp_path / "m.onnx")


def test_without_onnx_the_error_names_the_extra(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError("No module named 'onnx'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "onnx")
    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(ImportError, match=r"autograd-core\[onnx\]"):
        nn.export.to_onnx(Sequential([Dense(2, input_dim=6)]), tmp_path / "m.onnx")
