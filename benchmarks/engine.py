"""Benchmark: the engine against hand-written NumPy (CuPy on a GPU), timed in the same process.

    python benchmarks/engine.py [--device cpu|cuda] [--repeats N] [--quick] [--threads N]

Prints one markdown table, every row against its issue-15 target, with PyTorch's time and its
ratio in two extra columns where ``import torch`` works (CPU only; "n/a" otherwise):

1. one MLP training step (forward, mean cross-entropy, backward, SGD update; ReLU; float32) at
   (batch, in, hidden, depth) = (32, 64, 64, 2), (128, 784, 256, 2), (512, 784, 1024, 3), where
   depth is the number of hidden layers (each `hidden` wide) before a 10-class output layer.
   The engine step is what a user writes, `F.cross_entropy(model(x), y).backward()` with
   `F.affine` layers (what `nn.Linear` computes), then in-place SGD on `.data` under
   `no_grad`; the baseline is the same network's forward and backward written by hand on
   arrays; PyTorch's is `torch.nn.Linear` layers, `cross_entropy(...).backward()` and the same
   update. All start from the same weights and the script checks that their first losses
   agree. Target: engine / NumPy ≤ 2.3, ≤ 1.15 and ≤ 1.05 at the three sizes;
2. per-op overhead of a 3-element add in microseconds, next to the add on bare arrays: forward
   without a graph and forward while recording (reported), forward + `backward(grad)`
   (target ≤ 5 µs);
3. a Hessian-vector product over one gradient (each forward + backward) on the middle MLP in
   float64, `tg.autograd.hvp` against `tg.grad` (PyTorch: `torch.autograd.grad` twice, the
   first with `create_graph=True`, over its own gradient). Target ≤ 2.3;
4. a 200,000-op chain, `y = y * 1.0000001` from a 3-element leaf, then `y.sum().backward()`:
   forward and backward microseconds per op (targets ≤ 3 µs each; forward next to the same
   chain on bare arrays), and the peak resident memory of a fresh process that runs only the
   chain (this script with a hidden flag; `ru_maxrss`, so the imported libraries count and the
   other rows do not). Target ≤ 250 MB. CPU only: skipped on a GPU;
5. the training monitor's cost per step, off, recording every step and every 10th (CPU, reported);
6. resident memory after 1,000 training steps against after 10 (target: no growth).

Every measure's engine runs are timed in turn with its baseline runs after a warm-up, and
PyTorch's in turn with the baseline again, apart from the engine's (PyTorch's runs slow the
runs next to them, ``medians_apart``); each median is reported, so a machine shared with
other work affects both sides of a ratio alike; rerun and keep the best when it is busy. The BLAS thread count threadpoolctl reports is printed;
``--threads N`` limits it (and PyTorch's) to N, by default the libraries' defaults stand. A
multi-threaded BLAS on an oversubscribed machine makes absolute times erratic (the ratios hold
up better); ``--threads 1`` gives steadier absolute numbers there.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1])
)  # run from a checkout without installing

import tinygrad_ch8 as tg  # noqa: E402
import tinygrad_ch8.functional as F  # noqa: E402
from tinygrad_ch8 import backend  # noqa: E402

SIZES = [(32, 64, 64, 2), (128, 784, 256, 2), (512, 784, 1024, 3)]
STEP_TARGETS = {SIZES[0]: 2.3, SIZES[1]: 1.15, SIZES[2]: 1.05}
CLASSES = 10
LEARNING_RATE = 0.01
HVP_TARGET = 2.3
ADD_TARGET_US = 5.0
CHAIN_OPS = 200_000
CHAIN_FACTOR = 1.0000001
CHAIN_TARGET_US = 3.0
CHAIN_PEAK_TARGET_MB = 250.0
NO_VALUE = "–"  # a column with nothing to compare on this row


def optional_torch():
    """PyTorch, an optional reference for the extra columns, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


# ---------------------------------------------------------------- the network, three times
def make_problem(xp, size, seed=0, dtype=numpy.float32):
    """Inputs, labels and He-initialized weights [(W, b), ...] for the hidden and output layers."""
    batch, inputs, hidden, depth = size
    rng = numpy.random.default_rng(seed)
    widths = [inputs] + [hidden] * depth + [CLASSES]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        weight = rng.standard_normal((fan_in, fan_out)) * numpy.sqrt(2.0 / fan_in)
        layers.append((xp.asarray(weight, dtype=dtype), xp.zeros(fan_out, dtype=dtype)))
    x = xp.asarray(rng.standard_normal((batch, inputs)), dtype=dtype)
    y = xp.asarray(rng.integers(0, CLASSES, size=batch))
    return x, y, layers


