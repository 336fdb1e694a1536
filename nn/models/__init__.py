"""Models: ``Model`` (compile / fit / evaluate / predict) and ``Sequential``, a stack of layers.

``model`` holds the training machinery, written against ``self(x)`` and a few hooks;
``sequential`` what is particular to a stack; ``_compile`` what compile decides from the
output layer and the loss; ``_data`` the conversion of arrays and the batches.
``load_model`` (from ``nn.saving``) reads back what ``model.save`` wrote.
"""

from ..saving import load_model
from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]
