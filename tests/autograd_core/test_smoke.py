"""The README example runs and gives gradients of the right shape and dtype."""

import numpy as np

from autograd_core import Tensor


def test_readme_example_gradients_match_shapes_and_dtypes():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((64, 3)), requires_grad=True)
    W = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    b = Tensor(np.zeros(5), requires_grad=True)
    onehot = np.eye(5)[rng.integers(0, 5, size=64)]
    loss = -((x @ W + b).log_softmax(axis=1) * onehot).sum(axis=1).mean()
    loss.backward()
    assert W.grad.shape == (3, 5) and b.grad.shape == (5,) and x.grad.shape == (64, 3)
    assert W.grad.dtype == np.float64
    # softmax cross-entropy: d loss / d logits = (softmax - onehot) / n, so b.grad sums to 0
    assert abs(b.grad.sum()) < 1e-12
