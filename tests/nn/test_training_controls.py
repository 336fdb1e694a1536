"""What decides how a model trains: the training/inference rule, parameters made after an
optimizer was built (never a silent subset), ``trainable = False``, and weight penalties."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn import BatchNormalization, Dense, Dropout, Sequential
from nn.layers.base import training_scope


def _data(n=64, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, 2)).astype(np.float32)
    return x, (x[:, :1] * x[:, 1:] + 0.5 * x[:, :1]).astype(np.float32)


# --- training or inference ------------------------------------------------------------------


def test_the_training_rule_argument_then_the_call_around_then_the_mode():
    layer = Dropout(0.5, seed=0)
    x = np.ones((10, 10), np.float32)
    assert not layer.training  # a new layer infers, as Keras's called directly
    assert np.array_equal(layer(x).data, x)
    layer.train()
    assert not np.array_equal(layer(x).data, x)  # PyTorch's mode
    assert np.array_equal(layer(x, training=False).data, x)  # the argument wins
    with training_scope(False):
        assert np.array_equal(layer(x).data, x)  # the call around wins over the mode
        assert not np.array_equal(layer(x, training=True).data, x)
    layer.eval()
    model = Sequential([Dense(10, input_dim=10), layer])
    assert not np.array_equal(model(x, training=True).data, model(x, training=True).data)
    assert np.array_equal(model(x).data, model(x).data)


def test_fit_trains_batch_norm_and_dropout_and_evaluate_predict_infer(monkeypatch):
    x, y = _data(96)
    nn.set_seed(0)
    model = Sequential([Dense(8, input_dim=2), BatchNormalization(), Dropout(0.2), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    bn = model.layers[1]
    updates = []
    original = bn._update_moving
    monkeypatch.setattr(bn, "_update_moving", lambda m, v: updates.append(1) or original(m, v))
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, validation_split=0.25)
    assert len(updates) == 2 * 3  # each training batch, never the validation passes
    assert not model.training  # fit leaves the model in inference mode
    frozen = bn.moving_mean.data.copy()
    model.evaluate(x, y)
    p1, p2 = model.predict(x), model.predict(x)
    np.testing.assert_array_equal(p1, p2)  # no dropout at inference
    np.testing.assert_array_equal(bn.moving_mean.data, frozen)
    assert len(updates) == 6


# --- no silent subset -------------------------------------------------------------------------


class _Net(nn.Module):
    def __init__(self, lazy: bool) -> None:
        self.fc1 = Dense(8, input_dim=2, activation="tanh")
        self.fc2 = Dense(1) if lazy else Dense(1, input_dim=8)

    def forward(self, x):
        return self.fc2(self.fc1(x))


def _train(model, opt, x, y, steps=200):
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.losses.mse(y, model(x))
        loss.backward()
        opt.step()
    return float(loss.data)


def test_an_optimizer_built_before_a_lazy_layer_exists_trains_the_whole_net():
    x, y = _data()
    finals = []
    for lazy in (False, True):
        nn.set_seed(0)
        model = _Net(lazy)
        params = model.parameters()
        assert len(params) == (2 if lazy else 4)  # fc2 has no weights yet
        opt = nn.optim.Adam(params, lr=0.01)
        finals.append(_train(model, opt, x, y))
        assert len(opt.params) == 4 and opt.params == model.parameters()
    assert finals[1] == finals[0]  # the same net, the same numbers
    assert finals[0] < 0.1


def test_new_parameters_join_with_fresh_state_and_the_old_keep_theirs():
    x, y = _data()
    nn.set_seed(1)
    model = _Net(lazy=True)
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    w = model.fc1.kernel
    opt.zero_grad()
    model.fc1(x).sum().backward()  # a step on fc1 alone; fc2 not built yet
    opt.step()
    m_before = opt.state_arrays()[0][0].copy()  # Adam's first moment of fc1.kernel
    opt.zero_grad()
    nn.losses.mse(y, model(x)).backward()  # builds fc2
    g = w.grad.copy()
    opt.step()
    assert len(opt.params) == 4 and opt._owner is None  # all built: it stops following
    np.testing.assert_allclose(opt.state_arrays()[0][0], 0.9 * m_before + 0.1 * g, rtol=1e-6)
    assert model.fc2.kernel.data is opt.params[2].data


def test_sequential_and_compile_with_an_optimizer_built_on_an_unbuilt_model():
    x, y = _data()
    nn.set_seed(0)
    model = Sequential([Dense(8, activation="tanh"), Dense(1)])
    opt = nn.optim.SGD(model.parameters(), lr=0.1)  # nothing built: an empty list, followed
    _train(model, opt, x, y, steps=3)
    assert len(opt.params) == 4
    nn.set_seed(0)
    model = Sequential([Dense(8, activation="tanh"), Dense(1)])
    model.compile(optimizer=nn.optim.SGD(model.parameters(), lr=0.1), loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    assert model.optimizer.params == model.parameters()


def test_any_other_list_refuses_to_leave_new_parameters_out():
    x, y = _data()
    for pick in (lambda m: list(m.parameters()), lambda m: m.fc1.parameters() + m.fc2.parameters()):
        model = _Net(lazy=True)
        opt = nn.optim.SGD(pick(model), lr=0.1)
        opt.zero_grad()
        nn.losses.mse(y, model(x)).backward()
        with pytest.raises(ValueError, match=r"does not update them: (fc2.|dense_\d+/)kernel, "):
            opt.step()
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.optim.SGD([], lr=0.1)


def test_unrelated_models_built_later_do_not_disturb_an_optimizer():
    x, y = _data()
    model = _Net(lazy=False)
    opt = nn.optim.SGD(list(model.parameters()), lr=0.1)
    other = Sequential([Dense(3), Dense(1)])  # another model, built later, with gradients
    other(x).sum().backward()
    _train(model, opt, x, y, steps=2)  # fine: those are not this model's parameters
    assert len(opt.params) == 4


# --- trainable = False ----------------------------------------------------------------------


def test_a_frozen_layer_is_not_changed_by_fit_and_counts_as_non_trainable():
    x, y = _data()
    nn.set_seed(0)
    model = Sequential([Dense(8, input_dim=2, activation="tanh"), Dense(1)])
    model.layers[0].trainable = False
    assert not model.layers[0].kernel.requires_grad and model.layers[0].kernel in model.parameters()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 33" in text and "Trainable params: 9" in text
    assert "Non-trainable params: 24" in text
    frozen, head = model.layers[0].get_weights(), model.layers[1].get_weights()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=3, verbose=0)
    assert all(
        np.array_equal(a, b) for a, b in zip(frozen, model.layers[0].get_weights(), strict=True)
    )
    assert not np.array_equal(head[0], model.layers[1].get_weights()[0])
    assert [w.shape for w in model.trainable_weights] == [(8, 1), (1,)]
    assert len(model.non_trainable_weights) == 2


def test_frozen_parameters_get_no_gradient_in_an_explicit_loop_and_thaw_again():
    x, y = _data()
    model = _Net(lazy=False)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    model.fc1.trainable = False
    before = model.fc1.kernel.data.copy()
    opt.zero_grad()
    nn.losses.mse(y, model(x)).backward()
    assert model.fc1.kernel.grad is None and model.fc2.kernel.grad is not None  # PyTorch's
    opt.step()
    np.testing.assert_array_equal(model.fc1.kernel.data, before)
    model.fc1.trainable = True
    _train(model, opt, x, y, steps=1)
    assert not np.array_equal(model.fc1.kernel.data, before)


def test_model_trainable_false_freezes_every_layer_including_lazy_ones():
    model = Sequential([Dense(4), BatchNormalization(), Dense(1)])
    model.trainable = False
    assert all(not layer.trainable for layer in model.layers)
    model(np.ones((3, 2), np.float32))  # built now: made frozen
    assert all(not p.requires_grad for p in model.parameters()) and len(model.parameters()) == 6
    assert model.trainable_weights == [] and model.count_params() == 12 + 16 + 5
    model.trainable = True
    assert all(p.requires_grad for p in model.parameters())
    assert not any(b.requires_grad for b in model.buffers())  # buffers never train

    class Plain(nn.Module):  # a PyTorch-style module with a parameter of its own
        def __init__(self):
            self.scale = nn.parameter(np.ones(2))
            self.fc = Dense(1, input_dim=2)

    m = Plain()
    m.trainable = False
    assert [n for n, _ in m.named_parameters()] == ["scale", "fc.kernel", "fc.bias"]
    assert not m.scale.requires_grad and m.state_dict()["scale"].shape == (2,)


def test_a_frozen_model_still_saves_and_loads_its_weights(tmp_path):
    model = Sequential([Dense(3, input_dim=2), Dense(1)])
    model.trainable = False
    path = str(tmp_path / "frozen.safetensors")
    model.save(path)
    other = Sequential([Dense(3, input_dim=2), Dense(1)])
    other.load(path)
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# --- regularizers ---------------------------------------------------------------------------


def test_regularizer_formulas_and_keras_defaults():
    w = Tensor(np.array([[1.0, -2.0], [0.5, 0.0]]))
    r = nn.regularizers
    assert r.L1()(w).item() == pytest.approx(0.01 * 3.5)
    assert r.L2()(w).item() == pytest.approx(0.01 * 5.25)  # l2 * sum(x**2), no 1/2
    assert r.L1L2()(w).item() == 0.0  # Keras's L1L2 defaults to zeros
    assert r.L1L2(l1=0.1, l2=0.2)(w).item() == pytest.approx(0.1 * 3.5 + 0.2 * 5.25)
    assert r.l1_l2()(w).item() == pytest.approx(0.01 * 3.5 + 0.01 * 5.25)
    assert r.get("l1") == r.L1(0.01) and r.get("l2") == r.L2(0.01) and r.get(None) is None
    assert r.get(r.serialize(r.L1L2(l1=0.3))) == r.L1L2(l1=0.3)
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'"):
        r.get("l3")
    with pytest.raises(ValueError, match=r"Received: l2=-1"):
        r.L2(-1)


def test_model_losses_are_the_penalties_of_the_current_weights():
    nn.set_seed(0)
    model = Sequential(
        [
            Dense(
                4, input_dim=3, kernel_regularizer=nn.regularizers.L2(0.1), bias_regularizer="l1"
            ),
            Dense(1, kernel_regularizer="l1"),
        ]
    )
    penalties = model.losses
    assert len(penalties) == 3 and all(isinstance(p, Tensor) and p.size == 1 for p in penalties)
    k0, b0, k1 = model.layers[0].kernel.data, model.layers[0].bias.data, model.layers[1].kernel.data
    expected = [0.1 * (k0**2).sum(), 0.01 * np.abs(b0).sum(), 0.01 * np.abs(k1).sum()]
    np.testing.assert_allclose([p.item() for p in penalties], expected, rtol=1e-6)
    model.layers[1].kernel.data[...] = 2.0
    assert model.losses[2].item() == pytest.approx(0.01 * 2.0 * 4)  # recomputed, not cached
    model.layers[1].trainable = False
    assert len(model.losses) == 2  # frozen weights add no penalty (Keras)
    emb = nn.Embedding(5, 2, embeddings_regularizer=nn.regularizers.L2(0.5))
    assert emb.losses[0].item() == pytest.approx(0.5 * (emb.embeddings.data**2).sum(), rel=1e-6)


def test_fit_adds_the_penalties_to_the_loss_and_to_the_gradient():
    x, y = _data(32)
    nn.set_seed(0)
    model = Sequential([Dense(1, input_dim=2, kernel_regularizer=nn.regularizers.L2(0.5))])
    model.compile(optimizer=nn.optim.SGD(lr=0.0), loss="mse")  # lr 0: the weights stay
    h = model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    k = model.layers[0].kernel.data
    data_loss = float(np.mean((x @ k + model.layers[0].bias.data - y) ** 2))
    penalty = 0.5 * float((k**2).sum())
    assert h.history["loss"][0] == pytest.approx(data_loss + penalty, rel=1e-5)
    assert model.evaluate(x, y) == pytest.approx(data_loss + penalty, rel=1e-5)  # as Keras
    logs = model.train_step(x, y)
    assert logs["loss"] == pytest.approx(data_loss + penalty, rel=1e-5)
    err = x @ k + model.layers[0].bias.data - y
    grad = 2 * x.T @ err / len(x) + 2 * 0.5 * k  # d/dk mse + d/dk l2 * sum(k**2)
    np.testing.assert_allclose(model.layers[0].kernel.grad, grad, rtol=1e-4, atol=1e-6)


def test_regularized_layers_round_trip_their_config():
    layer = Dense(3, kernel_regularizer=nn.regularizers.L1L2(l1=0.1, l2=0.2), bias_regularizer="l2")
    config = layer.get_config()
    assert config["kernel_regularizer"] == {"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}
    again = Dense(**config)
    assert again.kernel_regularizer == layer.kernel_regularizer
    assert again.bias_regularizer == nn.regularizers.L2(0.01)
