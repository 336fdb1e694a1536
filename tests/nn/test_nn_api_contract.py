"""nn's conventions where Keras and PyTorch differ, pinned with NumPy references: the
optimizers follow Keras's formulas (and reduce to PyTorch's where the two agree), the
probability cross-entropies clip at 1e-7 as Keras does."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_core import Tensor

W0 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]])
GRADS = [np.array([[0.1, -0.2], [0.3, 0.05], [-0.4, 0.6]]) * (k + 1) for k in range(4)]


def _run(make: type, **kw: float) -> np.ndarray:
    p = Tensor(W0.copy(), requires_grad=True)
    opt = make([p], **kw)
    for g in GRADS:
        opt.zero_grad()
        p.grad = g.copy()
        opt.step()
    return p.data


def _torch_adam(lr: float, eps: float, b1: float = 0.9, b2: float = 0.999) -> np.ndarray:
    # PyTorch's Adam: bias-corrected moments, eps added to sqrt(v_hat)
    w, m, v = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t, g in enumerate(GRADS, 1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return w


def _keras_adam(lr: float, eps: float, b1: float = 0.9, b2: float = 0.999) -> np.ndarray:
    # Keras's Adam: the corrections fold into the step size, eps added to sqrt(v)
    w, m, v = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t, g in enumerate(GRADS, 1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    return w


def test_adam_is_keras_adam_and_equals_pytorch_adam_without_epsilon() -> None:
    np.testing.assert_allclose(_run(nn.optim.Adam, lr=0.1), _keras_adam(0.1, 1e-7), rtol=1e-12)
    np.testing.assert_allclose(
        _run(nn.optim.Adam, lr=0.1, epsilon=0.0), _torch_adam(0.1, 0.0), rtol=1e-12
    )
    # with a large epsilon the two conventions visibly part
    assert not np.allclose(_run(nn.optim.Adam, lr=0.1, epsilon=0.1), _torch_adam(0.1, 0.1))


def test_rmsprop_adds_epsilon_under_the_square_root_as_keras() -> None:
    w, a = W0.copy(), np.zeros_like(W0)
    for g in GRADS:
        a = 0.9 * a + 0.1 * g * g
        w = w - 0.01 * g / np.sqrt(a + 0.5)
    np.testing.assert_allclose(_run(nn.optim.RMSprop, lr=0.01, epsilon=0.5), w, rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_equals_the_pytorch_form(nesterov: bool) -> None:
    # PyTorch: buf = mu buf + g; step g + mu buf (Nesterov) or buf; same iterates as Keras's
    w, buf, lr, mu = W0.copy(), np.zeros_like(W0), 0.1, 0.9
    for g in GRADS:
        buf = mu * buf + g
        w = w - lr * (g + mu * buf if nesterov else buf)
    got = _run(nn.optim.SGD, lr=lr, momentum=mu, nesterov=nesterov)
    np.testing.assert_allclose(got, w, rtol=1e-12)


def test_probability_cross_entropies_clip_at_1e_7_as_keras() -> None:
    y = np.array([[1.0], [0.0], [1.0]])
    p = np.array([[0.0], [1.0], [0.5]])
    got = nn.losses.binary_crossentropy(y, Tensor(p)).item()
    expected = (-np.log(1e-7) - np.log(1e-7) - np.log(0.5)) / 3  # PyTorch would give ~66.9
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    onehot = np.array([[0.0, 1.0, 0.0]])
    probs = np.array([[0.2, 0.0, 0.6]])  # renormalised, then clipped (Keras)
    got = nn.losses.categorical_crossentropy(onehot, Tensor(probs)).item()
    np.testing.assert_allclose(got, -np.log(1e-7), rtol=1e-9)


def test_dense_kernel_is_input_dim_by_units_glorot_uniform_float32() -> None:
    nn.set_seed(0)
    layer = nn.Dense(300, input_dim=200)
    assert layer.kernel.shape == (200, 300) and layer.bias.shape == (300,)
    assert layer.kernel.dtype == np.float32 and layer.bias.dtype == np.float32
    limit = np.sqrt(6.0 / (200 + 300))
    k = layer.kernel.data
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.99 * limit
    np.testing.assert_allclose(k.var(), limit**2 / 3, rtol=0.02)  # uniform(-l, l) variance
    assert not layer.bias.data.any()
