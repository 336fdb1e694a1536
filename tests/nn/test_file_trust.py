"""Files are not trusted: crafted safetensors files are refused before their data is read
and leave the model as it was; 16- and 8-bit floats load as float32; saves keep the modes,
symlinks and folders users expect (one helper for nn and autograd_core)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import nn
from autograd_core import _files
from nn import Dense, Sequential
from nn.saving import safetensors_io


def _model(seed=0):
    nn.set_seed(seed)
    return Sequential([Dense(3, input_dim=2), Dense(1)])


def _craft(path, header: dict, data: bytes, length: int | None = None) -> None:
    text = json.dumps(header).encode()
    n = len(text) if length is None else length
    path.write_bytes(n.to_bytes(8, "little") + text + data)


def _good_header():
    # the four tensors of _model(), F32, laid out one after the other
    shapes = {"0.kernel": [2, 3], "0.bias": [3], "1.kernel": [3, 1], "1.bias": [1]}
    header, at = {}, 0
    for name, shape in shapes.items():
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [at, at + size]}
        at += size
    return header, at


def _refused(path, match):
    model = _model(seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match=match):
        model.load(str(path))
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_the_good_crafted_file_loads(tmp_path):
    header, size = _good_header()
    _craft(tmp_path / "w.safetensors", header, np.arange(size // 4, dtype="<f4").tobytes())
    model = _model()
    model.load(str(tmp_path / "w.safetensors"))
    np.testing.assert_array_equal(model.layers[0].kernel.data.ravel(), [0, 1, 2, 3, 4, 5])


def test_a_header_length_beyond_the_file_is_refused(tmp_path):
    header, size = _good_header()
    _craft(tmp_path / "w.safetensors", header, bytes(size), length=10_000)
    _refused(tmp_path / "w.safetensors", "header length is 10000 bytes but the file has only")


def test_a_huge_header_claim_is_refused_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as f:
        f.write((1 << 30).to_bytes(8, "little"))
        f.truncate((1 << 30) + 64)  # sparse: 1 GiB of "header" that costs no disk
    reads = []
    real_open = open

    class Spy:
        def __init__(self, f):
            self.f = f

        def read(self, n=-1):
            reads.append(n)
            return self.f.read(n)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr("builtins.open", lambda *a, **k: Spy(real_open(*a, **k)))
    _refused(path, "header length is 1073741824 bytes, above the limit")
    monkeypatch.undo()
    assert reads and max(reads) == 8  # the length, nothing more


def test_dev_zero_is_refused(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    _refused("/dev/zero", "not a regular file")


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda h: h["0.bias"].update(data_offsets=[-4, 8]), "out of order"),
        (lambda h: h["0.bias"].update(data_offsets=[24, 20]), "out of order"),
        (
            lambda h: h["0.bias"].update(data_offsets=[24, 40]),
            "12 bytes, but its data_offsets \\[24, 40\\] span 16",
        ),
        (lambda h: h["1.kernel"].update(data_offsets=[32, 44]), "overlap"),
        (lambda h: h["0.kernel"].update(dtype="F64"), "48 bytes.*span 24"),
        (lambda h: h["0.kernel"].update(shape=[3, 3]), r"shape \(3, 3\), 36 bytes"),
        (lambda h: h["0.kernel"].update(shape=[2, -3]), "not a list of sizes"),
        (lambda h: h["0.kernel"].update(dtype="C64"), "unsupported dtype C64 in tensor '0.kernel'"),
        (lambda h: h["1.bias"].update(data_offsets=[48, 60]), "ends at byte 60"),
        (lambda h: h.update(__metadata__={"format": 3}), "mapping of strings"),
    ],
    ids=[
        "negative_offset",
        "reversed_offsets",
        "offsets_span_more",
        "overlapping",
        "dtype_mismatch",
        "shape_mismatch",
        "negative_size",
        "unknown_dtype",
        "beyond_data",
        "bad_metadata",
    ],
)
def test_an_inconsistent_header_is_refused(tmp_path, edit, match):
    header, size = _good_header()
    edit(header)
    _craft(tmp_path / "w.safetensors", header, bytes(size))
    _refused(tmp_path / "w.safetensors", match)


def test_truncated_data_is_refused(tmp_path):
    header, size = _good_header()
    _craft(tmp_path / "w.safetensors", header, bytes(size - 4))
    _refused(tmp_path / "w.safetensors", "ends at byte 52 of the data, but the file holds only 48")


def test_trailing_bytes_and_gaps_are_refused(tmp_path):
    header, size = _good_header()
    _craft(tmp_path / "w.safetensors", header, bytes(size + 4))
    _refused(tmp_path / "w.safetensors", "4 bytes after its last tensor")


def _bf16_bytes(values: np.ndarray) -> bytes:
    return (values.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()


def test_bf16_and_f16_load_as_float32(tmp_path):
    exact = np.array([1.0, -2.5, 0.15625, 3.0e38, -0.0, np.inf], dtype=np.float32)
    header = {
        "b": {"dtype": "BF16", "shape": [6], "data_offsets": [0, 12]},
        "h": {"dtype": "F16", "shape": [2, 3], "data_offsets": [12, 24]},
    }
    halves = np.array([[0.5, -1.0, 65504.0], [6.1e-5, 1e-7, 2.0]], dtype="<f2")
    _craft(tmp_path / "x.safetensors", header, _bf16_bytes(exact) + halves.tobytes())
    _, arrays = safetensors_io.read(tmp_path / "x.safetensors")
    assert arrays["b"].dtype == np.float32 and arrays["h"].dtype == np.float32
    # 3.0e38 keeps only its top 16 bits: the bf16 value, exactly
    truncated = (exact.view(np.uint32) & 0xFFFF0000).view(np.float32)
    np.testing.assert_array_equal(arrays["b"], truncated)
    np.testing.assert_array_equal(arrays["h"], halves.astype(np.float32))


def test_a_bf16_weights_file_loads_into_a_model(tmp_path):
    from safetensors.numpy import save_file

    src = _model(seed=3)
    state = src.state_dict()
    header, at, data = {}, 0, b""
    for name, arr in state.items():
        raw = _bf16_bytes(arr)
        header[name] = {
            "dtype": "BF16",
            "shape": list(arr.shape),
            "data_offsets": [at, at + len(raw)],
        }
        at, data = at + len(raw), data + raw
    _craft(tmp_path / "w.safetensors", header, data)
    dst = _model(seed=4)
    dst.load(str(tmp_path / "w.safetensors"))
    for name, arr in state.items():
        want = (arr.view(np.uint32) & 0xFFFF0000).view(np.float32)
        np.testing.assert_array_equal(dst.state_dict()[name], want)
    save_file(state, str(tmp_path / "plain.safetensors"))  # a file from another writer
    dst.load(str(tmp_path / "plain.safetensors"))
    assert all(np.array_equal(dst.state_dict()[k], v) for k, v in state.items())


@pytest.mark.parametrize(
    "dtype, byte_values",
    [
        # E4M3FN: max 448, min subnormal 2^-9, S.1111.111 is NaN, no infinities
        ("F8_E4M3", {0x00: 0.0, 0x38: 1.0, 0x7E: 448.0, 0x01: 2.0**-9, 0xC0: -2.0, 0x08: 2.0**-6}),
        # E5M2: max 57344, min subnormal 2^-16, 0x7C is +inf
        ("F8_E5M2", {0x3C: 1.0, 0x7B: 57344.0, 0x01: 2.0**-16, 0x7C: np.inf, 0xFC: -np.inf}),
    ],
)
def test_fp8_loads_as_float32(tmp_path, dtype, byte_values):
    raw = bytes(byte_values)
    header = {"x": {"dtype": dtype, "shape": [len(raw)], "data_offsets": [0, len(raw)]}}
    _craft(tmp_path / "x.safetensors", header, raw)
    got = safetensors_io.read(tmp_path / "x.safetensors")[1]["x"]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.array(list(byte_values.values()), dtype=np.float32))
    nan_byte = 0x7F if dtype == "F8_E4M3" else 0x7D
    _craft(
        tmp_path / "n.safetensors",
        {**header, "x": {**header["x"], "shape": [1], "data_offsets": [0, 1]}},
        bytes([nan_byte]),
    )
    assert np.isnan(safetensors_io.read(tmp_path / "n.safetensors")[1]["x"]).all()


@pytest.mark.parametrize("dtype", ["F8_E4M3", "F8_E5M2"])
def test_fp8_tables_agree_with_torch_on_all_256_values(tmp_path, dtype):
    torch = pytest.importorskip("torch")
    kind = {"F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2}[dtype]
    raw = bytes(range(256))
    _craft(
        tmp_path / "x.safetensors",
        {"x": {"dtype": dtype, "shape": [256], "data_offsets": [0, 256]}},
        raw,
    )
    got = safetensors_io.read(tmp_path / "x.safetensors")[1]["x"]
    want = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(kind).float().numpy()
    np.testing.assert_array_equal(got, want)  # NaNs in the same places too


# --- writing --------------------------------------------------------------------------------


@pytest.fixture
def umask():
    old = os.umask(0o022)
    os.umask(old)

    def set_mask(mask):
        os.umask(mask)

    yield set_mask
    os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_umask_permissions(tmp_path, umask, mask, mode):
    umask(mask)
    _model().save(str(tmp_path / "w.safetensors"))
    _model().save(tmp_path / "m.safetensors")
    for name in ("w.safetensors", "m.safetensors"):
        assert os.stat(tmp_path / name).st_mode & 0o777 == mode


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize("existing", [0o644, 0o640, 0o600])
def test_an_existing_file_keeps_its_mode(tmp_path, umask, existing):
    path = tmp_path / "w.safetensors"
    path.write_bytes(b"old")
    os.chmod(path, existing)
    umask(0o077)
    _model().save(str(path))
    assert os.stat(path).st_mode & 0o777 == existing
    assert path.read_bytes() != b"old"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_a_save_through_a_symlink_replaces_its_target(tmp_path):
    real = tmp_path / "store"
    real.mkdir()
    target = real / "weights.safetensors"
    _model(seed=1).save(str(target))
    link = tmp_path / "current.safetensors"
    link.symlink_to(os.path.relpath(target, tmp_path))
    _model(seed=2).save(str(link))
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(target, tmp_path)
    loaded = _model(seed=3)
    loaded.load(str(target))
    want = _model(seed=2).state_dict()
    assert all(np.array_equal(loaded.state_dict()[k], want[k]) for k in want)
    assert sorted(os.listdir(real)) == ["weights.safetensors"]  # temp lived next to the target
    assert sorted(os.listdir(tmp_path)) == ["current.safetensors", "store"]
    # a dangling link: the write creates the file it names
    dangling = tmp_path / "later.safetensors"
    dangling.symlink_to("store/new.safetensors")
    _model().save(str(dangling))
    assert (real / "new.safetensors").is_file() and dangling.is_symlink()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporaries_of_the_same_target_are_cleaned(tmp_path):
    path = tmp_path / "w.safetensors"
    dead = tmp_path / f".w.safetensors.tmp-{_dead_pid()}-0123456789ab"
    old = tmp_path / f".w.safetensors.tmp-{os.getppid()}-abcdefabcdef"  # alive, but a day old
    alive = tmp_path / f".w.safetensors.tmp-{os.getppid()}-00112233aabb"  # alive and fresh
    other = tmp_path / f".other.safetensors.tmp-{_dead_pid()}-0123456789ab"  # another target
    unrelated = tmp_path / ".w.safetensors.tmp-notes"
    for p in (dead, old, alive, other, unrelated):
        p.write_bytes(b"partial")
    day_ago = time.time() - _files.STALE_AFTER_S - 60
    os.utime(old, (day_ago, day_ago))
    _model().save(str(path))
    left = sorted(os.listdir(tmp_path))
    assert left == sorted(["w.safetensors", alive.name, other.name, unrelated.name])


def test_temporaries_are_named_for_their_target():
    name = _files.temporary_name("w.safetensors")
    assert name.startswith(f".w.safetensors.tmp-{os.getpid()}-")
    assert _files._TMP.match(name)


def test_save_graph_uses_the_same_helper(tmp_path, umask):
    from autograd_core.viz import dot

    assert dot.atomic_write.__module__ == "autograd_core.viz.dot"
    umask(0o027)
    path = tmp_path / "sub" / "graph.dot"
    dot.atomic_write(path, "digraph {}")
    assert path.read_text() == "digraph {}" and os.stat(path).st_mode & 0o777 == 0o640
    os.chmod(path, 0o604)
    dot.atomic_write(path, "digraph { a }")
    assert os.stat(path).st_mode & 0o777 == 0o604
