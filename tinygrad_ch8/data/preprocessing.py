"""data: input standardization, fitted on the training set and applied to every split.

Inputs with zero mean and unit variance per feature make the loss surface better
conditioned for gradient descent (LeCun et al., *Efficient BackProp*, 1998): a feature with
a large mean adds a large, shared component to every gradient of the first layer.
"""

from __future__ import annotations

from .. import backend


def standardize(X_train, *others, min_std: float = 0.1) -> tuple:
    """(X − μ) / max(σ, ``min_std``) per feature, with μ and σ from ``X_train`` only.

    ``min_std`` keeps features that are (almost) constant in the training set, such as the
    always-blank border pixels of the digits, from being blown up. Returns the standardized
    ``X_train`` followed by each of ``others``, as arrays of the input's dtype and device.
    """
    xp = backend.array_module(X_train)
    mean = X_train.mean(axis=0)
    scale = xp.maximum(X_train.std(axis=0), min_std)
    return tuple(((X - mean) / scale).astype(X.dtype) for X in (X_train, *others))
