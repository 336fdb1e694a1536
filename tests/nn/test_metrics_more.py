"""Precision, Recall, AUC (ROC and PR), top-k accuracies, MAE and MSE as running metrics:
against NumPy references written here, accumulated over several batches, and by name in
compile."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn import metrics

r = np.random.default_rng(0)
LABELS = (r.random(300) < 0.4).astype(int)
# scores that are informative but overlap, plus exact ties and the ends of [0, 1]
SCORES = np.clip(0.35 * LABELS + 0.65 * r.random(300), 0, 1)
SCORES[:10] = 0.5
SCORES[10:13] = [0.0, 1.0, 1.0]


def _in_batches(metric, y, p, sizes=(7, 100, 193), **kw):
    start = 0
    for n in sizes:
        metric.update_state(y[start : start + n], p[start : start + n], **kw)
        start += n
    assert start == len(y)
    return metric.result()


def _np_confusion(y, p, thresholds):
    pred = p[None, :] > np.asarray(thresholds)[:, None]
    pos = y[None, :] != 0
    tp = (pred & pos).sum(1).astype(float)
    fp = (pred & ~pos).sum(1).astype(float)
    fn = (~pred & pos).sum(1).astype(float)
    tn = (~pred & ~pos).sum(1).astype(float)
    return tp, fp, tn, fn


def _keras_thresholds(n=200):
    return np.array([-1e-7] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + 1e-7])


def _np_div(a, b):
    return np.array([x / y if y else 0.0 for x, y in zip(a, b, strict=True)])


def _np_roc_auc(y, p, n=200):
    tp, fp, tn, fn = _np_confusion(y, p, _keras_thresholds(n))
    tpr, fpr = _np_div(tp, tp + fn), _np_div(fp, fp + tn)
    return sum((fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2 for i in range(n - 1))


def _np_pr_auc(y, p, n=200):
    # Davis & Goadrich's interpolation between neighbouring thresholds, as Keras
    tp, fp, _, fn = _np_confusion(y, p, _keras_thresholds(n))
    total = 0.0
    for i in range(n - 1):
        dtp = tp[i] - tp[i + 1]
        p0, p1 = tp[i] + fp[i], tp[i + 1] + fp[i + 1]
        dp = p0 - p1
        slope = dtp / dp if dp > 0 else 0.0
        intercept = tp[i + 1] - slope * p1
        ratio = p0 / p1 if p0 > 0 and p1 > 0 else 1.0
        denom = tp[i + 1] + fn[i + 1]
        if denom > 0:
            total += slope * (dtp + intercept * np.log(ratio)) / denom
    return total


def test_precision_and_recall_accumulate_over_batches():
    pred, pos = SCORES > 0.5, LABELS == 1
    tp, fp, fn = np.sum(pred & pos), np.sum(pred & ~pos), np.sum(~pred & pos)
    assert _in_batches(metrics.Precision(), LABELS, SCORES) == pytest.approx(tp / (tp + fp))
    assert _in_batches(metrics.Recall(), LABELS, SCORES) == pytest.approx(tp / (tp + fn))
    m = metrics.Precision(thresholds=0.7)
    pred = SCORES > 0.7
    ref = np.sum(pred & pos) / np.sum(pred)
    assert _in_batches(m, LABELS, SCORES) == pytest.approx(ref)
    m.reset_state()
    assert m.result() == 0.0  # nothing predicted positive: 0, as Keras's divide_no_nan
    assert metrics.Recall().name == "recall" and metrics.Precision().name == "precision"


def test_precision_and_recall_keras_documented_values():
    m = metrics.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert m.result() == pytest.approx(2 / 3)
    m.reset_state()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert m.result() == pytest.approx(1.0)
    m = metrics.Recall()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert m.result() == pytest.approx(2 / 3)
    m.reset_state()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert m.result() == pytest.approx(1.0)
    # class_id: only that column counts
    m = metrics.Precision(class_id=1)
    m.update_state(np.eye(3)[[0, 1, 1]], np.array([[0.9, 0.8, 0], [0, 0.9, 0], [0, 0.2, 0]]))
    assert m.result() == pytest.approx(0.5)


def test_auc_roc_against_the_keras_formula_and_the_exact_area():
    m = metrics.AUC()
    assert m.num_thresholds == 200 and m.curve == "ROC"
    got = _in_batches(m, LABELS, SCORES)
    assert got == pytest.approx(_np_roc_auc(LABELS, SCORES), rel=1e-9)
    # the exact area (Mann-Whitney: P(score of a positive > score of a negative), ties half)
    pos, neg = SCORES[LABELS == 1], SCORES[LABELS == 0]
    exact = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    assert got == pytest.approx(exact, abs=5e-3)
    assert 0.6 < got < 0.95


def test_auc_pr_against_the_keras_interpolation():
    m = metrics.AUC(curve="PR")
    got = _in_batches(m, LABELS, SCORES)
    assert got == pytest.approx(_np_pr_auc(LABELS, SCORES), rel=1e-9)
    # close to average precision, the step-wise area under the PR curve
    order = np.argsort(-SCORES, kind="stable")
    hits = LABELS[order]
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    ap = np.sum(precision_at * hits) / hits.sum()
    assert got == pytest.approx(ap, abs=0.03)


def test_auc_keras_documented_values_and_options():
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert m.result() == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert m.result() == pytest.approx(1.0)
    minor = metrics.AUC(num_thresholds=50, summation_method="minoring")
    major = metrics.AUC(num_thresholds=50, summation_method="majoring")
    lo, hi = _in_batches(minor, LABELS, SCORES), _in_batches(major, LABELS, SCORES)
    assert lo <= _np_roc_auc(LABELS, SCORES, 50) <= hi
    logits = metrics.AUC(from_logits=True)
    z = np.log(np.clip(SCORES, 1e-6, 1 - 1e-6) / (1 - np.clip(SCORES, 1e-6, 1 - 1e-6)))
    assert _in_batches(logits, LABELS, z) == pytest.approx(
        _in_batches(metrics.AUC(), LABELS, np.clip(SCORES, 1e-6, 1 - 1e-6))
    )
    with pytest.raises(ValueError, match="Received: curve='XY'"):
        metrics.AUC(curve="XY")


def _np_top_k(labels, scores, k):
    # a label is in the top k when fewer than k scores beat it strictly
    at = scores[np.arange(len(labels)), labels]
    return np.mean((scores > at[:, None]).sum(1) < k)


def test_top_k_accuracies_accumulate_and_handle_ties():
    scores = r.random((300, 10))
    labels = r.integers(0, 10, 300)
    for k in (1, 3, 5):
        ref = _np_top_k(labels, scores, k)
        # without ties, the same as "label in argsort's k last"
        top = np.argsort(scores, axis=1)[:, -k:]
        assert ref == pytest.approx(
            np.mean([lab in row for lab, row in zip(labels, top, strict=True)])
        )
        sparse = metrics.SparseTopKCategoricalAccuracy(k=k)
        assert _in_batches(sparse, labels, scores) == pytest.approx(ref)
        onehot = metrics.TopKCategoricalAccuracy(k=k)
        assert _in_batches(onehot, np.eye(10)[labels], scores) == pytest.approx(ref)
    assert metrics.TopKCategoricalAccuracy().k == 5
    # ties at the boundary count as in (Keras's in_top_k)
    tied = np.array([[0.5, 0.5, 0.5, 0.1]])
    assert metrics.sparse_top_k_categorical_accuracy([2], tied, k=1) == 1.0
    assert metrics.sparse_top_k_categorical_accuracy([3], tied, k=3) == 0.0
    assert metrics.top_k_categorical_accuracy([[0, 0, 0, 1]], tied, k=4) == 1.0


def test_mae_and_mse_accumulate_and_weight():
    y = r.standard_normal((50, 3))
    p = r.standard_normal((50, 3))
    mae = metrics.MeanAbsoluteError()
    mse = metrics.MeanSquaredError()
    assert _in_batches(mae, y, p, (10, 15, 25)) == pytest.approx(np.abs(p - y).mean())
    assert _in_batches(mse, y, p, (10, 15, 25)) == pytest.approx(np.square(p - y).mean())
    w = r.random(50)
    ref = np.sum(w * np.square(p - y).mean(1)) / w.sum()  # a weighted mean of the samples
    mse.reset_state()
    mse.update_state(y[:20], p[:20], sample_weight=w[:20])
    mse.update_state(y[20:], p[20:], sample_weight=w[20:])
    assert mse.result() == pytest.approx(ref)


def test_metrics_by_name_in_compile_and_fit():
    names = ["precision", "recall", "auc", "mae", "mse"]
    x = r.standard_normal((120, 2)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    nn.set_seed(0)
    model = nn.Sequential([nn.Dense(1, input_dim=2, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=nn.optim.Adam(0.05), metrics=names)
    hist = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.25, verbose=0, seed=0)
    assert set(hist.history) == {k + n for k in ("", "val_") for n in ["loss", *names]}
    got = model.evaluate(x, y, batch_size=17, return_dict=True)
    p = model.predict(x)[:, 0].astype(np.float64)
    pred, pos = p > 0.5, y == 1
    assert got["precision"] == pytest.approx(np.sum(pred & pos) / np.sum(pred), rel=1e-6)
    assert got["recall"] == pytest.approx(np.sum(pred & pos) / np.sum(pos), rel=1e-6)
    assert got["auc"] == pytest.approx(_np_roc_auc(y, p), rel=1e-5)
    assert got["mae"] == pytest.approx(np.abs(p - y).mean(), rel=1e-5)
    # the classes under names of one's own, and the top-k names on a softmax model
    assert metrics.get("sparse_top_k_categorical_accuracy").k == 5
    assert isinstance(metrics.get("top_k_categorical_accuracy"), metrics.TopKCategoricalAccuracy)
    soft = nn.Sequential([nn.Dense(6, input_dim=2, activation="softmax")])
    soft.compile(
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_top_k_categorical_accuracy"],
    )
    labels = r.integers(0, 6, 120)
    out = soft.evaluate(x, labels, return_dict=True)
    ref = _np_top_k(labels, soft.predict(x), 5)
    assert out["sparse_top_k_categorical_accuracy"] == pytest.approx(ref)
    assert metrics.AUC(name="roc").name == "roc"
