"""W1-W3: one training step of a dense network (forward, loss, backward, SGD update).

Every implementation starts from the same weights and batch; ``check`` computes the loss and
the gradients from that state without updating, so they can be compared before any timing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

LR = 0.01
COMPILED = "ours compiled (ag.compile)"


@dataclass(frozen=True)
class MLPSpec:
    """A dense network: layer sizes, hidden ReLU, and a sigmoid-BCE or softmax-CE head."""

    name: str
    sizes: tuple[int, ...]
    batch: int
    head: str  # "bce": one sigmoid unit and binary labels; "ce": logits and integer labels
    threads: int


W1 = MLPSpec("W1 tiny 2-4-6-6-4-1", (2, 4, 6, 6, 4, 1), 32, "bce", 1)
W2 = MLPSpec("W2 MNIST-size 784-512-10", (784, 512, 10), 128, "ce", 2)
W3 = MLPSpec("W3 deep 784-1024x3-10", (784, 1024, 1024, 1024, 10), 256, "ce", 2)


@dataclass
class Impl:
    """One implementation of a workload: the timed ``step`` and the ``check`` it must pass."""

    name: str
    step: Callable[[], object] | None = None
    check: Callable[[], tuple[float, list[np.ndarray]]] | None = None
    skip: str | None = None


def problem(spec: MLPSpec, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Glorot-uniform kernels, small random biases, a standard-normal batch and its labels."""
    rng = np.random.default_rng(seed)
    weights = []
    for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:], strict=False):
        limit = np.sqrt(6.0 / (n_in + n_out))
        weights.append(rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32))
        weights.append(rng.uniform(-0.1, 0.1, n_out).astype(np.float32))
    x = rng.standard_normal((spec.batch, spec.sizes[0])).astype(np.float32)
    if spec.head == "bce":
        y = rng.integers(0, 2, (spec.batch, 1)).astype(np.float32)
    else:
        y = rng.integers(0, spec.sizes[-1], spec.batch)
    return weights, x, y


def _sgd(w: np.ndarray, g: np.ndarray) -> None:
    """w -= LR * g without a temporary array (g, a fresh gradient, is scaled in place)."""
    g *= LR
    w -= g


# --- hand-written numpy: the practical floor --------------------------------------------------


def numpy_impl(spec: MLPSpec, weights: list, x: np.ndarray, y: np.ndarray) -> Impl:
    """The step written out with numpy calls, forward and backward, as one would by hand."""
    ws = [w.copy() for w in weights]
    n = len(ws) // 2
    rows = np.arange(spec.batch)

    def forward_backward() -> tuple[float, list]:
        acts, h = [x], x
        for i in range(n):
            z = h @ ws[2 * i] + ws[2 * i + 1]
            h = np.maximum(z, 0) if i < n - 1 else z
            acts.append(h)
        z = acts[-1]
        if spec.head == "bce":
            # log-sigmoid written stably: log p = -softplus(-z), log(1 - p) = -softplus(z)
            loss = np.mean(np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y))
            e = np.exp(-np.abs(z))
            p = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
            dz = (p - y) / np.float32(spec.batch)
        else:
            m = z.max(axis=1, keepdims=True)
            e = np.exp(z - m)
            s = e.sum(axis=1, keepdims=True)
            loss = np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, y])
            dz = e / s
            dz[rows, y] -= 1
            dz /= np.float32(spec.batch)
        grads = [None] * (2 * n)
        for i in range(n - 1, -1, -1):
            grads[2 * i] = acts[i].T @ dz
            grads[2 * i + 1] = dz.sum(axis=0)
            if i:
                dz = (dz @ ws[2 * i].T) * (acts[i] > 0)
        return float(loss), grads

    def step() -> None:
        _, grads = forward_backward()
        for w, g in zip(ws, grads, strict=True):
            _sgd(w, g)

    return Impl("numpy by hand", step, forward_backward)


def matmul_impl(spec: MLPSpec, weights: list, x: np.ndarray, y: np.ndarray) -> Impl:
    """Only the matrix products of a step (forward, weight gradients, input gradients)."""
    ws = weights[0::2]
    hs = [x] + [np.ones((spec.batch, w.shape[1]), np.float32) for w in ws]

    def step() -> None:
        for h, w in zip(hs, ws, strict=False):
            h @ w
        for i, (h, w) in enumerate(zip(hs, ws, strict=False)):
            h.T @ hs[i + 1]  # kernel gradient: (n_in, batch) @ (batch, n_out)
            if i:
                hs[i + 1] @ w.T  # input gradient, not needed for the first layer

    return Impl("matmuls alone (BLAS floor)", step)


# --- autograd_core, used directly -------------------------------------------------------------


def ours_raw_impl(spec: MLPSpec, weights: list, x: np.ndarray, y: np.ndarray) -> Impl:
    """Tensors, the fused ops (linear, losses on logits), ``backward()`` and an SGD update
    written on ``.data``."""
    import autograd_core as ag

    params = [ag.Tensor(w.copy(), requires_grad=True) for w in weights]
    n = len(params) // 2
    xt = ag.Tensor(x)
    yt = ag.Tensor(y)

    def forward_backward() -> tuple[float, list]:
        for p in params:
            p.grad = None
        h = xt
        for i in range(n):
            act = "relu" if i < n - 1 else None  # x @ W + b and ReLU: one node, in place
            h = ag.linear(h, params[2 * i], params[2 * i + 1], activation=act)
        if spec.head == "bce":
            loss = ag.binary_cross_entropy_with_logits(h, yt)
        else:
            loss = ag.cross_entropy(h, y)
        loss.backward()
        return float(loss.data), [p.grad for p in params]

    def step() -> None:
        forward_backward()
        for p in params:
            _sgd(p.data, p.grad)

    return Impl("ours (autograd_core)", step, forward_backward)


