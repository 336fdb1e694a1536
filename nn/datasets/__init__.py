"""Small data sets: generated 2-D problems (circles, moons, spirals) and the IDX reader for
Fashion-MNIST and MNIST.

The generators follow scikit-learn's ``make_circles`` / ``make_moons`` and return ``X`` in
the default float dtype (float32) and integer labels ``y``; a ``seed`` makes them repeatable.
Keras's spelling works too: ``from nn.datasets import fashion_mnist`` then
``fashion_mnist.load_data()`` (and ``mnist.load_data()``).
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from typing import Any

import numpy as np

from autograd_core import get_default_dtype

from .. import _seed

FASHION_MNIST_ENV = "FASHION_MNIST_DIR"
MNIST_ENV = "MNIST_DIR"
# Where Debian's dataset-fashion-mnist package installs the files.
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"

_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def _check_n(n: Any, who: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{who} expects a positive integer number of samples. Received: {n!r}")
    return int(n)


def _finish(
    X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator, shuffle: bool
) -> tuple[np.ndarray, np.ndarray]:
    if noise < 0:
        raise ValueError(f"noise must be >= 0. Received: noise={noise!r}")
    if shuffle:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X.astype(get_default_dtype()), y.astype(np.int64)


def make_circles(
    n: int = 100, noise: float = 0.0, factor: float = 0.8, seed: Any = None, shuffle: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: the outer (radius 1) is class 0, the inner (radius
    ``factor``) class 1; Gaussian ``noise`` is added to each coordinate."""
    n = _check_n(n, "make_circles")
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"make_circles expects 0 <= factor < 1. Received: factor={factor!r}")
    rng = _seed.make_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng, shuffle)


def make_moons(
    n: int = 100, noise: float = 0.0, seed: Any = None, shuffle: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 on top, class 1 below), as scikit-learn."""
    n = _check_n(n, "make_moons")
    rng = _seed.make_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng, shuffle)


def make_spirals(
    n: int = 100,
    noise: float = 0.0,
    n_arms: int = 2,
    seed: Any = None,
    turns: float = 0.75,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_arms`` interleaved spiral arms, one class each (labels ``0 .. n_arms - 1``).

    Along an arm the radius grows from near 0 to 1 while the angle sweeps ``turns`` full
    turns; arm ``k`` is rotated by ``2 pi k / n_arms``.
    """
    n = _check_n(n, "make_spirals")
    if isinstance(n_arms, bool) or not isinstance(n_arms, (int, np.integer)) or n_arms < 2:
        raise ValueError(f"make_spirals expects an integer n_arms >= 2. Received: {n_arms!r}")
    rng = _seed.make_rng(seed)
    sizes = [n // n_arms + (1 if k < n % n_arms else 0) for k in range(n_arms)]
    parts, labels = [], []
    for k, m in enumerate(sizes):
        r = np.linspace(0.05, 1.0, m)
        theta = 2 * np.pi * (turns * r + k / n_arms)
        parts.append(np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1))
        labels.append(np.full(m, k))
    return _finish(np.concatenate(parts), np.concatenate(labels), noise, rng, shuffle)


