"""``ag.linalg``: numpy.linalg's functions on Tensors, differentiable and batched over
leading axes as numpy batches them (defined, with their derivative rules, in
``autograd_core.ops.decompositions``).

>>> import numpy as np
>>> import autograd_core as ag
>>> a = ag.Tensor(np.array([[2.0, 1.0], [1.0, 3.0]]), requires_grad=True)
>>> w, v = ag.linalg.eigh(a)
>>> w.sum().backward()   # the trace's gradient: the identity
>>> np.round(a.grad, 12)
array([[1., 0.],
       [0., 1.]])
"""

from .errors import DegenerateGradientWarning, LinAlgError
from .ops.decompositions import (
    EighResult,
    QRResult,
    SlogdetResult,
    SVDResult,
    cholesky,
    det,
    eigh,
    inv,
    norm,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from .ops.indexing import diagonal, trace
from .ops.linalg import matmul, outer, tensordot

__all__ = [
    "cholesky",
    "det",
    "eigh",
    "inv",
    "norm",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "matmul",
    "outer",
    "tensordot",
    "diagonal",
    "trace",
    "EighResult",
    "QRResult",
    "SlogdetResult",
    "SVDResult",
    "LinAlgError",
    "DegenerateGradientWarning",
]
