"""Exceptions raised by autograd_core.

Each class also subclasses the built-in exception a caller would catch anyway, so
``except ValueError`` keeps working for a shape mismatch.
"""

from __future__ import annotations

import numpy as np


class AutogradError(Exception):
    """Base class of every error raised by autograd_core."""


class ShapeError(AutogradError, ValueError):
    """Shapes that do not fit an operation (broadcasting, matmul, reshape, a gradient)."""


class AxisError(AutogradError, ValueError, IndexError):
    """An axis argument outside a tensor's dimensions."""


class DTypeError(AutogradError, TypeError):
    """A dtype an operation cannot use (an integer tensor asked to require grad, text data)."""


class BackwardError(AutogradError, RuntimeError):
    """backward() cannot run: a freed graph, a missing upstream gradient, no graph at all."""


class InplaceError(BackwardError):
    """An in-place update that cannot be made or recorded (a leaf that requires grad, a
    read-only array), raised at the update itself."""


class ForwardModeError(AutogradError, RuntimeError):
    """Forward mode (jvp, jacfwd, hvp) cannot go through an operation: an op without a JVP
    rule, a custom Function without ``jvp``."""


class CompileError(AutogradError, RuntimeError):
    """A function ``ag.compile`` cannot trace into a faithful replay (a Python decision on a
    tensor's value, an in-place update, a custom Function); the message names the line."""


class GradcheckError(AutogradError, AssertionError):
    """Analytic and numerical gradients disagree (raised by gradcheck)."""

    def __init__(self, message: str, report: object = None) -> None:
        super().__init__(message)
        self.report = report


class ManualGradError(GradcheckError):
    """A gradient derived by hand disagrees with backward and finite differences (raised by
    ``check_manual_grad(..., raise_exception=True)``)."""


class IndexingError(AutogradError, IndexError):
    """An index outside a tensor's bounds, or of a kind that cannot index it."""


class LinAlgError(AutogradError, np.linalg.LinAlgError):
    """A matrix that a linear-algebra op cannot take (not positive definite, singular).

    A ``ValueError`` too, and numpy's ``LinAlgError``, so existing handlers keep working.
    """


class DegenerateGradientWarning(RuntimeWarning):
    """A gradient that is not defined at this input (through the eigenvectors or singular
    vectors of (nearly) equal eigenvalues or singular values, when the loss depends on the
    basis chosen within their subspace): the value returned there is not a derivative."""
