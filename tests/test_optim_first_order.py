"""First-order optimizers against hand computations of the book's algorithms and PyTorch's formulas.

Each case runs three steps of an optimizer in float64 on f(θ) = Σ aᵢθᵢ²/2 + θᵢ⁴/4 (gradient
aθ + θ³) and compares every step with the same algorithm written out below in plain NumPy,
in the book's symbols where the book has the method (velocity v, moments s and r).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ch8 as tg
from tinygrad_ch8 import optim

A = np.array([1.0, 10.0, 0.5, 3.0])
THETA0 = np.array([1.5, -0.8, 0.0, 0.3])  # the third coordinate has a zero gradient at the start
STEPS = 3


def loss_of(theta: tg.Tensor) -> tg.Tensor:
    a = tg.Tensor(A, device=theta.device)
    return (0.5 * a * theta * theta + 0.25 * theta**4).sum()


def gradient(theta: np.ndarray) -> np.ndarray:
    return A * theta + theta**3


# ---------------------------------------------------------------- the algorithms by hand
def book_sgd(eps, weight_decay=0.0):
    """Algorithm 8.1 (with an L2 term λθ added to g)."""
    theta, path = THETA0.copy(), []
    for _ in range(STEPS):
        theta = theta - eps * (gradient(theta) + weight_decay * theta)
        path.append(theta)
    return path


def book_momentum(eps, alpha, weight_decay=0.0):
    """Algorithm 8.2: v ← αv − εg; θ ← θ + v."""
    theta, v, path = THETA0.copy(), np.zeros(4), []
    for _ in range(STEPS):
        v = alpha * v - eps * (gradient(theta) + weight_decay * theta)
        theta = theta + v
        path.append(theta)
    return path


def book_nesterov(eps, alpha):
    """Algorithm 8.3; the optimizer's parameter is the look-ahead point θ + αv."""
    theta, v, path = THETA0.copy(), np.zeros(4), []
    for _ in range(STEPS):
        g = gradient(theta + alpha * v)
        v = alpha * v - eps * g
        theta = theta + v
        path.append(theta + alpha * v)
    return path


def torch_sgd_dampened(lr, momentum, dampening):
    """torch.optim.SGD's documented rule: b ← g first, then b ← μb + (1 − τ)g; θ ← θ − εb."""
    theta, buffer, path = THETA0.copy(), None, []
    for _ in range(STEPS):
        g = gradient(theta)
        buffer = g if buffer is None else momentum * buffer + (1 - dampening) * g
        theta = theta - lr * buffer
        path.append(theta)
    return path


def book_adagrad(eps, delta, weight_decay=0.0):
    """Algorithm 8.4: r ← r + g⊙g; θ ← θ − ε g / (δ + √r)."""
    theta, r, path = THETA0.copy(), np.zeros(4), []
    for _ in range(STEPS):
        g = gradient(theta) + weight_decay * theta
        r = r + g * g
        theta = theta - eps / (delta + np.sqrt(r)) * g
        path.append(theta)
    return path


def torch_rmsprop(lr, rho, delta, momentum=0.0, weight_decay=0.0):
    """torch.optim.RMSprop: r ← ρr + (1 − ρ)g²; b ← μb + g/(√r + δ); θ ← θ − εb (b = g/(√r + δ) if μ = 0)."""
    theta, r, buffer, path = THETA0.copy(), np.zeros(4), np.zeros(4), []
    for _ in range(STEPS):
        g = gradient(theta) + weight_decay * theta
        r = rho * r + (1 - rho) * g * g
        buffer = momentum * buffer + g / (np.sqrt(r) + delta)
        theta = theta - lr * buffer
        path.append(theta)
    return path


def book_rmsprop_nesterov(eps, rho, alpha, delta):
    """Algorithm 8.6 with δ added outside the root; the parameter is the look-ahead θ + αv."""
    theta, r, v, path = THETA0.copy(), np.zeros(4), np.zeros(4), []
    for _ in range(STEPS):
        g = gradient(theta + alpha * v)
        r = rho * r + (1 - rho) * g * g
        v = alpha * v - eps / (np.sqrt(r) + delta) * g
        theta = theta + v
        path.append(theta + alpha * v)
    return path


