"""nn: Keras-style layers, losses, optimizers and training on top of autograd_core.

>>> import nn
>>> from nn import Sequential, Dense
>>> model = Sequential([Dense(4, input_dim=2, activation="relu"),
...                     Dense(1, activation="sigmoid")])
>>> model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
"""

from . import (
    activations,
    callbacks,
    datasets,
    initializers,
    losses,
    metrics,
    optimizers,
    saving,
    utils,
)
from . import optimizers as optim
from ._seed import set_seed
from .activations import Activation, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .callbacks import (
    Callback,
    EarlyStopping,
    GradientFlow,
    GradientFlowWarning,
    History,
    ModelCheckpoint,
)
from .layer import Layer, Module, parameter
from .layers import Dense
from .model import Sequential

__all__ = [
    "Module",
    "Layer",
    "parameter",
    "Dense",
    "Activation",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LeakyReLU",
    "Sequential",
    "History",
    "Callback",
    "EarlyStopping",
    "ModelCheckpoint",
    "GradientFlow",
    "GradientFlowWarning",
    "set_seed",
    "activations",
    "callbacks",
    "datasets",
    "initializers",
    "losses",
    "metrics",
    "optim",
    "optimizers",
    "saving",
    "utils",
]
