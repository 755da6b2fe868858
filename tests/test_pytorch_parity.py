"""tinygrad_ch8 against PyTorch: the optimizers, BatchNorm1d and the losses give PyTorch's numbers.

DESIGN.md promises that SGD, Adagrad, RMSprop, Adam/AdamW and LBFGS take PyTorch's names and
hyperparameters and, with the same ones, follow the same trajectory; and that BatchNorm1d and
the losses compute what PyTorch's do. Each case here starts both frameworks from the same
float64 arrays, evaluates the same small loss in each, and compares after every step at
float64 round-off (rtol 1e-12). PyTorch is an optional reference, not a dependency: without it
this file is skipped (``pip install torch`` to run it).
"""

import inspect

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is an optional reference, not a dependency")

import tinygrad_ch8 as tg  # noqa: E402
import tinygrad_ch8.functional as F  # noqa: E402
from tinygrad_ch8 import init, nn, optim  # noqa: E402

# Round-off of float64 for a handful of operations on O(1) numbers, accumulated over 10 steps.
RTOL = 1e-12
ATOL = 1e-14
STEPS = 10


def as_numpy(value) -> np.ndarray:
    if isinstance(value, tg.Tensor):
        return value.numpy()
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return np.asarray(value)


def assert_close(ours, theirs, rtol=RTOL, atol=ATOL, what=""):
    np.testing.assert_allclose(as_numpy(ours), as_numpy(theirs), rtol=rtol, atol=atol, err_msg=what)


# ---------------------------------------------------------------- a tiny MLP on fixed data
_rng = np.random.default_rng(8)
X = _rng.standard_normal((6, 3))
Y = _rng.standard_normal((6, 2))
# W1 (3, 4), b1 (4,), W2 (4, 2), b2 (2,): y = tanh(x W1 + b1) W2 + b2, as nn.Linear stores them
MLP_START = [
    0.5 * _rng.standard_normal((3, 4)),
    0.1 * _rng.standard_normal(4),
    0.5 * _rng.standard_normal((4, 2)),
    0.1 * _rng.standard_normal(2),
]


def mlp_loss_tg(params):
    w1, b1, w2, b2 = params
    prediction = (tg.Tensor(X, device=w1.device) @ w1 + b1).tanh() @ w2 + b2
    return F.mse_loss(prediction, tg.Tensor(Y, device=w1.device))


def mlp_loss_torch(params):
    w1, b1, w2, b2 = params
    prediction = torch.tanh(torch.from_numpy(X) @ w1 + b1) @ w2 + b2
    return torch.nn.functional.mse_loss(prediction, torch.from_numpy(Y))


def both_params(start, device):
    """The same starting arrays as tinygrad_ch8 (on ``device``) and PyTorch (CPU) leaves, float64."""
    ours = [tg.Tensor(array.copy(), requires_grad=True, device=device) for array in start]
    theirs = [torch.tensor(array.copy(), requires_grad=True) for array in start]
    return ours, theirs


# ---------------------------------------------------------------- first-order optimizers
# (name, hyperparameters): the same class name and keyword arguments for both frameworks.
FIRST_ORDER = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.95, "eps": 1e-4, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.05, "betas": (0.5, 0.9), "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05, "betas": (0.5, 0.9), "weight_decay": 0.1, "amsgrad": True}),
]


def _case_id(case):
    name, hyperparameters = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in hyperparameters.items()) + ")"


