"""Device rows the per-topic tests do not have: every second-order method and optimizer (Newton's
Cholesky shifts included), Polyak averaging and the training strategies, each run on the device
and compared with the same run on the CPU."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import backend, data, nn, optim
from tinygrad_ch8.strategies import CurriculumSampler, greedy_pretrain, train_fitnet


def rosenbrock(x):
    a = x[1:] - x[:-1] ** 2
    b = 1 - x[:-1]
    return (100 * a * a + b * b).sum()


def saddle(x):
    """x₀² − x₁² + x₁⁴/4: a saddle at 0, minima at (0, ±√2); indefinite Hessian near the saddle."""
    return x[0] * x[0] - x[1] * x[1] + 0.25 * x[1] ** 4


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("CG", {"beta": "polak_ribiere"}),
        ("CG", {"beta": "fletcher_reeves"}),
        ("BFGS", {}),
        ("L-BFGS", {}),
        ("Newton-CG", {}),
        ("Newton", {"line_search_fn": "backtracking"}),
    ],
)
def test_minimize_on_the_device_walks_the_cpu_path(device, method, options):
    start = np.array([-1.2, 1.0])
    on_device = optim.minimize(
        rosenbrock, tg.Tensor(start, device=device), method=method, tol=1e-9, **options
    )
    on_cpu = optim.minimize(rosenbrock, start, method=method, tol=1e-9, **options)
    assert on_device.success, on_device.message
    assert backend.device_of(on_device.x) == device
    np.testing.assert_allclose(backend.to_numpy(on_device.x), on_cpu.x, rtol=1e-8)
    assert (on_device.nit, on_device.nfev) == (on_cpu.nit, on_cpu.nfev)


def test_newton_shifts_an_indefinite_hessian_on_the_device(device):
    """Near the saddle the Cholesky factorization of H fails until τI is added (N&W Alg. 3.3)."""
    points = {}
    for where in ("cpu", device):
        x = tg.Tensor(np.array([0.3, 0.1]), requires_grad=True, device=where)
        newton = optim.Newton([x], line_search_fn="backtracking")
        newton.step(lambda x=x: saddle(x))
        assert newton.state[0]["damping_raised"]
        points[where] = x.numpy()
    np.testing.assert_allclose(points[device], points["cpu"], rtol=1e-12)


def logistic_loss(w, X, labels):
    p = (X @ w[:3] + w[3]).sigmoid()
    return -(labels * p.log() + (1 - labels) * (1 - p).log()).mean() + 1e-3 * (w * w).sum()


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.Newton(p),
        lambda p: optim.NewtonCG(p),
        lambda p: optim.BFGS(p, max_iter=50),
        lambda p: optim.LBFGS(p, max_iter=50),
        lambda p: optim.NonlinearCG(p, beta="polak_ribiere", max_iter=50),
        lambda p: optim.NonlinearCG(p, beta="fletcher_reeves", restart_every=4, max_iter=50),
    ],
)
def test_second_order_optimizers_on_the_device_reach_the_cpu_result(device, make):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((60, 3))
    labels = (X @ np.array([1.0, -2.0, 0.5]) + rng.standard_normal(60) > 0).astype(np.float64)
    results = {}
    for where in ("cpu", device):
        w = tg.Tensor(np.zeros(4), requires_grad=True, device=where)
        X_t, labels_t = tg.Tensor(X, device=where), tg.Tensor(labels, device=where)
        optimizer = make([w])
        for _ in range(3):
            optimizer.step(lambda w=w, X_t=X_t, labels_t=labels_t: logistic_loss(w, X_t, labels_t))
        results[where] = w.numpy()
    np.testing.assert_allclose(results[device], results["cpu"], rtol=1e-8, atol=1e-12)


def test_polyak_averaging_on_the_device(device):
    averages = {}
    for where in ("cpu", device):
        theta = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True, device=where)
        sgd, averaging = optim.SGD([theta], lr=0.05), optim.PolyakAveraging([theta], decay=0.9)
        for _ in range(5):
            sgd.zero_grad()
            (theta**4).sum().backward()
            sgd.step()
            averaging.update()
        with averaging.swapped():
            averages[where] = theta.numpy().copy()  # on the CPU, numpy() shares the memory
    np.testing.assert_allclose(averages[device], averages["cpu"], rtol=1e-12)


def blobs(device):
    X, y, _ = data.gaussian_blobs(120, n_classes=3, n_features=4, spread=0.7, rng=0)
    return tg.Tensor(X, device=device), tg.Tensor(y, device=device)


def test_greedy_pretraining_on_the_device(device):
    accuracies = {}
    for where in ("cpu", device):
        tg.manual_seed(0)
        blocks = [nn.Sequential(nn.Linear(a, 8), nn.Sigmoid()).to(where) for a in (4, 8)]
        X, y = blobs(where)
        result = greedy_pretrain(
            blocks,
            X,
            y,
            n_classes=3,
            epochs_per_layer=2,
            make_optimizer=lambda p: optim.SGD(p, lr=0.5),
            fine_tune_epochs=1,
            batch_size=16,
            rng=0,
        )
        accuracies[where] = [p.numpy() for p in result.model.parameters()]
    for on_device, on_cpu in zip(accuracies[device], accuracies["cpu"], strict=True):
        np.testing.assert_allclose(on_device, on_cpu, rtol=1e-5, atol=1e-6)


def test_fitnets_on_the_device(device):
    weights = {}
    for where in ("cpu", device):
        tg.manual_seed(0)
        teacher = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).to(where)
        student = nn.Sequential(
            nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3)
        ).to(where)
        X, y = blobs(where)
        train_fitnet(
            teacher,
            student,
            nn.Linear(3, 16).to(where),
            X,
            y,
            hint_layer=2,
            guided_layer=2,
            make_optimizer=lambda p: optim.Adam(p, lr=1e-2),
            hint_epochs=1,
            distillation_epochs=1,
            batch_size=16,
            rng=0,
        )
        weights[where] = [p.numpy() for p in student.parameters()]
    for on_device, on_cpu in zip(weights[device], weights["cpu"], strict=True):
        np.testing.assert_allclose(on_device, on_cpu, rtol=1e-5, atol=1e-6)


def test_a_curriculum_feeds_device_batches(device):
    X, y = blobs(device)
    difficulty = np.arange(120.0)
    sampler = CurriculumSampler(difficulty, schedule="easy_first", n_stages=2, rng=0)
    loader = data.DataLoader(X, y, batch_size=32, sampler=sampler)
    rows = [inputs for inputs, _ in loader]
    assert all(batch.device == device for batch in rows)
    assert sum(len(batch) for batch in rows) == 120


def test_gradcheck_and_the_hessian_on_the_device(device):
    x = tg.Tensor(np.array([0.5, -0.3, 2.0]), requires_grad=True, device=device)
    assert tg.autograd.gradcheck(lambda x: (x * x * x).sum(), [x])
    hessian = tg.autograd.hessian(lambda x: (x * x * x).sum(), x)
    assert backend.device_of(hessian) == device
    np.testing.assert_allclose(backend.to_numpy(hessian), np.diag([3.0, -1.8, 12.0]), rtol=1e-12)