def book_adam(eps, rho1, rho2, delta, weight_decay=0.0, amsgrad=False, decoupled=False):
    """Algorithm 8.7 (amsgrad: r̂ from the running maximum of r; decoupled: θ ← θ(1 − ελ) first)."""
    theta, s, r, r_max, path = THETA0.copy(), np.zeros(4), np.zeros(4), np.zeros(4), []
    for t in range(1, STEPS + 1):
        g = gradient(theta)
        if decoupled:
            theta = theta * (1 - eps * weight_decay)
        else:
            g = g + weight_decay * theta
        s = rho1 * s + (1 - rho1) * g
        r = rho2 * r + (1 - rho2) * g * g
        r_max = np.maximum(r_max, r)
        s_hat = s / (1 - rho1**t)
        r_hat = (r_max if amsgrad else r) / (1 - rho2**t)
        theta = theta - eps * s_hat / (np.sqrt(r_hat) + delta)
        path.append(theta)
    return path


CASES = {
    "sgd": (lambda p: optim.SGD(p, lr=0.05), lambda: book_sgd(0.05)),
    "sgd weight decay": (
        lambda p: optim.SGD(p, lr=0.05, weight_decay=0.1),
        lambda: book_sgd(0.05, 0.1),
    ),
    "momentum": (lambda p: optim.SGD(p, lr=0.05, momentum=0.9), lambda: book_momentum(0.05, 0.9)),
    "momentum weight decay": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.1),
        lambda: book_momentum(0.05, 0.9, 0.1),
    ),
    "nesterov": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lambda: book_nesterov(0.05, 0.9),
    ),
    "dampening": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3),
        lambda: torch_sgd_dampened(0.05, 0.9, 0.3),
    ),
    "adagrad": (lambda p: optim.Adagrad(p, lr=0.3, eps=1e-7), lambda: book_adagrad(0.3, 1e-7)),
    "adagrad weight decay": (
        lambda p: optim.Adagrad(p, lr=0.3, eps=1e-7, weight_decay=0.2),
        lambda: book_adagrad(0.3, 1e-7, 0.2),
    ),
    "rmsprop": (
        lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9),
        lambda: torch_rmsprop(0.01, 0.9, 1e-8),
    ),
    "rmsprop momentum": (
        lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.8),
        lambda: torch_rmsprop(0.01, 0.9, 1e-8, momentum=0.8),
    ),
    "rmsprop weight decay": (
        lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, weight_decay=0.3),
        lambda: torch_rmsprop(0.01, 0.9, 1e-8, weight_decay=0.3),
    ),
    "rmsprop nesterov (alg. 8.6)": (
        lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.8, nesterov=True),
        lambda: book_rmsprop_nesterov(0.01, 0.9, 0.8, 1e-8),
    ),
    "adam": (lambda p: optim.Adam(p, lr=0.1), lambda: book_adam(0.1, 0.9, 0.999, 1e-8)),
    "adam weight decay": (
        lambda p: optim.Adam(p, lr=0.1, weight_decay=0.5),
        lambda: book_adam(0.1, 0.9, 0.999, 1e-8, weight_decay=0.5),
    ),
    "adam amsgrad": (
        lambda p: optim.Adam(p, lr=0.5, betas=(0.5, 0.3), amsgrad=True),
        lambda: book_adam(0.5, 0.5, 0.3, 1e-8, amsgrad=True),
    ),
    "adamw": (
        lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.5),
        lambda: book_adam(0.1, 0.9, 0.999, 1e-8, weight_decay=0.5, decoupled=True),
    ),
    "adamw amsgrad": (
        lambda p: optim.AdamW(p, lr=0.5, betas=(0.5, 0.3), weight_decay=0.5, amsgrad=True),
        lambda: book_adam(0.5, 0.5, 0.3, 1e-8, weight_decay=0.5, amsgrad=True, decoupled=True),
    ),
}


def run(make_optimizer, steps=STEPS, device="cpu"):
    theta = tg.Tensor(THETA0, requires_grad=True, device=device)
    optimizer = make_optimizer([theta])
    path = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(theta).backward()
        optimizer.step()
        path.append(theta.numpy().copy())
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_three_steps_match_the_hand_computation(name, device):
    make_optimizer, by_hand = CASES[name]
    for step, (ours, expected) in enumerate(
        zip(run(make_optimizer, device=device), by_hand(), strict=True)
    ):
        np.testing.assert_allclose(
            ours, expected, rtol=1e-12, atol=1e-15, err_msg=f"{name}, step {step + 1}"
        )


def test_the_cases_exercise_what_they_name():
    """Weight decay, momentum, Nesterov, dampening and amsgrad each change the path they test."""

    def final(path):
        return path[-1]

    assert not np.allclose(
        final(book_adam(0.5, 0.5, 0.3, 1e-8, amsgrad=True)), final(book_adam(0.5, 0.5, 0.3, 1e-8))
    )
    assert not np.allclose(final(book_nesterov(0.05, 0.9)), final(book_momentum(0.05, 0.9)))
    assert not np.allclose(
        final(torch_sgd_dampened(0.05, 0.9, 0.3)), final(book_momentum(0.05, 0.9))
    )
    assert not np.allclose(
        final(book_rmsprop_nesterov(0.01, 0.9, 0.8, 1e-8)),
        final(torch_rmsprop(0.01, 0.9, 1e-8, momentum=0.8)),
    )
    assert not np.allclose(
        final(book_adam(0.1, 0.9, 0.999, 1e-8, 0.5, decoupled=True)),
        final(book_adam(0.1, 0.9, 0.999, 1e-8, 0.5)),
    )


