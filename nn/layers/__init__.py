"""Layers: the ``Module`` and ``Layer`` bases, ``Dense``, and the activations as layers.

``base`` holds what every layer shares (parameter discovery, the deferred build, naming);
each layer has a module of its own.
"""

from autograd_core import linear

from .activation import Activation, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Layer, Module, is_parameter, parameter
from .dense import Dense

__all__ = [
    "Module",
    "Layer",
    "parameter",
    "is_parameter",
    "Dense",
    "Activation",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LeakyReLU",
    "linear",
]
