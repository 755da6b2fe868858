"""Command line: ``tinygrad-ch8 evaluate PATH``, the test loss, accuracy and confusion matrix of a checkpoint.

The checkpoint is one that ``tinygrad-ch8 train --save PATH`` wrote; its settings rebuild the
network, its weights are loaded, and the 359 held-out digits are classified in eval mode
(batch norm uses its running averages). The test loss is the mean cross-entropy
−(1/m) Σ log p(y | x); the confusion matrix counts, for each true digit (row), the digits
predicted (columns), so the diagonal holds the correct answers.

    tinygrad-ch8 train --save digits.npz && tinygrad-ch8 evaluate digits.npz
"""

from __future__ import annotations

import argparse

from .. import backend, data
from ..functional import cross_entropy
from ..grad_mode import no_grad
from ..tensor import Tensor
from .checks import UsageError, check_device, plural
from .train import build_model, digits, read_checkpoint, resolve


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", metavar="PATH", help="a checkpoint of tinygrad-ch8 train")
    parser.add_argument(
        "--device", choices=backend.DEVICES, default="cpu", help="cpu or cuda (default: cpu)"
    )


def confusion_matrix(labels, predictions, classes: int):
    """C[i, j] = how many examples of class i were predicted as class j (host integer array)."""
    counts = backend.numpy.zeros((classes, classes), dtype="int64")
    backend.numpy.add.at(counts, (backend.to_numpy(labels), backend.to_numpy(predictions)), 1)
    return counts


def format_confusion(counts) -> str:
    width = max(len(str(counts.max())), 3)
    classes = range(len(counts))
    lines = ["true \\ predicted " + " ".join(f"{j:>{width}}" for j in classes)]
    lines += [f"{i:>16} " + " ".join(f"{n:>{width}}" for n in row) for i, row in enumerate(counts)]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    check_device(args.device)
    saved = read_checkpoint(None, args.checkpoint)
    _, _, X_test, y_test = digits(args.device)
    try:
        settings = resolve(argparse.Namespace(**saved["settings"]))
        model = build_model(settings, X_test.shape[1], args.device)
        model.load_state_dict(saved["model"])
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{args.checkpoint}: the checkpoint is damaged ({error})") from None
    model.eval()
    with no_grad():
        logits = model(Tensor.from_array(X_test))
        loss = cross_entropy(logits, Tensor.from_array(y_test)).item()
    predictions = logits.data.argmax(axis=1)
    correct = int((predictions == y_test).sum())
    print(
        f"{args.checkpoint}: {settings.hidden or 'no hidden layers'} {settings.activation}, "
        f"{settings.optimizer}, after {plural(saved['epoch'], 'epoch')} of {settings.epochs}"
    )
    print(format_confusion(confusion_matrix(y_test, predictions, data.digits.N_CLASSES)))
    print(f"test loss {loss:.4f} on {len(y_test)} digits")
    print(f"test accuracy: {100 * correct / len(y_test):.1f}%")
    return 0
