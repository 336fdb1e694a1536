"""MNIST under Keras's name: ``from nn.datasets import mnist``."""

from __future__ import annotations

import os


def load_data(path: str | os.PathLike | None = None) -> tuple:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.mnist.load_data()``
    returns them, read from the four IDX files (see ``nn.datasets.load_mnist``)."""
    from . import load_mnist

    return load_mnist(path)