def higham_points(n: int = 10, noise: float = 0.02, seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """The 10 points of Higham & Higham (SIAM Review 2019): first 5 class A (label 0), last
    5 class B (label 1). ``n`` a multiple of 10 (20 in some versions of the exercise) adds
    copies of the 10 jittered by ``noise``, each keeping its class: the same problem, denser."""
    x1 = [0.1, 0.3, 0.1, 0.6, 0.4, 0.6, 0.5, 0.9, 0.4, 0.7]
    x2 = [0.1, 0.4, 0.5, 0.9, 0.2, 0.3, 0.6, 0.2, 0.4, 0.6]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 10 or n % 10:
        raise ValueError(
            f"higham_points takes n = 10 (the paper's points) or a multiple of "
            f"10. Received: n={n!r}"
        )
    base = np.stack([x1, x2], axis=1)
    labels = np.array([0] * 5 + [1] * 5)
    copies = n // 10 - 1
    X, y = base, labels
    if copies:
        rng = _seed.make_rng(seed)
        extra = np.tile(base, (copies, 1)) + rng.normal(scale=noise, size=(10 * copies, 2))
        X, y = np.concatenate([base, extra]), np.tile(labels, copies + 1)
    return X.astype(get_default_dtype()), y.astype(np.int64)


# --- IDX files --------------------------------------------------------------------------------

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


# The largest array load_idx reads; Fashion-MNIST's training images are 47 MB. A header
# claiming more is refused before anything is decompressed.
MAX_IDX_BYTES = 2**31


def _read_exactly(f: Any, n: int, path: str, what: str) -> bytes:
    """``n`` bytes from ``f`` (read in pieces, so a short stream costs only what it holds)."""
    out = bytearray()
    while len(out) < n:
        piece = f.read(min(n - len(out), 1 << 24))
        if not piece:
            raise ValueError(
                f"load_idx: {path!r} is truncated: {what} needs {n} bytes, the file holds "
                f"{len(out)}; the file is damaged"
            )
        out += piece
    return bytes(out)


def load_idx(path: str | os.PathLike, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read one IDX file (``.gz`` or not) as an ndarray, checking its magic number and size.

    The magic number and the dimensions are read first; then exactly the bytes they
    announce (at most ``max_bytes``), and one more to make sure the stream ends there. A
    compressed file is never decompressed beyond what its header declares.

    Raises:
        ValueError: the file is not IDX, is truncated, has trailing bytes, or announces
            more than ``max_bytes`` of data.
    """
    path = os.fspath(path)
    opener: Any = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            return _read_idx(f, path, max_bytes)
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise ValueError(
            f"load_idx: {path!r} is a damaged gzip file ({e}); download it again"
        ) from None


def _read_idx(f: Any, path: str, max_bytes: int) -> np.ndarray:
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_TYPES:
        raise ValueError(
            f"load_idx: {path!r} is not an IDX file (bad magic number "
            f"{magic.hex() or 'missing'}; expected 0000 followed by a type code "
            f"and the number of dimensions)"
        )
    ndim = magic[3]
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise ValueError(f"load_idx: {path!r} is truncated inside its header")
    dims = tuple(int.from_bytes(raw_dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[magic[2]])
    size = math.prod(dims) * dtype.itemsize
    if size > max_bytes:
        raise ValueError(
            f"load_idx: {path!r} announces an array of shape {dims} ({dtype.name}), "
            f"{size} bytes, above the limit max_bytes={max_bytes}"
        )
    data = _read_exactly(f, size, path, f"an array of shape {dims} ({dtype.name})")
    if f.read(1):
        raise ValueError(
            f"load_idx: {path!r} has bytes after the {size} its header (shape {dims}, "
            f"{dtype.name}) announces: the file is damaged"
        )
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _find(folder: str, stem: str) -> str | None:
    for name in (stem + ".gz", stem):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def _load_four(folder: str, what: str, classes: int) -> tuple:
    arrays = {}
    for key, stem in _FILES.items():
        found = _find(folder, stem)
        if found is None:
            raise FileNotFoundError(f"{what}: {stem}.gz is missing from {folder!r}")
        arrays[key] = load_idx(found)
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(
                f"{what}: the {part} files do not fit together: images of shape "
                f"{x.shape}, labels of shape {y.shape}"
            )
        if y.size and y.max() >= classes:
            raise ValueError(f"{what}: {part} labels go up to {y.max()}, expected 0..{classes - 1}")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_fashion_mnist(path: str | os.PathLike | None = None) -> tuple:
    """Fashion-MNIST as Keras returns it: ``(x_train, y_train), (x_test, y_test)``, uint8
    images ``(n, 28, 28)`` and uint8 labels 0-9.

    The four standard IDX ``.gz`` files are looked for in ``path``, else in the folder named
    by the environment variable ``FASHION_MNIST_DIR``, else where Debian's
    ``dataset-fashion-mnist`` package puts them.
    """
    folders = (
        [os.fspath(path)]
        if path is not None
        else [f for f in (os.environ.get(FASHION_MNIST_ENV), DEBIAN_FASHION_MNIST) if f]
    )
    for folder in folders:
        if all(_find(folder, stem) for stem in _FILES.values()):
            return _load_four(folder, "load_fashion_mnist", 10)
    raise FileNotFoundError(
        "load_fashion_mnist: the four Fashion-MNIST files (train-images-idx3-ubyte.gz, "
        "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
        f"were not found in {folders}. Install them with `apt-get install "
        "dataset-fashion-mnist` (Debian/Ubuntu), or download them from "
        "https://github.com/zalandoresearch/fashion-mnist (data/fashion) and pass the folder "
        f"as path=... or set {FASHION_MNIST_ENV}"
    )


def load_mnist(path: str | os.PathLike | None = None) -> tuple:
    """MNIST from its four IDX files (same names and format as Fashion-MNIST), found in
    ``path`` or the folder named by the environment variable ``MNIST_DIR``."""
    folder = os.fspath(path) if path is not None else os.environ.get(MNIST_ENV)
    if folder is None or not all(_find(folder, stem) for stem in _FILES.values()):
        raise FileNotFoundError(
            "load_mnist: the four MNIST IDX files (train-images-idx3-ubyte.gz, ...) were not "
            f"found{' in ' + repr(folder) if folder else ''}. Download them from the MNIST "
            f"page and pass their folder as path=... or set {MNIST_ENV}"
        )
    return _load_four(folder, "load_mnist", 10)


# Keras's modules, ``fashion_mnist.load_data()`` and ``mnist.load_data()`` (imported last:
# they call the loaders above).
from . import fashion_mnist as fashion_mnist  # noqa: E402
from . import mnist as mnist  # noqa: E402