# --- nn ---------------------------------------------------------------------------------------


def ours_nn_impl(spec: MLPSpec, weights: list, x: np.ndarray, y: np.ndarray) -> Impl:
    """Sequential of Dense layers, a loss from nn.losses and nn.optim.SGD, the explicit loop."""
    name = "ours (nn)"
    try:
        import nn
        from nn import Dense, Sequential
    except ImportError:
        return Impl(name, skip="nn not available")
    try:
        n = len(weights) // 2
        layers = []
        for i in range(n):
            act = "relu" if i < n - 1 else ("sigmoid" if spec.head == "bce" else None)
            kw = {"input_dim": spec.sizes[0]} if i == 0 else {}
            layers.append(Dense(spec.sizes[i + 1], activation=act, **kw))
        model = Sequential(layers)
        params = list(model.parameters())
        if [tuple(p.shape) for p in params] != [w.shape for w in weights]:
            return Impl(name, skip="nn parameters are not (kernel, bias) per Dense layer")
        for p, w in zip(params, weights, strict=True):
            p.data[...] = w
        opt = nn.optim.SGD(params, lr=LR)
        if spec.head == "bce":
            yt = y

            def loss_fn(pred):  # noqa: ANN001, ANN202
                return nn.losses.binary_crossentropy(yt, pred)
        else:

            def loss_fn(pred):  # noqa: ANN001, ANN202
                return nn.losses.sparse_categorical_crossentropy(y, pred, from_logits=True)
    except Exception as e:  # the nn branch is still moving: report, don't crash the suite
        return Impl(name, skip=f"nn not usable: {type(e).__name__}: {e}")

    def forward_backward() -> tuple[float, list]:
        opt.zero_grad()
        loss = loss_fn(model(x))
        loss.backward()
        return float(loss.data), [p.grad for p in params]

    def step() -> None:
        forward_backward()
        opt.step()

    return Impl(name, step, forward_backward)


def ours_compiled_impl(spec: MLPSpec, weights: list, x: np.ndarray, y: np.ndarray) -> Impl:
    """The nn step of ``ours_nn_impl`` (zero_grad, forward, loss, backward, SGD step) through
    ``ag.compile``: traced once, then replayed as plain numpy."""
    name = COMPILED
    nn_impl = ours_nn_impl(spec, weights, x, y)
    if nn_impl.skip:
        return Impl(name, skip=nn_impl.skip)
    import autograd_core as ag
    import nn
    from nn import Dense, Sequential

    if not hasattr(ag, "compile"):
        return Impl(name, skip="this tree has no ag.compile")
    n = len(weights) // 2
    layers = []
    for i in range(n):
        act = "relu" if i < n - 1 else ("sigmoid" if spec.head == "bce" else None)
        kw = {"input_dim": spec.sizes[0]} if i == 0 else {}
        layers.append(Dense(spec.sizes[i + 1], activation=act, **kw))
    model = Sequential(layers)
    params = list(model.parameters())
    for p, w in zip(params, weights, strict=True):
        p.data[...] = w
    opt = nn.optim.SGD(params, lr=LR)

    def loss_of(xb: np.ndarray, yb: np.ndarray) -> object:
        if spec.head == "bce":
            return nn.losses.binary_crossentropy(yb, model(xb))
        return nn.losses.sparse_categorical_crossentropy(yb, model(xb), from_logits=True)

    def train_step(xb: np.ndarray, yb: np.ndarray) -> object:
        opt.zero_grad()
        loss = loss_of(xb, yb)
        loss.backward()
        opt.step()
        return loss

    def gradients(xb: np.ndarray, yb: np.ndarray) -> tuple:
        opt.zero_grad()
        loss = loss_of(xb, yb)
        loss.backward()
        return loss, [p.grad for p in params]

    compiled_step = ag.compile(train_step)
    compiled_gradients = ag.compile(gradients)

    def forward_backward() -> tuple[float, list]:
        loss, grads = compiled_gradients(x, y)
        return float(loss.data), list(grads)

    def step() -> None:
        compiled_step(x, y)

    return Impl(name, step, forward_backward)


# --- PyTorch ----------------------------------------------------------------------------------


def torch_impl(spec: MLPSpec, weights: list, x: np.ndarray, y: np.ndarray) -> Impl:
    """The same network in PyTorch on the CPU, with torch.optim.SGD."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return Impl("PyTorch", skip="torch not installed")
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    n = len(params) // 2
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y if spec.head == "bce" else y.astype(np.int64))
    opt = torch.optim.SGD(params, lr=LR)

    def forward_backward() -> tuple[float, list]:
        opt.zero_grad(set_to_none=True)
        h = xt
        for i in range(n):
            z = torch.addmm(params[2 * i + 1], h, params[2 * i])
            h = torch.relu(z) if i < n - 1 else z
        if spec.head == "bce":
            loss = F.binary_cross_entropy_with_logits(h, yt)
        else:
            loss = F.cross_entropy(h, yt)
        loss.backward()
        return float(loss.detach()), [p.grad.numpy() for p in params]

    def step() -> None:
        forward_backward()
        opt.step()

    return Impl(f"PyTorch {torch.__version__}", step, forward_backward)


IMPLS = (ours_raw_impl, ours_nn_impl, ours_compiled_impl, numpy_impl, matmul_impl, torch_impl)


def build(spec: MLPSpec) -> list[Impl]:
    """Every implementation of ``spec``, from one shared starting point."""
    weights, x, y = problem(spec)
    impls = [make(spec, weights, x, y) for make in IMPLS]
    if spec.head == "bce":  # the matmul floor matters only for the big networks
        impls = [i for i in impls if not i.name.startswith("matmuls")]
    return impls