@pytest.mark.parametrize("name, hyperparameters", FIRST_ORDER, ids=map(_case_id, FIRST_ORDER))
def test_first_order_trajectory_matches_pytorch(name, hyperparameters, device):
    ours, theirs = both_params(MLP_START, device)
    opt_ours = getattr(optim, name)(ours, **hyperparameters)
    opt_theirs = getattr(torch.optim, name)(theirs, **hyperparameters)
    for step in range(STEPS):
        loss_ours, loss_theirs = mlp_loss_tg(ours), mlp_loss_torch(theirs)
        opt_ours.zero_grad()
        opt_theirs.zero_grad()
        loss_ours.backward()
        loss_theirs.backward()
        assert_close(loss_ours, loss_theirs, what=f"{name} loss before step {step + 1}")
        for i, (p_ours, p_theirs) in enumerate(zip(ours, theirs, strict=True)):
            assert_close(p_ours.grad, p_theirs.grad, what=f"{name} gradient {i}, step {step + 1}")
        opt_ours.step()
        opt_theirs.step()
        for i, (p_ours, p_theirs) in enumerate(zip(ours, theirs, strict=True)):
            assert_close(p_ours, p_theirs, what=f"{name} parameter {i} after step {step + 1}")


@pytest.mark.parametrize(
    "name, shared, per_group",
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}, [{}, {"lr": 0.01}]),
        ("SGD", {"lr": 0.1}, [{"lr": 0.3, "weight_decay": 0.01}, {"momentum": 0.9}]),
        ("Adam", {"lr": 0.05}, [{}, {"lr": 0.01, "betas": (0.8, 0.9)}]),
        ("RMSprop", {"lr": 0.01}, [{"momentum": 0.9}, {"alpha": 0.9}]),
    ],
)
def test_parameter_groups_match_pytorch(name, shared, per_group, device):
    """Group 0 holds the first layer (W1, b1), group 1 the second; each with its own settings."""
    ours, theirs = both_params(MLP_START, device)

    def groups(params):
        return [
            {"params": params[:2], **per_group[0]},
            {"params": params[2:], **per_group[1]},
        ]

    opt_ours = getattr(optim, name)(groups(ours), **shared)
    opt_theirs = getattr(torch.optim, name)(groups(theirs), **shared)
    for step in range(STEPS):
        for opt, loss in ((opt_ours, mlp_loss_tg(ours)), (opt_theirs, mlp_loss_torch(theirs))):
            opt.zero_grad()
            loss.backward()
            opt.step()
        for i, (p_ours, p_theirs) in enumerate(zip(ours, theirs, strict=True)):
            assert_close(p_ours, p_theirs, what=f"{name} parameter {i} after step {step + 1}")


# ---------------------------------------------------------------- L-BFGS
# A small least-squares problem, J(x) = ½‖Ax − b‖², and 2-D Rosenbrock.
A_LSQ = _rng.standard_normal((8, 4)) @ np.diag([1.0, 2.0, 0.5, 3.0])
B_LSQ = _rng.standard_normal(8)


def least_squares(x, lib):
    if lib is torch:
        residual = torch.from_numpy(A_LSQ) @ x - torch.from_numpy(B_LSQ)
    else:
        residual = tg.Tensor(A_LSQ, device=x.device) @ x - tg.Tensor(B_LSQ, device=x.device)
    return 0.5 * (residual * residual).sum()


def rosenbrock(x, lib):
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] * x[0]) ** 2


LBFGS_PROBLEMS = {
    "least_squares": (least_squares, np.array([1.0, -1.0, 0.5, 2.0])),
    "rosenbrock": (rosenbrock, np.array([-1.2, 1.0])),
}


def torch_closure(opt, x, loss_fn):
    def closure():
        opt.zero_grad()
        loss = loss_fn(x, torch)
        loss.backward()
        return loss

    return closure


def tg_closure(opt, x, loss_fn, style):
    """Our closure in either documented style: return the graph, or run backward() first."""

    def closure():
        loss = loss_fn(x, tg)
        if style == "backward":
            opt.zero_grad()
            loss.backward()
        return loss

    return closure