def test_adam_bias_correction_makes_the_first_step_about_lr_per_coordinate():
    """ŝ/√r̂ = g/|g| on step 1, so every coordinate with a gradient moves by ε (up to δ)."""
    path = run(lambda p: optim.Adam(p, lr=0.01), steps=1)
    g = gradient(THETA0)
    np.testing.assert_allclose(
        path[0] - THETA0, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12, atol=1e-15
    )


def test_rmsprop_nesterov_survives_a_zero_gradient():
    """Algorithm 8.6 as printed divides 0 by 0 here; with δ the point stays put."""
    theta = tg.Tensor(np.zeros(3), requires_grad=True)
    optimizer = optim.RMSprop([theta], momentum=0.9, nesterov=True)
    (theta * theta).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(theta.numpy(), np.zeros(3))


@settings(max_examples=30, deadline=None)
@given(lr=st.floats(1e-3, 0.1), momentum=st.floats(0.0, 0.99), nesterov=st.booleans())
def test_sgd_momentum_is_the_books_velocity_form(lr, momentum, nesterov):
    """PyTorch's b ← μb + g, θ ← θ − εb is Algorithm 8.2 (8.3 with Nesterov) at constant ε."""
    nesterov = nesterov and momentum > 0
    ours = run(lambda p: optim.SGD(p, lr=lr, momentum=momentum, nesterov=nesterov))
    book = book_nesterov(lr, momentum) if nesterov else book_momentum(lr, momentum)
    np.testing.assert_allclose(ours, book, rtol=1e-12, atol=1e-15)


def test_float32_parameters_stay_float32(device):
    theta = tg.Tensor(THETA0.astype(np.float32), requires_grad=True, device=device)
    for optimizer in (
        optim.SGD([theta], lr=0.1, momentum=0.9),
        optim.Adam([theta]),
        optim.RMSprop([theta]),
    ):
        optimizer.zero_grad()
        loss_of(theta).backward()
        optimizer.step()
        assert theta.dtype == np.float32
        assert all(
            value.dtype == np.float32
            for state in optimizer.state.values()
            for value in state.values()
            if hasattr(value, "dtype")
        )


# ---------------------------------------------------------------- groups, closures, checkpoints
def test_parameter_groups_use_their_own_hyperparameters():
    first = tg.Tensor(THETA0, requires_grad=True)
    second = tg.Tensor(THETA0, requires_grad=True)
    optimizer = optim.SGD(
        [{"params": [first]}, {"params": [second], "lr": 0.01, "momentum": 0.5}], lr=0.05
    )
    for _ in range(STEPS):
        optimizer.zero_grad()
        (loss_of(first) + loss_of(second)).backward()
        optimizer.step()
    np.testing.assert_allclose(first.numpy(), book_sgd(0.05)[-1], rtol=1e-12)
    np.testing.assert_allclose(second.numpy(), book_momentum(0.01, 0.5)[-1], rtol=1e-12)
    assert [g["lr"] for g in optimizer.param_groups] == [0.05, 0.01]


