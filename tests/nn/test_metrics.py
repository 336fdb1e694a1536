"""Accuracy metrics: the forms Keras picks, thresholds, and logits."""

import numpy as np
import pytest

from nn import metrics


def test_accuracy_functions_pick_their_form_from_the_shapes():
    probs = np.array([[0.2], [0.7], [0.5], [0.9]])
    labels = np.array([0, 1, 1, 0])
    assert metrics.binary_accuracy(labels, probs) == 0.5  # 0.5 is not above the threshold
    assert metrics.accuracy(labels, probs) == 0.5
    scores = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]])
    assert metrics.accuracy(np.array([1, 0, 0]), scores) == pytest.approx(2 / 3)
    assert metrics.accuracy(np.eye(3)[[1, 0, 2]], scores) == 1.0
    assert metrics.sparse_categorical_accuracy([[1], [0], [0]], scores) == pytest.approx(2 / 3)


def test_running_metrics_average_over_batches_and_accept_logits():
    m = metrics.get("accuracy", loss_kind="binary")
    m.update(np.array([1, 0]), np.array([[2.0], [-1.0]]), logits=True)  # z > 0 <=> p > 0.5
    m.update(np.array([1, 1, 0]), np.array([[0.6], [0.4], [0.1]]))
    assert m.result() == pytest.approx(4 / 5)
    m.reset()
    assert np.isnan(m.result())
    strict = metrics.BinaryAccuracy(threshold=0.8)
    strict.update(np.array([1, 1]), np.array([[0.9], [0.75]]), logits=False)
    assert strict.result() == 0.5
    mse = metrics.get("mse")
    mse.update(np.array([[1.0], [0.0]]), np.array([[0.5], [0.0]]))
    assert mse.result() == pytest.approx(0.125)
    with pytest.raises(ValueError, match="Unknown metric"):
        metrics.get("precisionn")
