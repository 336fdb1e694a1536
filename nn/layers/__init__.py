"""Layers (Keras's names): ``Dense``, ``Dropout``, ``BatchNormalization``, ``Embedding``, ...

``base`` holds what every layer shares (parameter discovery, the deferred build, naming,
the training flag); each layer has a module of its own.
"""

from autograd_core import linear

from .activation import Activation, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .add import Add
from .base import Layer, Module, is_parameter, parameter
from .batch_normalization import BatchNormalization
from .concatenate import Concatenate
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten
from .input_layer import Input, InputLayer
from .layer_normalization import LayerNormalization
from .reshape import Reshape

__all__ = [
    "Module",
    "Layer",
    "parameter",
    "is_parameter",
    "Input",
    "InputLayer",
    "Dense",
    "Activation",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LeakyReLU",
    "Flatten",
    "Reshape",
    "Dropout",
    "BatchNormalization",
    "LayerNormalization",
    "Embedding",
    "Add",
    "Concatenate",
    "linear",
]
