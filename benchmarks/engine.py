"""Benchmark: the engine against hand-written NumPy (CuPy on a GPU), timed in the same process.

    python benchmarks/engine.py [--device cpu|cuda] [--repeats N] [--quick]

Measures, and prints as one markdown table with their targets:

1. one MLP training step (forward, mean cross-entropy, backward, SGD update; ReLU; float32) at
   (batch, in, hidden, depth) = (32, 64, 64, 2), (128, 784, 256, 2), (512, 784, 1024, 3), where
   depth is the number of hidden layers (each `hidden` wide) before a 10-class output layer.
   The engine step is `F.cross_entropy(model(x), y).backward()` followed by in-place SGD on
   `.data` under `no_grad`; the baseline is the same network's forward and backward written
   by hand on arrays. Reported: median milliseconds of each and their ratio (target ≤ 1.3 at
   the two larger sizes, ≤ 3.0 at the smallest, where per-op overhead dominates);
2. per-op overhead: a 3-element add, forward only and forward + backward, in microseconds,
   next to the same add on bare arrays;
3. the cost of a Hessian-vector product over one gradient on the middle MLP (target ≤ 3);
4. resident memory after 1,000 training steps against after 10 (target: no growth);
5. the training monitor's cost per step, off, recording every step and every 10th (CPU, reported).

Engine and baseline runs are timed in turn after a warm-up and each side's median is reported,
so a machine shared with other work affects both sides alike; rerun and keep the best when it
is busy. A multi-threaded BLAS on an oversubscribed machine makes absolute times erratic (the
ratios hold up better); `OPENBLAS_NUM_THREADS=1` gives steadier absolute numbers there.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
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
STEP_TARGETS = {SIZES[0]: 3.0, SIZES[1]: 1.3, SIZES[2]: 1.3}
CLASSES = 10
LEARNING_RATE = 0.01
HVP_TARGET = 3.0


# ---------------------------------------------------------------- the network, twice
def make_problem(xp, size, seed=0):
    """Inputs, labels and He-initialized float32 weights [(W, b), ...] for the hidden and output layers."""
    batch, inputs, hidden, depth = size
    rng = numpy.random.default_rng(seed)
    widths = [inputs] + [hidden] * depth + [CLASSES]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        weight = rng.standard_normal((fan_in, fan_out)) * numpy.sqrt(2.0 / fan_in)
        layers.append(
            (xp.asarray(weight, dtype=numpy.float32), xp.zeros(fan_out, dtype=numpy.float32))
        )
    x = xp.asarray(rng.standard_normal((batch, inputs)), dtype=numpy.float32)
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


def measure_step(xp, size, repeats, synchronize) -> tuple[float, float]:
    x, y, array_layers = make_problem(xp, size)
    x_t, y_t, engine_layers = make_problem(xp, size)
    parameters = as_parameters(engine_layers)
    x_tensor = tg.Tensor.from_array(x_t)
    # the same start gives the same first loss: a check that both sides compute one network
    first_engine, first_array = (
        engine_step(x_tensor, y_t, parameters),
        array_step(xp, x, y, array_layers),
    )
    assert abs(first_engine - first_array) <= 1e-4 * abs(first_array), (first_engine, first_array)
    runs = {
        "engine": lambda: engine_step(x_tensor, y_t, parameters),
        "array": lambda: array_step(xp, x, y, array_layers),
    }
    medians = interleaved_medians(runs, repeats, synchronize)
    return medians["engine"], medians["array"]


def measure_op_overhead(xp, device, synchronize) -> dict:
    """Microseconds per 3-element add: bare arrays, engine forward, engine forward + backward."""
    a_array, b_array = xp.ones(3, dtype=numpy.float32), xp.ones(3, dtype=numpy.float32)
    plain_a, plain_b = tg.Tensor.from_array(a_array), tg.Tensor.from_array(b_array)
    leaf_a, leaf_b = tg.Tensor(a_array, requires_grad=True), tg.Tensor(b_array, requires_grad=True)
    seed = tg.Tensor.from_array(xp.ones(3, dtype=numpy.float32))
    loops = 2000

    def repeat(body):
        def run():
            for _ in range(loops):
                body()

        return run

    def forward_and_backward():
        (leaf_a + leaf_b).backward(seed)

    medians = interleaved_medians(
        {
            "array": repeat(lambda: a_array + b_array),
            "forward": repeat(lambda: plain_a + plain_b),
            "forward (recording)": repeat(lambda: leaf_a + leaf_b),
            "forward + backward": repeat(forward_and_backward),
        },
        repeats=15,
        synchronize=synchronize,
    )
    return {name: seconds / loops * 1e6 for name, seconds in medians.items()}


def measure_hvp(xp, repeats, synchronize) -> tuple[float, float]:
    """Seconds of one gradient (forward + backward) and of one Hessian-vector product, middle MLP."""
    x, y, layers = make_problem(xp, SIZES[1])
    x_tensor = tg.Tensor.from_array(x)
    arrays = [array for layer in layers for array in layer]
    rng = numpy.random.default_rng(1)
    directions = [xp.asarray(rng.standard_normal(a.shape), dtype=numpy.float32) for a in arrays]

    def loss(*parameters):
        return engine_loss(x_tensor, y, list(parameters))

    def gradient():
        parameters = as_parameters(layers)
        tg.grad(loss(*parameters), parameters)

    def hessian_vector_product():
        tg.autograd.hvp(loss, arrays, directions)

    medians = interleaved_medians(
        {"gradient": gradient, "hvp": hessian_vector_product}, repeats, synchronize
    )
    return medians["gradient"], medians["hvp"]


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
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


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
    args = parser.parse_args(argv)
    repeats, memory_steps = (6, 200) if args.quick else (args.repeats, 1000)

    if args.device == "cuda":
        tg.set_default_device("cuda")  # raises with an install hint when CuPy or the GPU is missing
        xp = backend.module_for("cuda")  # CuPy
    else:
        xp = numpy
    synchronize = synchronizer(xp)
    baseline = "CuPy" if args.device == "cuda" else "NumPy"
    threads = {
        name: os.environ.get(name, "unset") for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    }
    print(
        f"device {args.device}, numpy {numpy.__version__}, {os.cpu_count()} CPUs, threads {threads}\n"
    )

    rows = []
    for size in SIZES:
        engine, array = measure_step(xp, size, repeats, synchronize)
        ratio = engine / array
        rows.append(
            (
                f"MLP step {size}",
                f"{engine * 1e3:.3f} ms",
                f"{array * 1e3:.3f} ms",
                f"{ratio:.2f}",
                f"≤ {STEP_TARGETS[size]}",
                ratio <= STEP_TARGETS[size],
            )
        )

    overhead = measure_op_overhead(xp, args.device, synchronize)
    for name in ("forward", "forward (recording)", "forward + backward"):
        rows.append(
            (
                f"3-element add, {name}",
                f"{overhead[name]:.1f} µs",
                f"{overhead['array']:.1f} µs",
                f"{overhead[name] / overhead['array']:.1f}",
                "(report)",
                None,
            )
        )

    gradient, hvp = measure_hvp(xp, repeats, synchronize)
    rows.append(
        (
            f"hvp / gradient, MLP {SIZES[1]}",
            f"{hvp * 1e3:.3f} ms",
            f"{gradient * 1e3:.3f} ms (grad)",
            f"{hvp / gradient:.2f}",
            f"≤ {HVP_TARGET}",
            hvp / gradient <= HVP_TARGET,
        )
    )

    if args.device == "cpu":  # the monitor's statistics are host-side work either way
        monitor = measure_monitor(repeats, synchronize)
        for name in ("monitor off", "monitor every step", "monitor every 10 steps"):
            rows.append(
                (
                    f"training step {MONITOR_SIZE} tanh, {name}",
                    f"{monitor[name] * 1e3:.3f} ms",
                    f"{monitor['no monitor'] * 1e3:.3f} ms (none)",
                    f"{monitor[name] / monitor['no monitor']:.2f}",
                    "(report)",
                    None,
                )
            )

    after_ten, after_many = measure_memory(xp, args.device, memory_steps)
    growth = after_many - after_ten
    what = "device pool" if args.device == "cuda" else "resident"
    rows.append(
        (
            f"engine {what} memory, step {memory_steps} vs step 10",
            f"{after_many:.1f} MiB",
            f"(step 10: {after_ten:.1f} MiB)",
            f"{growth:+.1f} MiB",
            "no growth (< 1 MiB)",
            growth < 1.0,
        )
    )

    print(f"| measure | engine | {baseline} | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for name, engine_text, array_text, ratio_text, target, met in rows:
        verdict = "" if met is None else ("yes" if met else "**no**")
        print(f"| {name} | {engine_text} | {array_text} | {ratio_text} | {target} | {verdict} |")
    print(
        "\n(batch, in, hidden, depth): depth = number of hidden layers, then a 10-class output layer;"
        " float32; medians of interleaved runs after a warm-up."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
