"""The packages show the rooms (layers/, models/), and the module paths from before they
existed keep importing the same objects."""

import importlib
import importlib.util

import pytest

import nn


def test_layers_and_models_are_packages_with_their_names():
    from nn.layers import Activation, Dense, Layer, LeakyReLU, Module, ReLU, Sigmoid, Softmax, Tanh
    from nn.models import Model, Sequential

    assert (nn.Model, nn.Sequential) == (Model, Sequential) and issubclass(Sequential, Model)
    assert issubclass(Model, Layer) and issubclass(Layer, Module)
    assert nn.layers.Dense is Dense and Dense.__module__ == "nn.layers.dense"
    for cls in (Activation, ReLU, Sigmoid, Tanh, Softmax, LeakyReLU):
        assert cls.__module__ == "nn.layers.activation"
    assert Model.__module__ == "nn.models.model" and Sequential.__module__ == "nn.models.sequential"
    assert {"Model", "models", "layers"} <= set(nn.__all__)


def test_old_module_paths_still_import():
    from nn.layer import Layer, Module, is_parameter, parameter
    from nn.layers import linear
    from nn.model import Sequential

    assert (Layer, Module, parameter, Sequential) == (
        nn.Layer,
        nn.Module,
        nn.parameter,
        nn.Sequential,
    )
    assert is_parameter(parameter([1.0])) and linear is nn.layers.linear
    assert importlib.import_module("nn.layer") is nn.layers.base
    assert importlib.import_module("nn.model") is nn.models.sequential
    assert nn.layer is nn.layers.base and nn.model is nn.models.sequential
    assert "layer" not in dir(nn) and "model" not in dir(nn)  # the tree shows the new layout


def test_activations_module_gives_functions_and_layers():
    from nn.activations import Activation, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, get, name_of

    assert (ReLU, Softmax, Activation) == (nn.ReLU, nn.Softmax, nn.Activation)
    assert (Sigmoid, Tanh, LeakyReLU) == (nn.Sigmoid, nn.Tanh, nn.LeakyReLU)
    assert name_of(ReLU()) == "relu" and name_of(get("tanh")) == "tanh"
    with pytest.raises(AttributeError, match="Relu"):
        nn.activations.Relu  # noqa: B018  (a misspelt name must not import)


def test_the_demo_is_an_example_not_part_of_the_package():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert (root / "examples" / "demo.py").is_file()
    assert importlib.util.find_spec("nn.demo") is None