def array_step(xp, x, y, layers) -> float:
    """One SGD step written by hand: forward, mean cross-entropy, backward, in-place update."""
    activations, pre_activations = [x], []
    h = x
    for weight, bias in layers[:-1]:
        z = h @ weight + bias
        pre_activations.append(z)
        h = xp.maximum(z, 0)
        activations.append(h)
    logits = h @ layers[-1][0] + layers[-1][1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = xp.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = xp.arange(len(y))
    loss = (xp.log(total[:, 0]) - shifted[rows, y]).mean()

    g = exp / total  # d loss / d logits = (softmax − onehot) / N
    g[rows, y] -= 1
    g /= len(y)
    for index in range(len(layers) - 1, -1, -1):
        weight, bias = layers[index]
        g_weight, g_bias = activations[index].T @ g, g.sum(axis=0)
        if index > 0:
            g = (g @ weight.T) * (pre_activations[index - 1] > 0)
        weight -= LEARNING_RATE * g_weight
        bias -= LEARNING_RATE * g_bias
    return float(loss)


def as_parameters(layers) -> list:
    return [tg.Tensor.from_array(array).requires_grad_() for layer in layers for array in layer]


def engine_loss(x, y, parameters):
    h = x
    for weight, bias in zip(parameters[:-2:2], parameters[1:-2:2], strict=True):
        h = F.affine(h, weight, bias).relu()  # what nn.Linear computes
    return F.cross_entropy(F.affine(h, parameters[-2], parameters[-1]), y)


def engine_step(x, y, parameters) -> float:
    """The same step on the engine: backward() fills .grad; SGD updates .data in place."""
    loss = engine_loss(x, y, parameters)
    loss.backward()
    with tg.no_grad():
        for p in parameters:
            p.data -= LEARNING_RATE * p.grad.data
            p.grad = None
    return loss.item()


def torch_model(torch, layers):
    """torch.nn.Linear layers with ReLU between them, holding a copy of ``layers``' weights
    (nn.Linear stores W as (out, in), the transpose of this project's layout)."""
    modules = []
    for weight, bias in layers:
        linear = torch.nn.Linear(*weight.shape, dtype=torch.from_numpy(weight).dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight.T))
            linear.bias.copy_(torch.from_numpy(bias))
        modules += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*modules[:-1])


def torch_step(torch, model, x, y) -> float:
    """The same step in PyTorch, written as its users write it."""
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= LEARNING_RATE * p.grad
            p.grad = None
    return loss.item()


# ---------------------------------------------------------------- timing
def synchronizer(xp):
    """Wait for the GPU to finish its queued kernels (CuPy launches them asynchronously)."""
    if xp is numpy:
        return lambda: None
    return xp.cuda.Device().synchronize


def interleaved_medians(runs: dict, repeats: int, synchronize, warmup: int = 3) -> dict:
    """Median seconds of each run, timed in turn (A, B, A, B, ...) so that a burst of load from
    elsewhere on the machine falls on both sides alike."""
    for _ in range(warmup):
        for run in runs.values():
            run()
    synchronize()
    samples = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            synchronize()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def medians_apart(
    baseline: dict, engine_runs: dict, torch_runs: dict, repeats: int, synchronize, warmup: int = 3
) -> dict:
    """``interleaved_medians`` of the engine's runs in turn with the ``baseline`` runs, then of
    PyTorch's in turn with the baseline runs again, whose medians come back as "torch " + name.

    Each side is timed apart from the other because PyTorch's runs slow whatever runs next to
    them, the engine's Python more than NumPy's C: the small MLP step's ratio measured 1.84 and
    1.89 with PyTorch imported but not run, 2.21 and 2.48 with PyTorch's step timed between the
    engine's and NumPy's (most likely PyTorch's code evicting the interpreter's from the caches).
    So each ratio is taken against a baseline timed under the same conditions as its side.
    """
    medians = interleaved_medians(baseline | engine_runs, repeats, synchronize, warmup)
    if torch_runs:
        torch_medians = interleaved_medians(baseline | torch_runs, repeats, synchronize, warmup)
        medians |= {f"torch {name}": torch_medians[name] for name in baseline}
        medians |= {name: torch_medians[name] for name in torch_runs}
    return medians


