"""data: synthetic problems with known structure, for the examples and tests of later chapters.

Datasets (spirals, Gaussian blobs, planted sparse codes) are drawn on the host from a NumPy
Generator (``rng``: None for the ``tg.manual_seed`` one, an int seed or a Generator) and
returned as backend arrays in the default dtype on the default device (or the ``dtype`` and
``device`` given). The test functions (Rosenbrock, Beale) take a Tensor or an array whose
first axis holds the coordinates, so the same function gives a differentiable loss and a
grid of heights for a contour plot.
"""

from __future__ import annotations

import math

from .. import backend

ROSENBROCK_MINIMUM = (1.0, 1.0)  # f = 0 there (for a = 1)
BEALE_MINIMUM = (3.0, 0.5)  # f = 0 there


def _finish(arrays, dtype, device):
    dtype = backend.get_default_dtype() if dtype is None else backend.float_dtype(dtype)
    device = backend.check_device(device)
    converted = (a.astype(dtype) if backend.is_float(a.dtype) else a for a in arrays)
    return tuple(backend.to_device(a, device) for a in converted)


def spirals(
    n_samples: int = 300,
    n_classes: int = 2,
    noise: float = 0.05,
    turns: float = 1.5,
    rng=None,
    dtype=None,
    device: str | None = None,
) -> tuple:
    """Interleaved 2-D spiral arms, one per class: a classic problem no linear model solves.

    Arm c has points r (cos(t + 2πc/C), sin(t + 2πc/C)) with r rising from 0 to 1 along the arm
    and t = 2π·turns·r, plus Gaussian noise of std ``noise``. Returns ``(X, y)``: X of shape
    (n_samples, 2), y int64 labels, classes as equal in size as ``n_samples`` allows.
    """
    generator = backend.rng(rng)
    numpy = backend.numpy
    labels = numpy.arange(n_samples) % n_classes
    radius = generator.uniform(0.05, 1.0, n_samples)
    angle = 2 * math.pi * turns * radius + 2 * math.pi * labels / n_classes
    points = radius[:, None] * numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    points += noise * generator.standard_normal(points.shape)
    return _finish((points, labels.astype("int64")), dtype, device)


def gaussian_blobs(
    n_samples: int = 300,
    n_classes: int = 3,
    n_features: int = 2,
    spread: float = 1.0,
    center_box: float = 5.0,
    rng=None,
    dtype=None,
    device: str | None = None,
) -> tuple:
    """Isotropic Gaussian clusters, one per class.

    Centres are drawn uniformly from [−center_box, center_box]^n_features and each point is
    its class centre plus N(0, spread²·I). Returns ``(X, y, centers)``: X (n_samples,
    n_features), y int64 labels, centers (n_classes, n_features).
    """
    generator = backend.rng(rng)
    centers = generator.uniform(-center_box, center_box, (n_classes, n_features))
    labels = backend.numpy.arange(n_samples) % n_classes
    points = centers[labels] + spread * generator.standard_normal((n_samples, n_features))
    return _finish((points, labels.astype("int64"), centers), dtype, device)


def planted_sparse_coding(
    n_samples: int,
    n_features: int,
    n_atoms: int,
    sparsity: int,
    noise: float = 0.01,
    rng=None,
    dtype=None,
    device: str | None = None,
) -> tuple:
    """Data made from a known dictionary and known sparse codes (the book's §8.7.2 problem).

    X = H W + noise, with rows as examples: W (n_atoms, n_features) has unit-norm rows (the
    atoms), H (n_samples, n_atoms) has exactly ``sparsity`` non-zero N(0, 1) entries per row at
    random positions, and the noise is N(0, noise²). In the book's notation, with examples as
    columns, this is Xᵀ = WᵀHᵀ, the term (X − WᵀH) of J(H, W) = Σ|H_ij| + Σ(X − WᵀH)²_ij.

    Returns ``(X, W_true, H_true)``.
    """
    if not 1 <= sparsity <= n_atoms:
        raise ValueError(
            f"planted_sparse_coding: sparsity must lie in [1, {n_atoms}], got {sparsity}"
        )
    generator = backend.rng(rng)
    numpy = backend.numpy
    atoms = generator.standard_normal((n_atoms, n_features))
    atoms /= numpy.linalg.norm(atoms, axis=1, keepdims=True)
    codes = numpy.zeros((n_samples, n_atoms))
    for row in range(n_samples):
        active = generator.choice(n_atoms, size=sparsity, replace=False)
        codes[row, active] = generator.standard_normal(sparsity)
    X = codes @ atoms + noise * generator.standard_normal((n_samples, n_features))
    return _finish((X, atoms, codes), dtype, device)


def ill_conditioned_quadratic(
    n: int, condition: float, rng=None, dtype=None, device: str | None = None
) -> tuple:
    """A and b of the quadratic f(x) = ½ xᵀAx − bᵀx with cond(A) = ``condition``.

    A = Q diag(λ) Qᵀ with Q a random orthogonal matrix and eigenvalues λ spaced
    logarithmically from 1 to ``condition``; b ~ N(0, I). The minimum is x* = A⁻¹b, the
    Hessian is A everywhere, and gradient descent's rate is governed by the condition number
    (§8.2.1): the larger it is, the more steepest descent zig-zags. Returns ``(A, b)``.
    """
    if n < 1 or condition < 1:
        raise ValueError(
            f"ill_conditioned_quadratic: need n ≥ 1 and condition ≥ 1, got {n} and {condition}"
        )
    generator = backend.rng(rng)
    numpy = backend.numpy
    q, r = numpy.linalg.qr(generator.standard_normal((n, n)))
    q *= numpy.sign(numpy.diag(r))
    eigenvalues = numpy.logspace(0, math.log10(condition), n)
    A = (q * eigenvalues) @ q.T
    A = (A + A.T) / 2  # exactly symmetric despite round-off
    b = generator.standard_normal(n)
    return _finish((A, b), dtype, device)


def rosenbrock(x, a: float = 1.0, b: float = 100.0):
    """f(x) = (a − x₀)² + b (x₁ − x₀²)²: a curved, narrow valley; minimum f = 0 at (a, a²).

    ``x`` is a Tensor or an array with x[0], x[1] the coordinates (shape (2,) for a point,
    (2, ...) for a grid); the result has the remaining shape.
    """
    x0, x1 = x[0], x[1]
    return (a - x0) ** 2 + b * (x1 - x0**2) ** 2


def beale(x):
    """f(x) = (1.5 − x₀ + x₀x₁)² + (2.25 − x₀ + x₀x₁²)² + (2.625 − x₀ + x₀x₁³)²; minimum f = 0 at (3, 0.5).

    Flat plateaus and steep ridges; takes a Tensor or array like ``rosenbrock``.
    """
    x0, x1 = x[0], x[1]
    return (
        (1.5 - x0 + x0 * x1) ** 2 + (2.25 - x0 + x0 * x1**2) ** 2 + (2.625 - x0 + x0 * x1**3) ** 2
    )
