"""to_categorical."""

import numpy as np
import pytest

from nn.utils import to_categorical


def test_to_categorical_matches_identity_rows():
    y = np.array([2, 0, 1, 2])
    out = to_categorical(y)
    np.testing.assert_array_equal(out, np.eye(3)[y])
    assert out.dtype == np.float32
    assert to_categorical(y.reshape(-1, 1), num_classes=5).shape == (4, 5)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        to_categorical(y, num_classes=2)
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5, 1.0])
