"""model.compile(jit=True): fit, evaluate and predict run compiled steps, with the same
History, evaluation and predictions as eager mode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import nn


def _run(jit: bool, optimizer: str) -> tuple[dict, Any, np.ndarray, Any]:
    nn.set_seed(1)
    x, y = nn.datasets.make_circles(200, noise=0.1, factor=0.5, seed=0)
    model = nn.Sequential(
        [
            nn.Dense(4, input_dim=2, activation="relu"),
            nn.Dropout(0.1),
            nn.Dense(6, activation="relu"),
            nn.BatchNormalization(),
            nn.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"], jit=jit)
    history = model.fit(
        x[:150], y[:150], epochs=3, batch_size=32, validation_data=(x[150:], y[150:]), verbose=0
    )
    return history.history, model.evaluate(x, y, verbose=0), model.predict(x), model


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_fit_evaluate_predict_compiled_equal_eager(optimizer: str) -> None:
    eager, eager_eval, eager_pred, _ = _run(False, optimizer)
    compiled, compiled_eval, compiled_pred, model = _run(True, optimizer)
    assert eager.keys() == compiled.keys()
    for key in eager:
        np.testing.assert_allclose(compiled[key], eager[key], atol=1e-6)
    np.testing.assert_allclose(compiled_eval, eager_eval, atol=1e-6)
    np.testing.assert_allclose(compiled_pred, eager_pred, atol=1e-6)
    # traced once per batch shape (the last batch of an epoch is smaller), then replayed
    assert model._jitted["train"].traces == 2
    assert "step()" in model._jitted["train"].source()
