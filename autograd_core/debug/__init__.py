"""Debugging tools built on the engine: gradient checking (of the engine's backward, and of a
gradient derived by hand), anomaly mode, "why is this grad None?".
``autograd_core.debug.testing`` (hypothesis-based gradient tests) imports on demand."""

from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .explain import GradExplanation, explain_grad
from .gradcheck import GradcheckReport, gradcheck, gradgradcheck
from .manual import ManualGradReport, check_manual_grad

__all__ = [
    "AnomalyError",
    "GradExplanation",
    "GradcheckReport",
    "ManualGradReport",
    "check_manual_grad",
    "detect_anomaly",
    "explain_grad",
    "gradcheck",
    "gradgradcheck",
    "is_anomaly_enabled",
]