# (problem, hyperparameters, calls of step(closure)): fixed-step runs stopped well before
# round-off dominates (there y = Δg is noise and the two frameworks' directions part ways).
# history_size is always given: its default is 10 here and 100 in PyTorch (see
# test_hyperparameters_have_pytorchs_names_and_defaults); the Rosenbrock rows run past 10 pairs.
LBFGS_FIXED_STEP = [
    ("least_squares", {"lr": 1.0, "max_iter": 3, "history_size": 10}, 4),
    ("least_squares", {"lr": 0.5, "max_iter": 2, "history_size": 2}, 6),
    ("least_squares", {"lr": 1.0, "max_iter": 1, "history_size": 10}, 8),
    ("rosenbrock", {"lr": 0.1, "max_iter": 4, "history_size": 10}, 5),
    ("rosenbrock", {"lr": 0.1, "max_iter": 4, "history_size": 100}, 5),
    ("rosenbrock", {"lr": 0.2, "max_iter": 3, "history_size": 1}, 5),
]


@pytest.mark.parametrize("style", ["graph", "backward"])
@pytest.mark.parametrize("problem, hyperparameters, calls", LBFGS_FIXED_STEP)
def test_lbfgs_fixed_step_matches_pytorch_call_by_call(
    problem, hyperparameters, calls, style, device
):
    """line_search_fn=None: the same iterates after every step(closure) call."""
    loss_fn, start = LBFGS_PROBLEMS[problem]
    ours, theirs = both_params([start], device)
    opt_ours = optim.LBFGS(ours, line_search_fn=None, **hyperparameters)
    opt_theirs = torch.optim.LBFGS(theirs, line_search_fn=None, **hyperparameters)
    closure_ours = tg_closure(opt_ours, ours[0], loss_fn, style)
    closure_theirs = torch_closure(opt_theirs, theirs[0], loss_fn)
    for call in range(calls):
        loss_ours = opt_ours.step(closure_ours)
        loss_theirs = opt_theirs.step(closure_theirs)
        # both return the loss the closure gave first, at the point the call started from
        assert_close(loss_ours, loss_theirs, what=f"{problem}: loss returned by call {call + 1}")
        assert_close(ours[0], theirs[0], what=f"{problem}: x after call {call + 1}")


def test_lbfgs_goes_on_where_pytorch_stops_on_a_small_slope(device):
    """The documented difference: PyTorch also stops when gᵀd > −tolerance_change.

    On the least-squares problem the two agree for the first two calls (10 iterations);
    in the third the slope along d falls to about −1e-11, PyTorch stops there for good
    (every later call takes one look at gᵀd and returns), and ours converges on.
    """
    loss_fn, start = LBFGS_PROBLEMS["least_squares"]
    minimizer = np.linalg.lstsq(A_LSQ, B_LSQ, rcond=None)[0]
    ours, theirs = both_params([start], device)
    hyperparameters = {"lr": 1.0, "max_iter": 5, "history_size": 10, "line_search_fn": None}
    opt_ours = optim.LBFGS(ours, **hyperparameters)
    opt_theirs = torch.optim.LBFGS(theirs, **hyperparameters)
    for call in range(6):
        opt_ours.step(tg_closure(opt_ours, ours[0], loss_fn, "graph"))
        opt_theirs.step(torch_closure(opt_theirs, theirs[0], loss_fn))
        if call < 2:
            assert_close(ours[0], theirs[0], what=f"x after call {call + 1}")
    state = opt_theirs.state[theirs[0]]
    slope = float(state["prev_flat_grad"] @ state["d"])
    assert -opt_theirs.defaults["tolerance_change"] < slope < 0
    assert np.abs(as_numpy(theirs[0]) - minimizer).max() > 1e-7
    assert np.abs(as_numpy(ours[0]) - minimizer).max() < 1e-8


