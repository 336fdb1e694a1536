"""Whole-model files: ``model.save`` / ``nn.models.load_model`` round trips (Sequential,
functional, registered subclasses), training that continues bit for bit after loading, the
registry that keeps loading from running code, and ``save_weights`` / ``load_weights``."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

import nn
from nn import Dense, Sequential
from nn.saving import SerializationError, register_serializable, safetensors_io

rng = np.random.default_rng(0)
X = rng.normal(size=(48, 4)).astype(np.float32)
Y = (X[:, :1] + X[:, 1:2] > 0).astype(np.float32)


def _sequential():
    return Sequential(
        [
            Dense(8, input_dim=4, activation="relu", kernel_regularizer="l2"),
            nn.BatchNormalization(),
            nn.Dropout(0.25, seed=3),
            Dense(1, activation="sigmoid"),
        ]
    )


def _functional():
    i = nn.Input((4,))
    a = Dense(6, activation="tanh")(i)
    b = Dense(6, activation="relu")(i)
    c = nn.Concatenate()([a, nn.Add()([a, b])])
    c = nn.LayerNormalization()(c)
    c = nn.Dropout(0.1)(c)
    return nn.Model(i, Dense(1, activation="sigmoid")(c), name="two_paths")


@register_serializable(package="tests")
class _TwoLayers(nn.Model):
    def __init__(self, units=5, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = Dense(units, activation="relu")
        self.out = Dense(1, activation="sigmoid")

    def call(self, x, training=False):
        return self.out(self.hidden(x))


@register_serializable(package="tests")
class _Scale(nn.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def forward(self, x):
        return x * self.factor


KINDS = {"sequential": _sequential, "functional": _functional, "subclassed": _TwoLayers}


def _optimizers():
    o = nn.optim
    return {
        "sgd": lambda: "sgd",
        "sgd_momentum": lambda: o.SGD(learning_rate=0.05, momentum=0.9),
        "sgd_nesterov": lambda: o.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        "rmsprop": lambda: "rmsprop",
        "rmsprop_centered": lambda: o.RMSprop(learning_rate=0.01, centered=True, momentum=0.5),
        "adam": lambda: "adam",
        "adam_amsgrad_decay": lambda: o.Adam(
            learning_rate=o.ExponentialDecay(0.02, 5, 0.5), amsgrad=True
        ),
        "adamw": lambda: o.AdamW(learning_rate=0.01, weight_decay=0.01),
        "adam_piecewise": lambda: o.Adam(
            learning_rate=o.PiecewiseConstantDecay([3, 6], [0.05, 0.01, 0.001])
        ),
        "adagrad_clipnorm": lambda: o.Adagrad(learning_rate=0.05, clipnorm=1.0),
        "adamax_clipvalue": lambda: o.Adamax(learning_rate=0.01, clipvalue=0.5),
        "nadam_cosine": lambda: o.Nadam(  # Nadam carries a scalar state, its momentum product
            learning_rate=o.CosineDecay(0.01, 100, warmup_target=0.02, warmup_steps=5),
            global_clipnorm=2.0,
        ),
    }


def _trained(kind, optimizer, seed=0):
    nn.set_seed(seed)
    model = KINDS[kind]()
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    return model


def _weights_equal(a, b):
    wa, wb = a.state_dict(), b.state_dict()
    return wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("opt", list(_optimizers()))
def test_training_continues_bit_for_bit_after_a_round_trip(tmp_path, kind, opt):
    model = _trained(kind, _optimizers()[opt]())
    path = tmp_path / "model.safetensors"
    model.save(path)
    loaded = nn.models.load_model(path)
    assert type(loaded) is type(model)
    assert _weights_equal(model, loaded)
    assert loaded.optimizer.iterations == model.optimizer.iterations
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    # the next steps (Dropout masks, schedules and moments included) are the same numbers
    for start in (0, 16):
        xb, yb = X[start : start + 16], Y[start : start + 16]
        assert loaded.train_on_batch(xb, yb) == model.train_on_batch(xb, yb)
    assert _weights_equal(model, loaded)


def test_fit_after_loading_equals_fit_without_saving(tmp_path):
    model = _trained("sequential", "adam")
    model.save(tmp_path / "m.safetensors")
    loaded = nn.models.load_model(tmp_path / "m.safetensors")
    nn.set_seed(7)
    h1 = model.fit(X, Y, epochs=2, batch_size=8, verbose=0).history
    nn.set_seed(7)
    h2 = loaded.fit(X, Y, epochs=2, batch_size=8, verbose=0).history
    assert h1 == h2
    assert _weights_equal(model, loaded)


def test_the_file_is_one_safetensors_file_with_documented_metadata(tmp_path):
    model = _trained("functional", "adam")
    path = tmp_path / "m.safetensors"
    model.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
    header = safetensors_io.read_header(path)
    meta = header.metadata
    assert meta["format"] == "nn-model" and meta["format_version"] == "1"
    assert meta["producer"].startswith("autograd-core")
    arch = json.loads(meta["model"])
    assert arch["class_name"] == "Model" and arch["registered_name"] == "nn.models>Model"
    assert {n["layer"] for n in arch["config"]["nodes"]} <= {
        e["config"]["name"] for e in arch["config"]["layers"]
    }
    settings = json.loads(meta["compile"])
    assert settings["optimizer"]["registered_name"] == "nn.optimizers>Adam"
    assert settings["optimizer"]["config"]["learning_rate"] == pytest.approx(1e-3)
    state = json.loads(meta["optimizer_state"])
    assert state["iterations"] == 6 and len(state["params"]) == len(model.parameters())
    tensors = load_file(str(path))  # any safetensors reader opens it
    assert f"optimizer/{state['params'][0]}/momentum" in tensors
    assert set(model.state_dict()) <= set(tensors)


def test_an_uncompiled_model_and_compile_false(tmp_path):
    nn.set_seed(1)
    model = _sequential()
    model.save(tmp_path / "m.safetensors")
    loaded = nn.models.load_model(tmp_path / "m.safetensors")
    assert loaded.optimizer is None and _weights_equal(model, loaded)
    trained = _trained("sequential", "sgd")
    trained.save(tmp_path / "t.safetensors")
    bare = nn.models.load_model(tmp_path / "t.safetensors", compile=False)
    assert bare.optimizer is None and _weights_equal(trained, bare)


def test_a_registered_layer_inside_a_sequential(tmp_path):
    nn.set_seed(2)
    model = Sequential([Dense(3, input_dim=4), _Scale(0.5), Dense(1)])
    model.save(tmp_path / "m.safetensors")
    loaded = nn.models.load_model(tmp_path / "m.safetensors")
    assert isinstance(loaded.layers[1], _Scale) and loaded.layers[1].factor == 0.5
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_an_unregistered_class_is_refused_with_the_fix(tmp_path):
    class Local(nn.Layer):
        def forward(self, x):
            return x

    nn.set_seed(0)
    Sequential([Dense(2, input_dim=4), Local()]).save(tmp_path / "m.safetensors")
    with pytest.raises(SerializationError, match="register_serializable"):
        nn.models.load_model(tmp_path / "m.safetensors")
    loaded = nn.models.load_model(tmp_path / "m.safetensors", custom_objects={"Local": Local})
    assert isinstance(loaded.layers[1], Local)


def _with_model_entry(src, dst, edit):
    meta, tensors = safetensors_io.read(src)
    arch = json.loads(meta["model"])
    edit(arch)
    meta["model"] = json.dumps(arch)
    safetensors_io.write(dst, tensors, meta)


@pytest.mark.parametrize(
    "where",
    ["model", "layer", "nested_initializer"],
)
def test_a_file_naming_other_code_is_refused_without_importing_it(tmp_path, where):
    module = "xml.dom.minidom"  # stands for os.system & co: anything not registered
    assert module not in sys.modules
    nn.set_seed(0)
    src = tmp_path / "good.safetensors"
    _sequential().save(src)
    evil = {"class_name": "parseString", "registered_name": f"{module}>parseString", "config": {}}

    def edit(arch):
        if where == "model":
            arch.update(evil)
        elif where == "layer":
            arch["config"]["layers"][0].update(evil)
        else:
            arch["config"]["layers"][0]["config"]["kernel_initializer"] = evil

    bad = tmp_path / "bad.safetensors"
    _with_model_entry(src, bad, edit)
    before = set(sys.modules)
    with pytest.raises((SerializationError, ValueError), match="parseString|not a registered"):
        nn.models.load_model(bad)
    assert module not in sys.modules and set(sys.modules) == before


def test_os_system_is_refused(tmp_path):
    src = tmp_path / "good.safetensors"
    nn.set_seed(0)
    _sequential().save(src)
    bad = tmp_path / "bad.safetensors"
    _with_model_entry(
        src,
        bad,
        lambda a: a.update(class_name="system", registered_name="os>system", module="os"),
    )
    with pytest.raises(SerializationError, match="'os>system', which is not a registered"):
        nn.models.load_model(bad)


def test_a_registered_class_of_the_wrong_kind_is_refused(tmp_path):
    src = tmp_path / "good.safetensors"
    nn.set_seed(0)
    _sequential().save(src)
    bad = tmp_path / "bad.safetensors"
    _with_model_entry(
        src,
        bad,
        lambda a: a["config"]["layers"][0].update(
            class_name="MeanSquaredError", registered_name="nn.losses>MeanSquaredError"
        ),
    )
    with pytest.raises(SerializationError, match="not a Module"):
        nn.models.load_model(bad)


def test_register_serializable_names_and_conflicts():
    assert nn.saving.get_registered_name(_TwoLayers) == "tests>_TwoLayers"
    assert nn.saving.get_registered_object("tests>_TwoLayers") is _TwoLayers
    assert nn.saving.get_registered_name(Dense) == "nn.layers>Dense"
    with pytest.raises(ValueError, match="already registered"):

        @register_serializable(package="tests", name="_TwoLayers")
        class Other(nn.Layer):
            pass

    with pytest.raises(ValueError, match="nn's own"):
        register_serializable(package="nn")


def test_save_weights_and_load_weights(tmp_path):
    model = _trained("functional", "adam", seed=1)
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    meta = safetensors_io.read_header(path).metadata
    assert meta["format"] == "nn-weights" and "model" not in meta
    nn.set_seed(5)
    other = _functional()
    other.load_weights(path)  # new automatic layer names: matched by position
    assert all(
        np.array_equal(a, b) for a, b in zip(model.get_weights(), other.get_weights(), strict=True)
    )
    with pytest.raises(ValueError, match="holds weights only"):
        nn.models.load_model(path)


def test_load_reads_the_weights_of_a_whole_model_file_in_place(tmp_path):
    model = _trained("sequential", "rmsprop", seed=1)
    path = tmp_path / "m.safetensors"
    model.save(path)
    nn.set_seed(9)
    other = _sequential()
    ids = [id(p.data) for p in other.parameters()]
    other.load(str(path))  # the optimizer tensors are skipped
    assert _weights_equal(model, other)
    assert [id(p.data) for p in other.parameters()] == ids


def test_a_file_whose_weights_do_not_fit_its_architecture_is_refused(tmp_path):
    src = tmp_path / "good.safetensors"
    nn.set_seed(0)
    _sequential().save(src)
    bad = tmp_path / "bad.safetensors"
    _with_model_entry(src, bad, lambda a: a["config"]["layers"][0]["config"].update(units=9))
    with pytest.raises(ValueError, match="do not fit the architecture"):
        nn.models.load_model(bad)


def test_save_overwrite_false(tmp_path):
    nn.set_seed(0)
    model = _sequential()
    model.save(tmp_path / "m.safetensors")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.safetensors", overwrite=False)


@pytest.mark.parametrize("entry", ["loss", "optimizer", "metric"])
def test_compile_settings_naming_other_code_are_refused_without_importing(tmp_path, entry):
    module = "xml.dom.minidom"
    assert module not in sys.modules
    src = tmp_path / "good.safetensors"
    _trained("sequential", "adam").save(src)
    meta, tensors = safetensors_io.read(src)
    settings = json.loads(meta["compile"])
    evil = {"class_name": "parseString", "registered_name": f"{module}>parseString", "config": {}}
    if entry == "metric":
        settings["metrics"][0] = evil
    else:
        settings[entry] = evil
    meta["compile"] = json.dumps(settings)
    bad = tmp_path / "bad.safetensors"
    safetensors_io.write(bad, tensors, meta)
    before = set(sys.modules)
    with pytest.raises(SerializationError, match="not a registered"):
        nn.models.load_model(bad)
    assert set(sys.modules) == before


@register_serializable(package="tests")
def _half_mse(y_true, y_pred):
    return nn.losses.mse(y_true, y_pred) * 0.5


def test_a_registered_loss_function_round_trips(tmp_path):
    nn.set_seed(0)
    model = Sequential([Dense(3, input_dim=4, activation="tanh"), Dense(1)])
    model.compile(loss=_half_mse, optimizer="sgd")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.safetensors")
    loaded = nn.models.load_model(tmp_path / "m.safetensors")
    assert loaded.train_on_batch(X, Y) == model.train_on_batch(X, Y)
