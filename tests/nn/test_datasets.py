"""Generated 2-D data sets and the IDX reader (Fashion-MNIST, MNIST)."""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np
import pytest

import nn
from nn import datasets

REAL_FASHION = all(
    os.path.exists(os.path.join(datasets.DEBIAN_FASHION_MNIST, f"{s}.gz"))
    for s in datasets._FILES.values()
)


def test_make_circles_geometry_labels_and_seed():
    X, y = datasets.make_circles(101, factor=0.5, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.5, rtol=1e-6)
    a, b = (
        datasets.make_circles(50, noise=0.1, seed=3),
        datasets.make_circles(50, noise=0.1, seed=3),
    )
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], datasets.make_circles(50, noise=0.1, seed=4)[0])
    with pytest.raises(ValueError, match="factor"):
        datasets.make_circles(10, factor=1.5)


def test_make_moons_lie_on_their_half_circles():
    X, y = datasets.make_moons(40, seed=1)
    top, bottom = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*top.T), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(bottom[:, 0] - 1, bottom[:, 1] - 0.5), 1.0, rtol=1e-6)
    assert (top[:, 1] >= -1e-7).all() and (bottom[:, 1] <= 0.5 + 1e-7).all()


def test_make_spirals_arms_and_labels():
    X, y = datasets.make_spirals(301, n_arms=3, seed=0)
    assert X.shape == (301, 2) and sorted(set(y.tolist())) == [0, 1, 2]
    assert np.bincount(y).tolist() == [101, 100, 100]
    assert np.hypot(*X.T).max() <= 1.0 + 1e-6
    with pytest.raises(ValueError, match="n_arms"):
        datasets.make_spirals(10, n_arms=1)


def test_higham_points_are_the_papers():
    X, y = datasets.higham_points()
    assert X.shape == (10, 2) and y.tolist() == [0] * 5 + [1] * 5
    np.testing.assert_allclose(
        X[:, 0], [0.1, 0.3, 0.1, 0.6, 0.4, 0.6, 0.5, 0.9, 0.4, 0.7], rtol=1e-6
    )
    X20, y20 = datasets.higham_points(20)
    assert X20.shape == (20, 2) and y20.tolist() == y.tolist() * 2
    np.testing.assert_array_equal(X20[:10], X)  # the paper's points, then jittered copies
    assert np.abs(X20[10:] - X).max() < 0.1
    with pytest.raises(ValueError, match="multiple of 10"):
        datasets.higham_points(15)


# --- IDX --------------------------------------------------------------------------------------


def _idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    head = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", n) for n in arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write_fake_set(folder, n_train=6, n_test=4):
    r = np.random.default_rng(0)
    parts = {
        "train-images-idx3-ubyte": r.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": r.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": r.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": r.integers(0, 10, n_test, dtype=np.uint8),
    }
    for stem, arr in parts.items():
        with gzip.open(os.path.join(folder, stem + ".gz"), "wb") as f:
            f.write(_idx_bytes(arr))
    return parts


def test_load_idx_reads_gz_and_plain_files_of_any_type(tmp_path):
    ints = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    (tmp_path / "a.idx").write_bytes(_idx_bytes(ints, 0x0C))
    got = datasets.load_idx(tmp_path / "a.idx")
    assert got.dtype == np.int32 and np.array_equal(got, ints)
    floats = np.linspace(0, 1, 5)
    with gzip.open(tmp_path / "b.gz", "wb") as f:
        f.write(_idx_bytes(floats, 0x0E))
    np.testing.assert_array_equal(datasets.load_idx(tmp_path / "b.gz"), floats)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda b: b"\x01\x00" + b[2:], "not an IDX file"),
        (lambda b: b[:2] + b"\x07" + b[3:], "not an IDX file"),
        (lambda b: b[:-5], "damaged"),
        (lambda b: b + b"\x00", "damaged"),
        (lambda b: b[:6], "truncated inside its header"),
    ],
)
def test_load_idx_rejects_damaged_files(tmp_path, damage, message):
    good = _idx_bytes(np.zeros((3, 2, 2), dtype=np.uint8))
    (tmp_path / "x.idx").write_bytes(damage(good))
    with pytest.raises(ValueError, match=message):
        datasets.load_idx(tmp_path / "x.idx")


def test_load_idx_rejects_a_damaged_gzip(tmp_path):
    raw = gzip.compress(_idx_bytes(np.zeros((50, 4), dtype=np.uint8)))
    (tmp_path / "x.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="damaged gzip"):
        datasets.load_idx(tmp_path / "x.gz")


def test_load_fashion_mnist_from_a_folder_and_the_environment(tmp_path, monkeypatch):
    parts = _write_fake_set(tmp_path)
    (x_train, y_train), (x_test, y_test) = datasets.load_fashion_mnist(tmp_path)
    assert x_train.shape == (6, 28, 28) and x_train.dtype == np.uint8
    assert y_test.dtype == np.uint8 and np.array_equal(y_test, parts["t10k-labels-idx1-ubyte"])
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_MNIST", str(tmp_path / "nowhere"))
    (a, _), _ = datasets.load_fashion_mnist()
    assert np.array_equal(a, x_train)
    (m, _), _ = datasets.load_mnist(tmp_path)  # the same reader and file names
    assert np.array_equal(m, x_train)


def test_missing_files_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_MNIST", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist.*zalando"):
        datasets.load_fashion_mnist()
    with pytest.raises(FileNotFoundError, match="MNIST_DIR"):
        datasets.load_mnist(tmp_path)


def test_mismatched_image_and_label_counts_are_refused(tmp_path):
    _write_fake_set(tmp_path)
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(_idx_bytes(np.zeros(5, dtype=np.uint8)))
    with pytest.raises(ValueError, match="train files do not fit together"):
        datasets.load_fashion_mnist(tmp_path)


@pytest.mark.skipif(
    not REAL_FASHION,
    reason="Fashion-MNIST files not installed (apt-get install dataset-fashion-mnist)",
)
def test_real_fashion_mnist_has_keras_shapes():
    (x_train, y_train), (x_test, y_test) = nn.datasets.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


def _gz_idx(tmp_path, dims, payload: bytes, name="bomb.gz"):
    head = bytes([0, 0, 0x08, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    path = tmp_path / name
    with gzip.open(path, "wb") as f:
        f.write(head + payload)
    return path


def test_load_idx_decompresses_no_more_than_the_header_announces(tmp_path):
    import tracemalloc

    # 10 bytes announced, 64 MB of zeros behind them (compressed to about 64 KB)
    path = _gz_idx(tmp_path, (2, 5), b"\x00" * (64 << 20))
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="bytes after the 10 its header"):
            datasets.load_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20  # a few buffers, never the 64 MB


def test_load_idx_refuses_a_stream_shorter_than_its_header(tmp_path):
    path = _gz_idx(tmp_path, (4, 5), b"\x01" * 7)
    with pytest.raises(ValueError, match="truncated: an array of shape \\(4, 5\\).*holds 7"):
        datasets.load_idx(path)


def test_load_idx_refuses_a_huge_claim_before_decompressing(tmp_path):
    path = _gz_idx(tmp_path, (60000, 28, 28, 28, 28), b"")
    with pytest.raises(ValueError, match="above the limit max_bytes"):
        datasets.load_idx(path)
    exact = _gz_idx(tmp_path, (3,), b"\x01\x02\x03", name="ok.gz")
    np.testing.assert_array_equal(datasets.load_idx(exact), [1, 2, 3])
    with pytest.raises(ValueError, match="above the limit"):
        datasets.load_idx(exact, max_bytes=2)