# (problem, atol on x): how close to x* the converged point can be is set by round-off, not
# by the optimizers. Rosenbrock reaches ‖g‖∞ ≤ tolerance_grad = 1e-10, which puts x within
# ‖H⁻¹(x*)‖ · ‖g‖₂ ≲ 2.5 · √2 · 1e-10 ≈ 4e-10 of x* = (1, 1). The least-squares loss sits at J* ≈ 0.88, which
# float64 resolves to about 1e-16, and J − J* = ½ (x − x*)ᵀ AᵀA (x − x*) with λ_min(AᵀA) ≈ 1.25:
# once x is within √(2 · 1e-16 / 1.25) ≈ 1e-8 of x* no line search can find a lower loss.
LBFGS_STRONG_WOLFE = [("rosenbrock", 1e-9), ("least_squares", 1e-7)]


@pytest.mark.parametrize("problem, atol", LBFGS_STRONG_WOLFE)
def test_lbfgs_strong_wolfe_reaches_pytorchs_minimizer(problem, atol, device):
    """line_search_fn="strong_wolfe": only the converged point is compared.

    The two line searches differ by design (ours is Nocedal & Wright's Algorithms 3.5/3.6,
    PyTorch's a port of minFunc's): both return strong Wolfe steps, but not always the same
    ones, so the iterates may part ways and are not compared step by step. After five calls
    of step(closure) (20 iterations each) both must sit at the minimizer x*.
    tolerance_change = 0 leaves ‖g‖∞ ≤ tolerance_grad and a failed line search as the only
    stopping rules, so that PyTorch's extra stop on gᵀd > −tolerance_change (see the LBFGS
    docstring) does not halt it early.
    """
    loss_fn, start = LBFGS_PROBLEMS[problem]
    ours, theirs = both_params([start], device)
    hyperparameters = {
        "tolerance_grad": 1e-10,
        "tolerance_change": 0.0,
        "history_size": 10,
        "line_search_fn": "strong_wolfe",
    }
    opt_ours = optim.LBFGS(ours, **hyperparameters)
    opt_theirs = torch.optim.LBFGS(theirs, **hyperparameters)
    for _ in range(5):
        opt_ours.step(tg_closure(opt_ours, ours[0], loss_fn, "graph"))
        opt_theirs.step(torch_closure(opt_theirs, theirs[0], loss_fn))
    if problem == "rosenbrock":
        minimizer = np.ones(2)
    else:
        minimizer = np.linalg.lstsq(A_LSQ, B_LSQ, rcond=None)[0]
    assert_close(ours[0], minimizer, rtol=0, atol=atol, what="ours vs x*")
    assert_close(theirs[0], minimizer, rtol=0, atol=atol, what="PyTorch vs x*")


OUR_DEFAULTS = {("LBFGS", "history_size"): 10, ("LBFGS", "line_search_fn"): "strong_wolfe"}


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "LBFGS"])
def test_hyperparameters_have_pytorchs_names_and_defaults(name):
    """Every hyperparameter here is one of PyTorch's, with its default, but these.

    - RMSprop's ``nesterov`` (the book's Algorithm 8.6) has no counterpart in PyTorch.
    - L-BFGS's ``history_size`` defaults to 10 here (DESIGN.md; Nocedal & Wright suggest
      3 to 20 pairs) and to 100 in PyTorch; given explicitly, the trajectories agree (above).
    - L-BFGS's ``line_search_fn`` defaults to "strong_wolfe" here (DESIGN.md) and to None in
      PyTorch, whose fixed unit steps diverge on many losses.

    SGD's ``lr`` has no default here (PyTorch's is 1e-3).
    """
    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    for argument, parameter in ours.items():
        if argument == "params" or (name, argument) == ("RMSprop", "nesterov"):
            continue
        assert argument in theirs, f"{name}: PyTorch has no hyperparameter {argument!r}"
        if parameter.default is inspect.Parameter.empty:
            continue
        expected = OUR_DEFAULTS.get((name, argument), theirs[argument].default)
        assert parameter.default == expected, f"{name}: the defaults of {argument!r} differ"


# ---------------------------------------------------------------- BatchNorm1d
BATCH_NORM = [
    # (affine, momentum, eps, batch sizes of the three training batches)
    (True, 0.1, 1e-5, (8, 8, 8)),
    (True, 0.1, 1e-5, (2, 5, 16)),
    (True, 0.3, 1e-3, (4, 7, 3)),
    (False, 0.1, 1e-5, (8, 6, 10)),
]


