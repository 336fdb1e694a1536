"""Every op with its VJP, grouped by kind: elementwise, activation, reduce, shape, linalg."""