def check_same_loss(side: str, loss: float, array_loss: float) -> None:
    """The same start gives the same first loss: a check that both sides compute one network."""
    if abs(loss - array_loss) > 1e-4 * abs(array_loss):
        raise AssertionError(f"first loss: {side} {loss} but hand-written {array_loss}")


def measure_step(xp, size, repeats, synchronize, torch) -> dict:
    """Median seconds of one step: engine, hand-written arrays and (where installed) PyTorch."""
    x, y, array_layers = make_problem(xp, size)
    x_t, y_t, engine_layers = make_problem(xp, size)
    parameters = as_parameters(engine_layers)
    x_tensor = tg.Tensor.from_array(x_t)
    array_loss = array_step(xp, x, y, array_layers)
    check_same_loss("engine", engine_step(x_tensor, y_t, parameters), array_loss)
    torch_runs = {}
    if torch is not None:
        x_p, y_p, torch_layers = make_problem(xp, size)
        model, x_torch, y_torch = (
            torch_model(torch, torch_layers),
            *map(torch.from_numpy, (x_p, y_p)),
        )
        check_same_loss("PyTorch", torch_step(torch, model, x_torch, y_torch), array_loss)
        torch_runs["torch"] = lambda: torch_step(torch, model, x_torch, y_torch)
    return medians_apart(
        {"array": lambda: array_step(xp, x, y, array_layers)},
        {"engine": lambda: engine_step(x_tensor, y_t, parameters)},
        torch_runs,
        repeats,
        synchronize,
    )


def measure_op_overhead(xp, synchronize, torch) -> dict:
    """Microseconds per 3-element add: bare arrays, and forward, forward while recording and
    forward + backward on the engine (and in PyTorch, under the same names prefixed "torch ")."""
    a_array, b_array = xp.ones(3, dtype=numpy.float32), xp.ones(3, dtype=numpy.float32)
    sides = {"": (tg.Tensor.from_array, lambda a: tg.Tensor(a, requires_grad=True))}
    if torch is not None:
        sides["torch "] = (torch.from_numpy, lambda a: torch.tensor(a, requires_grad=True))
    loops = 2000

    def repeat(body):
        def run():
            for _ in range(loops):
                body()

        return run

    runs = {"": {}, "torch ": {}}
    for prefix, (plain, leaf) in sides.items():
        plain_a, plain_b, seed = plain(a_array), plain(b_array), plain(xp.ones(3, numpy.float32))
        leaf_a, leaf_b = leaf(a_array), leaf(b_array)
        runs[prefix] = {
            prefix + "forward": repeat(lambda a=plain_a, b=plain_b: a + b),
            prefix + "forward (recording)": repeat(lambda a=leaf_a, b=leaf_b: a + b),
            prefix + "forward + backward": repeat(
                lambda a=leaf_a, b=leaf_b, seed=seed: (a + b).backward(seed)
            ),
        }
    medians = medians_apart(
        {"array": repeat(lambda: a_array + b_array)}, runs[""], runs["torch "], 15, synchronize
    )
    return {name: seconds / loops * 1e6 for name, seconds in medians.items()}


def measure_hvp(xp, repeats, synchronize, torch) -> dict:
    """Median seconds of one gradient and of one Hessian-vector product, each from the forward
    pass, on the middle MLP in float64: "gradient", "hvp" (and "torch gradient", "torch hvp")."""
    x, y, layers = make_problem(xp, SIZES[1], dtype=numpy.float64)
    x_tensor = tg.Tensor.from_array(x)
    arrays = [array for layer in layers for array in layer]
    rng = numpy.random.default_rng(1)
    directions = [xp.asarray(rng.standard_normal(a.shape)) for a in arrays]

    def loss(*parameters):
        return engine_loss(x_tensor, y, list(parameters))

    def gradient():
        parameters = as_parameters(layers)
        tg.grad(loss(*parameters), parameters)

    def hessian_vector_product():
        tg.autograd.hvp(loss, arrays, directions)

    torch_runs = {}
    if torch is not None:
        model, x_torch, y_torch = torch_model(torch, layers), *map(torch.from_numpy, (x, y))
        parameters = list(model.parameters())
        # each direction in nn.Linear's layout: weights transposed, as the model holds them
        torch_directions = [torch.from_numpy(numpy.ascontiguousarray(d.T)) for d in directions]

        def torch_loss():
            return torch.nn.functional.cross_entropy(model(x_torch), y_torch)

        def torch_hvp():  # as tg.autograd.hvp: the second pass seeded with v
            gradients = torch.autograd.grad(torch_loss(), parameters, create_graph=True)
            torch.autograd.grad(gradients, parameters, grad_outputs=torch_directions)

        torch_runs = {
            "torch gradient": lambda: torch.autograd.grad(torch_loss(), parameters),
            "torch hvp": torch_hvp,
        }
    return medians_apart(
        {}, {"gradient": gradient, "hvp": hessian_vector_product}, torch_runs, repeats, synchronize
    )