@pytest.mark.parametrize("affine, momentum, eps, batch_sizes", BATCH_NORM)
def test_batch_norm_matches_pytorch(affine, momentum, eps, batch_sizes, device):
    # the layer's parameters and buffers; the conftest fixture puts float32 and the CPU back
    tg.set_default_dtype("float64")
    tg.set_default_device(device)
    rng = np.random.default_rng(1)
    features = 5
    ours = nn.BatchNorm1d(features, eps=eps, momentum=momentum, affine=affine)
    theirs = torch.nn.BatchNorm1d(
        features, eps=eps, momentum=momentum, affine=affine, dtype=torch.float64
    )
    if affine:  # start γ, β away from 1, 0 so that they matter
        gamma, beta = 1.0 + 0.3 * rng.standard_normal(features), rng.standard_normal(features)
        ours.gamma.data[...] = tg.Tensor(gamma, device=device).data
        ours.beta.data[...] = tg.Tensor(beta, device=device).data
        with torch.no_grad():
            theirs.weight.copy_(torch.from_numpy(gamma))
            theirs.bias.copy_(torch.from_numpy(beta))
    for batch, n in enumerate(batch_sizes):
        h = 2.0 + 3.0 * rng.standard_normal((n, features))
        weights = rng.standard_normal((n, features))  # loss Σ w ⊙ out: a non-trivial gy
        h_ours, h_theirs = (
            tg.Tensor(h, requires_grad=True, device=device),
            torch.tensor(h, requires_grad=True),
        )
        out_ours, out_theirs = ours(h_ours), theirs(h_theirs)
        assert_close(out_ours, out_theirs, what=f"training output, batch {batch}")
        (out_ours * tg.Tensor(weights, device=device)).sum().backward()
        (out_theirs * torch.from_numpy(weights)).sum().backward()
        assert_close(h_ours.grad, h_theirs.grad, what=f"gradient wrt input, batch {batch}")
        if affine:
            assert_close(ours.gamma.grad, theirs.weight.grad, what=f"gradient wrt γ, batch {batch}")
            assert_close(ours.beta.grad, theirs.bias.grad, what=f"gradient wrt β, batch {batch}")
            ours.zero_grad()
            theirs.zero_grad()
    assert_close(ours.running_mean, theirs.running_mean, what="running_mean")
    assert_close(ours.running_var, theirs.running_var, what="running_var")
    ours.eval()
    theirs.eval()
    h = 2.0 + 3.0 * rng.standard_normal((4, features))
    assert_close(ours(tg.Tensor(h, device=device)), theirs(torch.from_numpy(h)), what="eval output")


# ---------------------------------------------------------------- losses
LOGITS = {
    "moderate": _rng.standard_normal((5, 4)),
    "large": 300.0 * _rng.standard_normal((5, 4)),  # exp overflows unless the max is subtracted
}
LABELS = np.array([0, 3, 1, 1, 2])
SOFT = _rng.random((5, 4))
SOFT = SOFT / SOFT.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("scale", sorted(LOGITS))
@pytest.mark.parametrize("target", ["indices", "soft"])
def test_cross_entropy_matches_pytorch(scale, target, device):
    logits = LOGITS[scale]
    z_ours, z_theirs = (
        tg.Tensor(logits, requires_grad=True, device=device),
        torch.tensor(logits, requires_grad=True),
    )
    if target == "indices":
        t_ours, t_theirs = LABELS, torch.from_numpy(LABELS)
    else:
        t_ours, t_theirs = (
            tg.Tensor(SOFT, requires_grad=True, device=device),
            torch.tensor(SOFT, requires_grad=True),
        )
    loss_ours = F.cross_entropy(z_ours, t_ours)
    loss_theirs = torch.nn.functional.cross_entropy(z_theirs, t_theirs)
    assert_close(loss_ours, loss_theirs, what="cross-entropy")
    loss_ours.backward()
    loss_theirs.backward()
    assert_close(z_ours.grad, z_theirs.grad, what="gradient wrt logits")
    if target == "soft":
        # the soft targets' gradient −log softmax / N carries the logits' scale: O(300) entries
        assert_close(t_ours.grad, t_theirs.grad, what="gradient wrt soft targets")