@pytest.mark.parametrize("closure_calls_backward", [False, True])
def test_step_with_a_closure_follows_the_same_path(closure_calls_backward):
    theta = tg.Tensor(THETA0, requires_grad=True)
    optimizer = optim.Adam([theta], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = loss_of(theta)
        if closure_calls_backward:
            loss.backward()
        return loss

    losses = [optimizer.step(closure).item() for _ in range(STEPS)]
    np.testing.assert_allclose(theta.numpy(), book_adam(0.1, 0.9, 0.999, 1e-8)[-1], rtol=1e-12)
    expected_first_loss = (0.5 * A * THETA0**2 + 0.25 * THETA0**4).sum()
    assert losses[0] == pytest.approx(expected_first_loss, rel=1e-14)


def test_a_parameter_without_gradient_is_left_alone():
    used = tg.Tensor(THETA0, requires_grad=True)
    unused = tg.Tensor(np.ones(2), requires_grad=True)
    optimizer = optim.Adam([used, unused], lr=0.1)
    loss_of(used).backward()
    optimizer.step()
    np.testing.assert_array_equal(unused.numpy(), np.ones(2))
    assert list(optimizer.state) == [0]


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_resume_is_bit_identical(name):
    make_optimizer = CASES[name][0]
    straight = run(make_optimizer, steps=6)

    theta = tg.Tensor(THETA0, requires_grad=True)
    optimizer = make_optimizer([theta])
    for _ in range(3):
        optimizer.zero_grad()
        loss_of(theta).backward()
        optimizer.step()
    saved_state, saved_theta = optimizer.state_dict(), theta.numpy().copy()
    for _ in range(2):  # keep going: the saved state must be a copy, not a view of the live one
        optimizer.zero_grad()
        loss_of(theta).backward()
        optimizer.step()

    resumed_theta = tg.Tensor(saved_theta, requires_grad=True)
    resumed = make_optimizer([resumed_theta])
    resumed.load_state_dict(saved_state)
    for step in range(3, 6):
        resumed.zero_grad()
        loss_of(resumed_theta).backward()
        resumed.step()
        np.testing.assert_array_equal(resumed_theta.numpy(), straight[step])


def test_load_state_dict_restores_hyperparameters_and_checks_sizes():
    theta = tg.Tensor(THETA0, requires_grad=True)
    optimizer = optim.SGD([theta], lr=0.1)
    optimizer.param_groups[0]["lr"] = 0.02
    saved = optimizer.state_dict()
    other = optim.SGD([tg.Tensor(THETA0, requires_grad=True)], lr=0.1)
    other.load_state_dict(saved)
    assert other.param_groups[0]["lr"] == 0.02
    two = optim.SGD(
        [tg.Tensor(THETA0, requires_grad=True), tg.Tensor(THETA0, requires_grad=True)], lr=0.1
    )
    with pytest.raises(ValueError, match="sizes"):
        two.load_state_dict(saved)


def test_optimizers_on_the_device_reach_the_cpu_result(device):
    for name in ("momentum", "rmsprop nesterov (alg. 8.6)", "adamw amsgrad"):
        make_optimizer = CASES[name][0]
        on_device, on_cpu = run(make_optimizer, device=device)[-1], run(make_optimizer)[-1]
        np.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)


# ---------------------------------------------------------------- validation
def theta():
    return [tg.Tensor(THETA0, requires_grad=True)]


BAD_HYPERPARAMETERS = [
    (lambda: optim.SGD(theta(), lr=-0.1), "lr"),
    (lambda: optim.SGD(theta(), lr=0.1, momentum=-0.5), "momentum"),
    (lambda: optim.SGD(theta(), lr=0.1, nesterov=True), "Nesterov"),
    (lambda: optim.SGD(theta(), lr=0.1, momentum=0.9, nesterov=True, dampening=0.1), "Nesterov"),
    (lambda: optim.SGD(theta(), lr=0.1, weight_decay=-1.0), "weight_decay"),
    (lambda: optim.Adagrad(theta(), lr=-1.0), "lr"),
    (lambda: optim.Adagrad(theta(), eps=-1e-10), "eps"),
    (lambda: optim.RMSprop(theta(), alpha=1.0), "alpha"),
    (lambda: optim.RMSprop(theta(), eps=-1.0), "eps"),
    (lambda: optim.RMSprop(theta(), nesterov=True), "Nesterov"),
    (lambda: optim.Adam(theta(), betas=(1.0, 0.999)), "beta1"),
    (lambda: optim.Adam(theta(), betas=(0.9, -0.1)), "beta2"),
    (lambda: optim.Adam(theta(), betas=(0.9, 0.999, 0.5)), "betas"),
    (lambda: optim.Adam(theta(), eps=-1e-8), "eps"),
    (lambda: optim.AdamW(theta(), lr=float("nan")), "lr"),
    (lambda: optim.SGD([{"params": theta(), "lr": -1.0}], lr=0.1), "lr"),
    (lambda: optim.SGD([{"params": theta(), "momentun": 0.9}], lr=0.1), "momentun"),
    (lambda: optim.SGD([], lr=0.1), "empty"),
]


@pytest.mark.parametrize("make, named", BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_raise_value_error(make, named):
    with pytest.raises(ValueError, match=named):
        make()


def test_a_parameter_listed_twice_is_refused():
    shared = tg.Tensor(THETA0, requires_grad=True)
    with pytest.raises(ValueError, match="more than one place"):
        optim.SGD([{"params": [shared]}, {"params": [shared]}], lr=0.1)


def test_optimizers_table_names_every_first_order_class():
    for name, cls in {
        "sgd": optim.SGD,
        "adagrad": optim.Adagrad,
        "rmsprop": optim.RMSprop,
        "adam": optim.Adam,
        "adamw": optim.AdamW,
    }.items():
        assert optim.OPTIMIZERS[name] is cls
