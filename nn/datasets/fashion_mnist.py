"""Fashion-MNIST under Keras's name: ``from nn.datasets import fashion_mnist``."""

from __future__ import annotations

import os


def load_data(path: str | os.PathLike | None = None) -> tuple:
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 28, 28)`` and uint8
    labels 0-9, as ``keras.datasets.fashion_mnist.load_data()`` returns them.

    The files are read from disk, never downloaded: see ``nn.datasets.load_fashion_mnist``
    for where they are looked for (``path``, ``FASHION_MNIST_DIR``, Debian's package).
    """
    from . import load_fashion_mnist

    return load_fashion_mnist(path)