@pytest.mark.parametrize("scale", sorted(LOGITS))
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_log_softmax_matches_pytorch(scale, axis, device):
    logits = LOGITS[scale]
    weights = _rng.standard_normal(logits.shape)
    z_ours, z_theirs = (
        tg.Tensor(logits, requires_grad=True, device=device),
        torch.tensor(logits, requires_grad=True),
    )
    out_ours = F.log_softmax(z_ours, axis=axis)
    out_theirs = torch.nn.functional.log_softmax(z_theirs, dim=axis)
    assert_close(out_ours, out_theirs, what="log_softmax")
    (out_ours * tg.Tensor(weights, device=device)).sum().backward()
    (out_theirs * torch.from_numpy(weights)).sum().backward()
    assert_close(z_ours.grad, z_theirs.grad, what="gradient of log_softmax")


# ---------------------------------------------------------------- init
@pytest.mark.parametrize("shape", [(6, 3), (3, 6), (4, 4)])
def test_orthogonal_has_the_structure_of_pytorchs(shape):
    """No numerical parity (the random draws differ); the structure torch's orthogonal_ has.

    torch.nn.init.orthogonal_ on an (out, in) weight gives orthonormal rows or columns,
    whichever there are fewer of; so must ours on an (in, out) weight: every singular value
    equals ``gain``.
    """
    gain = 1.5
    ours = init.orthogonal(shape, rng=0, dtype="float64", gain=gain)
    theirs = torch.nn.init.orthogonal_(torch.empty(shape[::-1], dtype=torch.float64), gain=gain)
    assert ours.shape == tuple(shape)
    np.testing.assert_allclose(np.linalg.svd(ours, compute_uv=False), gain, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(theirs.numpy(), compute_uv=False), gain, rtol=1e-12)