def build_chain(leaf, ops: int = CHAIN_OPS):
    """``y = y * 1.0000001`` ``ops`` times from ``leaf``: a graph one node deep per op."""
    y = leaf
    for _ in range(ops):
        y = y * CHAIN_FACTOR
    return y


def chain_leaves(torch) -> dict:
    """A 3-element float32 leaf requiring grad per side: "engine" (and "torch")."""
    leaves = {"engine": tg.Tensor(numpy.ones(3, numpy.float32), requires_grad=True)}
    if torch is not None:
        leaves["torch"] = torch.ones(3, requires_grad=True)
    return leaves


def measure_chain(repeats: int, warmup: int, torch) -> dict:
    """Microseconds per op of the chain's forward ("<side> forward") and of its
    ``y.sum().backward()`` ("<side> backward"), with "array forward" the chain on bare arrays.
    Each side's backward runs right after its forward, then its graph is dropped."""
    built = {}
    runs = {"engine": {}, "torch": {}}
    for side, leaf in chain_leaves(torch).items():

        def forward(side=side, leaf=leaf):
            built[side] = build_chain(leaf)

        def backward(side=side):
            built.pop(side).sum().backward()

        runs[side] = {f"{side} forward": forward, f"{side} backward": backward}
    medians = medians_apart(
        {"array forward": lambda: build_chain(numpy.ones(3, numpy.float32))},
        runs["engine"],
        runs["torch"],
        repeats,
        lambda: None,
        warmup,
    )
    return {name: seconds / CHAIN_OPS * 1e6 for name, seconds in medians.items()}


def peak_resident_mb() -> float:
    """This process's peak resident set size so far, in MB: VmHWM from /proc/self/status where
    it exists (Linux), else ru_maxrss (bytes on macOS). Linux keeps ru_maxrss across fork and
    exec, so a child started by this benchmark would report the parent's peak; VmHWM starts
    afresh with the child's program."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6  # the kernel writes kB
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def run_chain_for_peak(side: str) -> None:
    """The hidden --chain-peak mode: the chain's forward and backward alone in this process;
    prints the peak resident MB before the chain (imports only) and after it."""
    leaf = chain_leaves(optional_torch() if side == "torch" else None)[side]
    before = peak_resident_mb()
    build_chain(leaf).sum().backward()
    print(f"{before} {peak_resident_mb()}")


def measure_chain_peak(side: str, threads: int | None) -> tuple[float, float]:
    """Peak resident MB of a fresh process before and after the chain on ``side``."""
    command = [sys.executable, str(Path(__file__).resolve()), "--chain-peak", side]
    if threads is not None:
        command += ["--threads", str(threads)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    before, after = output.split()
    return float(before), float(after)


MONITOR_SIZE = (32, 64, 100, 3)  # a small tanh MLP, where the monitor's share is largest


def measure_monitor(repeats, synchronize) -> dict:
    """Seconds per training step (SGD, tanh MLP) without a monitor, with one switched off, and
    with one recording every step and every 10th step (issue 11: its cost when on). Each
    setting trains its own copy of the model, so the runs do not see each other's hooks."""
    from tinygrad_ch8 import nn, optim
    from tinygrad_ch8.training import TrainingMonitor, loss_closure

    batch, inputs, hidden, depth = MONITOR_SIZE
    rng = numpy.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((batch, inputs)).astype(numpy.float32))
    y = tg.Tensor(rng.integers(0, CLASSES, size=batch))
    settings = {
        "no monitor": None,
        "monitor off": {"enabled": False},
        "monitor every step": {"every": 1},
        "monitor every 10 steps": {"every": 10},
    }

    def training_run(setting):
        model = nn.mlp(inputs, [hidden] * depth, CLASSES, activation="tanh", rng=0)
        optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)
        monitor = None if setting is None else TrainingMonitor(model, **setting).attach()
        steps = iter(range(10**9))

        def run():
            loss = optimizer.step(loss_closure(model, F.cross_entropy, x, y, []))
            if monitor is not None:
                monitor.on_step_end(next(steps), loss.item())

        return run

    runs = {name: training_run(setting) for name, setting in settings.items()}
    return interleaved_medians(runs, repeats * 10, synchronize)


