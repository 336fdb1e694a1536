"""PyTorch export: ``to_torch`` gives a module with the same weights and outputs (1e-5, eval
mode) for Sequential and functional models; ``from_torch`` brings a ``torch.nn.Sequential``
back."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest

import nn
from nn import Dense, Sequential, activations

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
X = rng.normal(size=(9, 6)).astype(np.float32)


def _outputs(module, xs):
    xs = xs if isinstance(xs, list) else [xs]
    with torch.no_grad():
        out = module(*[torch.from_numpy(np.asarray(x)) for x in xs])
    return [o.numpy() for o in (out if isinstance(out, list) else [out])]


def _max_diff(model, xs):
    module = nn.export.to_torch(model)
    assert isinstance(module, torch.nn.Module) and not module.training
    got = _outputs(module, xs)
    want = model.predict(xs, verbose=0)
    want = want if isinstance(want, list) else [want]
    assert [g.shape for g in got] == [w.shape for w in want]
    return max(float(np.max(np.abs(g - w))) for g, w in zip(got, want, strict=True))


def _trained(model, x, width):
    model.compile(loss="mse", optimizer="adam")
    model.fit(x, rng.normal(size=(len(x), width)).astype(np.float32), epochs=3, verbose=0)
    return model


@pytest.mark.parametrize("name", activations.names())
def test_each_activation(name):
    nn.set_seed(0)
    assert _max_diff(Sequential([Dense(5, input_dim=6, activation=name)]), X) <= 1e-5


def test_a_sequential_of_every_layer_kind():
    nn.set_seed(1)
    model = Sequential(
        [
            nn.Input((6,)),
            Dense(8),
            nn.BatchNormalization(momentum=0.9),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.LayerNormalization(),
            nn.Reshape((2, -1)),
            nn.BatchNormalization(axis=1),
            nn.LayerNormalization(center=False),
            nn.Flatten(),
            nn.Softmax(),
            nn.LeakyReLU(0.1),
            nn.Activation("tanh"),
        ]
    )
    _trained(model, X, 8)
    module = nn.export.to_torch(model)
    assert isinstance(module, torch.nn.Sequential)
    assert _max_diff(model, X) <= 1e-5
    # the same weights, as copies
    linear = module[0]
    np.testing.assert_array_equal(linear.weight.detach().numpy(), model.layers[0].kernel.data.T)
    linear.weight.data.zero_()
    assert model.layers[0].kernel.data.any()


def test_module_names_never_collide():
    nn.set_seed(5)
    model = Sequential(
        [
            Dense(4, input_dim=6, activation="relu", name="dense"),
            Dense(4, activation="tanh", name="dense_1"),
            Dense(1, activation="sigmoid", name="dense_relu"),
        ]
    )
    module = nn.export.to_torch(model)
    assert [type(m).__name__ for m in module] == [
        "Linear",
        "ReLU",
        "Linear",
        "Tanh",
        "Linear",
        "Sigmoid",
    ]
    assert _max_diff(model, X) <= 1e-6


def test_batch_normalization_momentum_is_converted():
    nn.set_seed(2)
    model = Sequential([Dense(4, input_dim=6), nn.BatchNormalization(momentum=0.8)])
    bn = nn.export.to_torch(model)[1]
    assert bn.momentum == pytest.approx(0.2) and bn.eps == pytest.approx(1e-3)
    # one training step moves the running mean the same way in both
    module = nn.export.to_torch(model).train()
    with torch.no_grad():
        module(torch.from_numpy(X))
    model(X, training=True)
    np.testing.assert_allclose(
        module[1].running_mean.numpy(), model.layers[1].moving_mean.data, atol=1e-6
    )


def test_embedding():
    nn.set_seed(3)
    model = Sequential(
        [nn.Input((5,), dtype="int64"), nn.Embedding(10, 3), nn.Flatten(), Dense(2, "relu")]
    )
    assert _max_diff(model, rng.integers(0, 10, (4, 5))) <= 1e-6


def test_a_functional_model_with_two_inputs_two_outputs_and_a_shared_layer():
    nn.set_seed(4)
    a_in, b_in = nn.Input((6,)), nn.Input((3,))
    shared = Dense(4, activation="tanh")
    a = shared(Dense(4)(a_in))
    b = shared(Dense(4)(b_in))
    joined = nn.Concatenate()([a, nn.Add()([a, b])])
    bn = nn.BatchNormalization()
    joined = bn(joined)
    model = nn.Model([a_in, b_in], [Dense(3, activation="softmax")(joined), Dense(1)(joined)])
    bn.moving_mean.data[...] = rng.normal(size=8)  # statistics as training would leave them
    bn.moving_variance.data[...] = rng.uniform(0.5, 2.0, size=8)
    xs = [X, X[:, :3].copy()]
    assert _max_diff(model, xs) <= 1e-5
    module = nn.export.to_torch(model)
    weights = [p for name, p in module.named_parameters() if "dense" in name]
    assert len(weights) == 2 * 5  # the shared Dense is one module
    assert len(_outputs(module, xs)) == 2


def test_the_two_circles_model_trains_on_in_pytorch():
    x, y = nn.datasets.make_circles(200, noise=0.05, factor=0.5, seed=0)
    nn.set_seed(0)
    model = Sequential([Dense(8, input_dim=2, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam")
    model.fit(x, y, epochs=3, verbose=0)
    assert _max_diff(model, x) <= 1e-6
    module = nn.export.to_torch(model).train()
    opt = torch.optim.Adam(module.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.float32)).reshape(-1, 1)
    losses = []
    for _ in range(50):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy(module(xt), yt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_from_torch_round_trip():
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(6, 8),
        torch.nn.BatchNorm1d(8, momentum=0.3),
        torch.nn.GELU(),
        torch.nn.Dropout(0.2),
        torch.nn.Sequential(torch.nn.Linear(8, 5), torch.nn.SiLU()),
        torch.nn.Linear(5, 3, bias=False),
        torch.nn.LeakyReLU(0.05),
        torch.nn.Identity(),
        torch.nn.Softmax(dim=-1),
    )
    module.train()
    with torch.no_grad():
        module(torch.randn(32, 6))  # running statistics that are not the defaults
    module.eval()
    model = nn.export.from_torch(module)
    assert isinstance(model, Sequential)
    assert model.layers[2].momentum == pytest.approx(0.7)
    (want,) = _outputs(module, X)
    got = model.predict(X, verbose=0)
    assert float(np.max(np.abs(got - want))) <= 1e-5
    # and back again
    assert _max_diff(model, X) <= 1e-5


def test_from_torch_refuses_what_it_cannot_convert():
    with pytest.raises(nn.export.ExportError, match=r"module 1 \(Conv1d"):
        nn.export.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Conv1d(1, 1, 1)))
    with pytest.raises(nn.export.ExportError, match="expects a torch.nn.Sequential"):
        nn.export.from_torch(torch.nn.Linear(2, 2))


def test_unsupported_layers_and_subclassed_models_are_named():
    class Doubling(nn.Layer):
        def forward(self, x):
            return x * 2

    with pytest.raises(nn.export.ExportError, match=r"'twice' \(Doubling\) has no PyTorch"):
        nn.export.to_torch(Sequential([Dense(3, input_dim=6), Doubling(name="twice")]))

    class Net(nn.Model):
        def __init__(self):
            super().__init__()
            self.d = Dense(2)

        def call(self, x, training=False):
            return self.d(x)

    net = Net()
    net(X)
    with pytest.raises(nn.export.ExportError, match="subclassed"):
        nn.export.to_torch(net)


def test_without_torch_the_error_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ImportError, match=r"autograd-core\[torch\]"):
        nn.export.to_torch(Sequential([Dense(2, input_dim=6)]))
    with pytest.raises(ImportError, match=r"autograd-core\[torch\]"):
        nn.export.from_torch(None)