# ---------------------------------------------------------------- the PyTorch idioms (issue 12)
_idiom_rng = np.random.default_rng(12)
# ties and boundary values on purpose: max/min with repeated maxima, clamp at its bounds, zeros
TIED = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, -1.0, 0.5], [2.0, -0.5, 0.0, 0.0]])
IDIOMS = [
    ("transpose(0, 1)", lambda x: x.transpose(0, 1), lambda x: x.transpose(0, 1), (2, 3, 4)),
    ("transpose(-1, 0)", lambda x: x.transpose(-1, 0), lambda x: x.transpose(-1, 0), (2, 3, 4)),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), (2, 3, 4)),
    ("t()", lambda x: x.t(), lambda x: x.t(), (3, 4)),
    (".T", lambda x: x.T, lambda x: x.permute(2, 1, 0), (2, 3, 4)),
    ("view", lambda x: x.view(4, -1), lambda x: x.view(4, -1), (2, 3, 4)),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda x: x.unsqueeze(1), (2, 3)),
    ("squeeze()", lambda x: x.squeeze(), lambda x: x.squeeze(), (1, 3, 1)),
    ("squeeze(dim)", lambda x: x.squeeze(0), lambda x: x.squeeze(0), (1, 3, 1)),
    ("squeeze(non-1 dim)", lambda x: x.squeeze(1), lambda x: x.squeeze(1), (1, 3, 1)),
    ("flatten(1)", lambda x: x.flatten(1), lambda x: x.flatten(1), (2, 3, 4)),
    ("flatten(0, 1)", lambda x: x.flatten(0, 1), lambda x: x.flatten(0, 1), (2, 3, 4)),
    ("expand", lambda x: x.expand(2, -1, 4), lambda x: x.expand(2, -1, 4), (3, 1)),
    (
        "sum(dim, keepdim)",
        lambda x: x.sum(dim=1, keepdim=True),
        lambda x: x.sum(dim=1, keepdim=True),
        (2, 3, 4),
    ),
    ("mean(dim tuple)", lambda x: x.mean(dim=(0, 2)), lambda x: x.mean(dim=(0, 2)), (2, 3, 4)),
    ("amax (ties)", lambda x: x.amax(dim=1), lambda x: x.amax(dim=1), TIED),
    (
        "amin (ties)",
        lambda x: x.amin(dim=0, keepdim=True),
        lambda x: x.amin(dim=0, keepdim=True),
        TIED,
    ),
    ("max() (ties)", lambda x: x.max(), lambda x: x.max(), TIED),
    ("clamp (at the bounds)", lambda x: x.clamp(-1.0, 0.5), lambda x: x.clamp(-1.0, 0.5), TIED),
    ("clamp(min)", lambda x: x.clamp(min=0.0), lambda x: x.clamp(min=0.0), TIED),
    ("clip(max)", lambda x: x.clip(max=0.5), lambda x: x.clip(max=0.5), TIED),
    ("pow(3)", lambda x: x.pow(3), lambda x: x.pow(3), (2, 3)),
    ("pow(0) at 0", lambda x: x.pow(0), lambda x: x.pow(0), TIED),
    ("x ** 1 * x at 0", lambda x: x**1 * x, lambda x: x**1 * x, TIED),
    ("clone", lambda x: x.clone() * x, lambda x: x.clone() * x, (2, 3)),
    ("float().double()", lambda x: x.float().double(), lambda x: x.float().double(), (2, 3)),
    ("softmax(dim=0)", lambda x: F.softmax(x, dim=0), lambda x: torch.softmax(x, dim=0), (3, 4)),
    (
        "log_softmax(dim=1)",
        lambda x: F.log_softmax(x, dim=1),
        lambda x: torch.log_softmax(x, dim=1),
        (3, 4),
    ),
    (
        "logsumexp(dim=1)",
        lambda x: F.logsumexp(x, dim=1),
        lambda x: torch.logsumexp(x, dim=1),
        (3, 4),
    ),
    (
        "cat(dim=1)",
        lambda x: tg.cat([x, 2 * x], dim=1),
        lambda x: torch.cat([x, 2 * x], dim=1),
        (2, 3),
    ),
    (
        "stack(dim=1)",
        lambda x: tg.stack([x, x * x], dim=1),
        lambda x: torch.stack([x, x * x], dim=1),
        (2, 3),
    ),
]


@pytest.mark.parametrize("name, ours, theirs, shape", IDIOMS, ids=[row[0] for row in IDIOMS])
def test_new_ops_match_pytorch_in_value_and_gradient(name, ours, theirs, shape):
    start = shape if isinstance(shape, np.ndarray) else _idiom_rng.standard_normal(shape)
    x_tg = tg.Tensor(start, requires_grad=True)
    x_torch = torch.tensor(start, requires_grad=True)
    y_tg, y_torch = ours(x_tg), theirs(x_torch)
    assert y_tg.shape == tuple(y_torch.shape)
    assert_close(y_tg, y_torch, what=name)
    projection = np.random.default_rng(1).standard_normal(y_tg.shape)
    (y_tg * tg.Tensor(projection)).sum().backward()
    (y_torch * torch.tensor(projection)).sum().backward()
    assert_close(x_tg.grad, x_torch.grad, what=f"{name}: gradient")


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("method", ["max", "min"])
def test_max_with_dim_matches_pytorchs_values_indices_and_gradient(method, keepdim):
    start = TIED[:, :3]  # no ties along dim 1 within the first three columns except row 1
    x_tg = tg.Tensor(start, requires_grad=True)
    x_torch = torch.tensor(start, requires_grad=True)
    ours = getattr(x_tg, method)(1, keepdim=keepdim)
    theirs = getattr(x_torch, method)(1, keepdim=keepdim)
    assert_close(ours.values, theirs.values)
    assert_close(ours.indices, theirs.indices)
    ours.values.sum().backward()
    theirs.values.sum().backward()
    assert_close(x_tg.grad, x_torch.grad)