def resident_bytes() -> int:
    """Resident set size now (from /proc/self/statm), or the peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return int(peak_resident_mb() * 1e6)


def measure_memory(xp, device, steps: int) -> tuple[float, float]:
    """Resident MiB (device pool MiB on a GPU) after 10 training steps and after ``steps``."""
    x, y, layers = make_problem(xp, SIZES[1])
    parameters = as_parameters(layers)
    x_tensor = tg.Tensor.from_array(x)

    def used() -> float:
        gc.collect()
        if device == "cuda":
            return xp.get_default_memory_pool().used_bytes() / 2**20
        return resident_bytes() / 2**20

    for _ in range(10):
        engine_step(x_tensor, y, parameters)
    after_ten = used()
    for _ in range(steps - 10):
        engine_step(x_tensor, y, parameters)
    return after_ten, used()


# ---------------------------------------------------------------- report
def blas_threads() -> str:
    """The BLAS libraries' thread counts as threadpoolctl reports them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    pools = [f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info()]
    return ", ".join(pools) or "none found"


class Table:
    """The rows of the report: engine, baseline, ratio, target, met, PyTorch, PyTorch ratio."""

    def __init__(self):
        self.rows = []

    def add(self, measure, engine, baseline, ratio, target, met, torch=None, torch_ratio=None):
        """One row; ``met`` None for a reported row. ``torch`` None: "n/a" without PyTorch,
        or the row has no PyTorch counterpart when ``torch`` is NO_VALUE."""
        if torch is None:
            torch = torch_ratio = "n/a"
        verdict = "" if met is None else ("yes" if met else "**no**")
        cells = (measure, engine, baseline, ratio, target, verdict, torch, torch_ratio or NO_VALUE)
        self.rows.append(cells)

    def print(self, baseline: str) -> None:
        print(f"| measure | engine | {baseline} | ratio | target | met | PyTorch | PyTorch ratio |")
        print("|---|---|---|---|---|---|---|---|")
        for cells in self.rows:
            print("| " + " | ".join(cells) + " |")


