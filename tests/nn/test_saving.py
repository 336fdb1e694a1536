"""Weights on disk: safetensors round trips, atomic writes, damaged and mismatched files."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import nn
from nn import Dense, Sequential


def _model(hidden=4, seed=0):
    nn.set_seed(seed)
    return Sequential(
        [Dense(hidden, input_dim=2, activation="relu"), Dense(1, activation="sigmoid")]
    )


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_save_then_load_round_trips_and_is_plain_safetensors(tmp_path):
    path = tmp_path / "model.safetensors"
    src, dst = _model(seed=1), _model(seed=2)
    src.save(str(path))
    assert os.listdir(tmp_path) == ["model.safetensors"]  # exactly that path, no extras
    data = load_file(str(path))  # any safetensors reader can open it
    assert _same(data, src.state_dict())
    # the header is JSON naming each tensor; no pickle anywhere
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    assert header["0.kernel"]["dtype"] == "F32" and header["0.kernel"]["shape"] == [2, 4]
    ids = [id(p.data) for p in dst.parameters()]
    dst.load(str(path))
    assert _same(dst.state_dict(), src.state_dict())
    assert [id(p.data) for p in dst.parameters()] == ids  # loaded in place


def test_a_crash_during_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    old = _model(seed=1)
    old.save(str(path))
    before = path.read_bytes()

    def crash(fd):  # the process dies after writing, before the rename
        raise OSError("simulated power cut")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated power cut"):
        _model(seed=2).save(str(path))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.safetensors"]  # the temporary file is gone

    monkeypatch.undo()
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        _model(seed=3).save(str(path))
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["w.safetensors"]
    monkeypatch.setattr(os, "replace", real_replace)
    _model(seed=3).save(str(path))
    assert path.read_bytes() != before


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "bad_header"])
def test_a_damaged_file_raises_and_changes_nothing(tmp_path, damage):
    path = tmp_path / "w.safetensors"
    _model(seed=1).save(str(path))
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) - 10])
    elif damage == "garbage":
        path.write_bytes(os.urandom(200))
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(raw[:8] + b"{not json" + raw[17:])
    model = _model(seed=2)
    before = model.state_dict()
    with pytest.raises(ValueError, match="not a readable safetensors"):
        model.load(str(path))
    assert _same(model.state_dict(), before)


def test_a_mismatched_file_names_the_parameter_and_changes_nothing(tmp_path):
    path = tmp_path / "w.safetensors"
    _model(hidden=5).save(str(path))
    model = _model(hidden=4)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'0.kernel' has shape \(2, 4\).*\(2, 5\)"):
        model.load(str(path))
    assert _same(model.state_dict(), before)
    # a file missing a parameter, or holding an unknown one
    weights = _model(hidden=4).state_dict()
    del weights["1.bias"]
    weights["extra"] = np.zeros(3, dtype=np.float32)
    save_file(weights, str(path))
    with pytest.raises(ValueError, match=r"missing parameters \['1.bias'\].*unexpected.*extra"):
        model.load(str(path))
    assert _same(model.state_dict(), before)


def test_state_dict_is_a_copy_and_load_state_dict_checks_first():
    model = _model()
    state = model.state_dict()
    state["0.kernel"][...] = 7.0
    assert not (model.layers[0].kernel.data == 7.0).any()
    before = model.state_dict()
    bad = dict(state)
    bad["1.kernel"] = np.zeros((3, 1))
    with pytest.raises(ValueError, match="'1.kernel'"):
        model.load_state_dict(bad)
    assert _same(model.state_dict(), before)  # 0.kernel (checked first) was not written
    model.load_state_dict(state)
    assert (model.layers[0].kernel.data == 7.0).all()


def test_saving_an_unbuilt_model_is_explained(tmp_path):
    with pytest.raises(ValueError, match="no parameters yet"):
        Sequential([Dense(3)]).save(str(tmp_path / "x.safetensors"))
    assert not (tmp_path / "x.safetensors").exists()


def test_get_and_set_weights_in_parameter_order():
    a, b = _model(seed=1), _model(seed=2)
    weights = a.get_weights()
    assert [w.shape for w in weights] == [(2, 4), (4,), (4, 1), (1,)]
    b.set_weights(weights)
    assert _same(a.state_dict(), b.state_dict())
    with pytest.raises(ValueError, match="expects 4 arrays"):
        b.set_weights(weights[:3])
