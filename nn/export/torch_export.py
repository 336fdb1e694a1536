"""placeholder"""

from typing import Any


def to_torch(model: Any) -> Any:
    raise NotImplementedError


def from_torch(module: Any) -> Any:
    raise NotImplementedError
