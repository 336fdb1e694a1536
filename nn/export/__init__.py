"""Leaving the library: a model as an ONNX file or a PyTorch module, and back from PyTorch.

- ``to_onnx(model, path, opset=17)``: the ``onnx`` extra (``pip install
  'autograd-core[onnx]'``); the file runs under onnxruntime and gives ``predict``'s outputs.
- ``to_torch(model)``: a ``torch.nn.Module`` with the same weights and outputs (eval mode);
  ``from_torch(module)``: a ``torch.nn.Sequential`` of Linear layers and activations as an
  nn ``Sequential``. The ``torch`` extra.

Importing ``nn.export`` needs neither package; a function whose package is missing raises
an ``ImportError`` naming the extra to install. Sequential and functional models export;
a subclassed model's ``call`` is Python code and does not (``ExportError``), nor does a
layer without a conversion (the error names it).
"""

from __future__ import annotations

from ._plan import ExportError
from .onnx_export import DEFAULT_OPSET, build_onnx, to_onnx
from .torch_export import from_torch, to_torch

__all__ = ["to_onnx", "build_onnx", "to_torch", "from_torch", "ExportError", "DEFAULT_OPSET"]
