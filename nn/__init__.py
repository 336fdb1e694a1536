"""nn: Keras-style layers, losses, optimizers and training on top of autograd_core.

>>> import nn
>>> from nn import Sequential, Dense
>>> model = Sequential([Dense(4, input_dim=2, activation="relu"),
...                     Dense(1, activation="sigmoid")])
>>> model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
"""

import importlib
from typing import Any

from autograd_core._aliases import alias_modules

from . import (
    activations,
    callbacks,
    datasets,
    export,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from . import optimizers as optim
from ._seed import set_seed
from .callbacks import (
    BackupAndRestore,
    Callback,
    CSVLogger,
    EarlyStopping,
    EpochTimer,
    GradientFlow,
    GradientFlowWarning,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from .fusion import unfused
from .layers import (
    Activation,
    Add,
    BatchNormalization,
    Concatenate,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Input,
    InputLayer,
    Layer,
    LayerNormalization,
    LeakyReLU,
    Module,
    ReLU,
    Reshape,
    Sigmoid,
    Softmax,
    Tanh,
    parameter,
)
from .models import Model, Sequential

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
    "Input",
    "InputLayer",
    "Flatten",
    "Reshape",
    "Dropout",
    "BatchNormalization",
    "LayerNormalization",
    "Embedding",
    "Add",
    "Concatenate",
    "Model",
    "Sequential",
    "History",
    "Callback",
    "EarlyStopping",
    "EpochTimer",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "CSVLogger",
    "TerminateOnNaN",
    "LearningRateScheduler",
    "LambdaCallback",
    "BackupAndRestore",
    "GradientFlow",
    "GradientFlowWarning",
    "set_seed",
    "unfused",
    "activations",
    "callbacks",
    "datasets",
    "export",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optim",
    "optimizers",
    "regularizers",
    "saving",
    "utils",
]

# Module paths from before nn had its layers/ and models/ packages keep working:
# ``from nn.model import Sequential`` imports the moved module through an alias.
_MOVED = {"layer": "layers.base", "model": "models.sequential"}
alias_modules(__name__, _MOVED)


def __getattr__(name: str) -> Any:
    # ``import nn.model`` binds ``nn`` and then reads ``nn.model`` as an attribute: answer with
    # the moved module, without listing the old name in ``dir(nn)``.
    if name in _MOVED:
        return importlib.import_module(f"{__name__}.{_MOVED[name]}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