def main(argv=None) -> int:
    tg.backend.keep_freed_host_memory()  # as the command line does: big arrays reuse freed memory
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument(
        "--repeats", type=int, default=30, help="timed runs per measurement (default 30)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="few repeats and 200 memory steps: a smoke run"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS (and PyTorch) threads; default: the libraries' own defaults",
    )
    parser.add_argument("--chain-peak", choices=["engine", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    backend.limit_blas_threads(args.threads)
    if args.chain_peak:
        run_chain_for_peak(args.chain_peak)
        return 0
    repeats, memory_steps = (6, 200) if args.quick else (args.repeats, 1000)
    chain_repeats, chain_warmup = (1, 0) if args.quick else (3, 1)

    if args.device == "cuda":
        tg.set_default_device("cuda")  # raises with an install hint when CuPy or the GPU is missing
        xp = backend.module_for("cuda")  # CuPy
    else:
        xp = numpy
    torch = optional_torch() if args.device == "cpu" else None  # PyTorch: a CPU reference only
    if torch is not None and args.threads is not None:
        torch.set_num_threads(args.threads)
    synchronize = synchronizer(xp)
    baseline = "CuPy" if args.device == "cuda" else "NumPy"
    variables = {name: os.environ.get(name, "unset") for name in ("OMP_NUM_THREADS",)}
    torch_text = (
        "not used" if torch is None else f"{torch.__version__}, {torch.get_num_threads()} threads"
    )
    print(
        f"device {args.device}, numpy {numpy.__version__}, {os.cpu_count()} CPUs, {variables}, "
        f"BLAS threads: {blas_threads()}, PyTorch: {torch_text}\n"
    )

    table = Table()

    def torch_cells(value_text: str, ratio_text: str) -> tuple:
        return (value_text, ratio_text) if torch is not None else (None, None)

    for size in SIZES:
        step = measure_step(xp, size, repeats, synchronize, torch)
        ratio = step["engine"] / step["array"]
        table.add(
            f"MLP step {size}",
            f"{step['engine'] * 1e3:.3f} ms",
            f"{step['array'] * 1e3:.3f} ms",
            f"{ratio:.2f}",
            f"≤ {STEP_TARGETS[size]}",
            ratio <= STEP_TARGETS[size],
            *torch_cells(
                f"{step.get('torch', 0) * 1e3:.3f} ms",
                f"{step.get('torch', 0) / step.get('torch array', 1):.2f}",
            ),
        )

    overhead = measure_op_overhead(xp, synchronize, torch)
    for name in ("forward", "forward (recording)", "forward + backward"):
        engine_us, torch_us = overhead[name], overhead.get("torch " + name, 0)
        targeted = name == "forward + backward"
        table.add(
            f"3-element add, {name}",
            f"{engine_us:.1f} µs",
            f"{overhead['array']:.1f} µs",
            f"{engine_us / overhead['array']:.1f}",
            f"≤ {ADD_TARGET_US:g} µs" if targeted else "(report)",
            engine_us <= ADD_TARGET_US if targeted else None,
            *torch_cells(f"{torch_us:.1f} µs", f"{torch_us / overhead.get('torch array', 1):.1f}"),
        )

    hvp = measure_hvp(xp, repeats, synchronize, torch)
    torch_hvp, torch_gradient = hvp.get("torch hvp", 0), hvp.get("torch gradient", 1)
    table.add(
        f"hvp / gradient, MLP {SIZES[1]}, float64",
        f"{hvp['hvp'] * 1e3:.3f} ms",
        f"{hvp['gradient'] * 1e3:.3f} ms (grad)",
        f"{hvp['hvp'] / hvp['gradient']:.2f}",
        f"≤ {HVP_TARGET}",
        hvp["hvp"] / hvp["gradient"] <= HVP_TARGET,
        *torch_cells(f"{torch_hvp * 1e3:.3f} ms", f"{torch_hvp / torch_gradient:.2f} (own grad)"),
    )

    if args.device == "cpu":  # the chain's cost is host-side Python; its peak is host memory
        chain = measure_chain(chain_repeats, chain_warmup, torch)
        chain_name = f"{CHAIN_OPS:,}-op chain"
        for part in ("forward", "backward"):
            engine_us, torch_us = chain[f"engine {part}"], chain.get(f"torch {part}", 0)
            on_arrays = part == "forward"
            table.add(
                f"{chain_name}, {part} per op",
                f"{engine_us:.2f} µs",
                f"{chain['array forward']:.2f} µs" if on_arrays else NO_VALUE,
                f"{engine_us / chain['array forward']:.1f}" if on_arrays else NO_VALUE,
                f"≤ {CHAIN_TARGET_US:g} µs",
                engine_us <= CHAIN_TARGET_US,
                *torch_cells(
                    f"{torch_us:.2f} µs",
                    f"{torch_us / chain.get('torch array forward', 1):.1f}"
                    if on_arrays
                    else NO_VALUE,
                ),
            )
        before, peak = measure_chain_peak("engine", args.threads)
        torch_peak = measure_chain_peak("torch", args.threads)[1] if torch is not None else 0
        table.add(
            f"{chain_name}, peak RSS of a fresh process",
            f"{peak:.0f} MB",
            f"(imports only: {before:.0f} MB)",
            NO_VALUE,
            f"≤ {CHAIN_PEAK_TARGET_MB:g} MB",
            peak <= CHAIN_PEAK_TARGET_MB,
            *torch_cells(f"{torch_peak:.0f} MB", NO_VALUE),
        )

        monitor = measure_monitor(repeats, synchronize)
        for name in ("monitor off", "monitor every step", "monitor every 10 steps"):
            table.add(
                f"training step {MONITOR_SIZE} tanh, {name}",
                f"{monitor[name] * 1e3:.3f} ms",
                f"{monitor['no monitor'] * 1e3:.3f} ms (none)",
                f"{monitor[name] / monitor['no monitor']:.2f}",
                "(report)",
                None,
                NO_VALUE,
            )

    after_ten, after_many = measure_memory(xp, args.device, memory_steps)
    growth = after_many - after_ten
    what = "device pool" if args.device == "cuda" else "resident"
    table.add(
        f"engine {what} memory, step {memory_steps} vs step 10",
        f"{after_many:.1f} MiB",
        f"(step 10: {after_ten:.1f} MiB)",
        f"{growth:+.1f} MiB",
        "no growth (< 1 MiB)",
        growth < 1.0,
        NO_VALUE,
    )

    table.print(baseline)
    print(
        "\n(batch, in, hidden, depth): depth = number of hidden layers, then a 10-class output layer;"
        " float32 unless the row says; medians of interleaved runs after a warm-up. PyTorch ratio:"
        f" PyTorch over the {baseline} baseline timed in turn with PyTorch's runs, apart from the"
        " engine's (hvp: over PyTorch's own gradient)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