INFINITE_LOGITS = np.array([[-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0], [0.0, -np.inf, 2.0]])


def test_logsumexp_and_log_softmax_of_infinite_logits_match_pytorch():
    with np.errstate(divide="ignore", invalid="ignore"):
        ours = F.logsumexp(tg.Tensor(INFINITE_LOGITS), dim=1).numpy()
        log_probs = F.log_softmax(tg.Tensor(INFINITE_LOGITS), dim=1).numpy()
    theirs = torch.logsumexp(torch.tensor(INFINITE_LOGITS), dim=1).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(log_probs, torch.log_softmax(torch.tensor(INFINITE_LOGITS), 1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_options_match_pytorch(reduction, label_smoothing):
    logits = _idiom_rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    logits[2, 0] = -np.inf  # a masked class that is not the target
    x_tg = tg.Tensor(logits, requires_grad=True)
    x_torch = torch.tensor(logits, requires_grad=True)
    ours = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=label_smoothing)(x_tg, labels)
    theirs = torch.nn.functional.cross_entropy(
        x_torch, torch.tensor(labels), reduction=reduction, label_smoothing=label_smoothing
    )
    if label_smoothing:  # the smoothing mass on a −∞ logit is an infinite loss in both
        assert np.isinf(ours.numpy()).any() and torch.isinf(theirs).any()
        return
    assert_close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(x_tg.grad, x_torch.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_reduction_matches_pytorch(reduction):
    a, b = _idiom_rng.standard_normal((2, 3, 4))
    ours = nn.MSELoss(reduction)(tg.Tensor(a), tg.Tensor(b))
    theirs = torch.nn.MSELoss(reduction=reduction)(torch.tensor(a), torch.tensor(b))
    assert_close(ours, theirs)


def test_engine_regressions_match_pytorch():
    # the gradient with respect to a same-shape reshape is that node's own
    h_tg = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, dtype="float64")
    h_torch = torch.tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=torch.float64)
    r_tg, r_torch = h_tg.reshape(3), h_torch.reshape(3)
    ours = tg.grad((3 * r_tg + 5 * h_tg).sum(), [h_tg, r_tg])
    theirs = torch.autograd.grad((3 * r_torch + 5 * h_torch).sum(), [h_torch, r_torch])
    for o, t in zip(ours, theirs, strict=True):
        assert_close(o, t)
    # Hessian-vector product with v given as a list
    x = np.array([0.5, -1.0, 2.0])
    _, ours_hv = tg.autograd.hvp(lambda t: (t**3).sum(), tg.Tensor(x), [1.0, 0.0, 0.0])
    _, theirs_hv = torch.autograd.functional.hvp(
        lambda t: (t**3).sum(), torch.tensor(x), torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    )
    assert_close(ours_hv, theirs_hv)


def test_cosine_annealing_lr_matches_pytorch_past_t_max():
    ours_opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.5)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    ours = optim.lr_scheduler.CosineAnnealingLR(ours_opt, T_max=5, eta_min=0.01)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(theirs_opt, T_max=5, eta_min=0.01)
    for _ in range(23):
        theirs_opt.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15)


def test_dropout_scales_as_pytorch():
    x = np.ones((200, 50))
    ours = nn.Dropout(0.3)(tg.Tensor(x)).numpy()
    theirs = torch.nn.Dropout(0.3)(torch.tensor(x)).numpy()
    assert set(np.unique(ours)) == set(np.unique(theirs))  # {0, 1 / 0.7}
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.03
