"""FitNets (§8.7.4): a thin, deep student taught by a wide, shallow teacher, on the bundled digits.

The teacher (64 → 256 ReLU → 10) is trained first. The student (64 → six tanh layers of 16
units → 10) is trained three ways, from the same initial weights and for the same number of
epochs: on the labels only; by distillation only (labels plus the teacher's outputs softened
at temperature τ = 4); and as a FitNet: first its lower three layers and a regressor
16 → 256 learn to predict the teacher's hidden layer (the hint loss ½‖u(x) − r(v(x))‖²), then
distillation. The example reports each student's test accuracy over a few seeds.

    python examples/fitnets.py [--fast] [--out DIR]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_utils import parse_args, save_figure  # noqa: E402

import tinygrad_ch8 as tg  # noqa: E402
from tinygrad_ch8 import nn, optim  # noqa: E402
from tinygrad_ch8.data import DataLoader, load_digits  # noqa: E402
from tinygrad_ch8.strategies import train_distillation, train_fitnet  # noqa: E402
from tinygrad_ch8.training import accuracy, train_classifier  # noqa: E402

TEACHER_WIDTH, STUDENT_WIDTH, STUDENT_DEPTH, TEMPERATURE = 256, 16, 6, 4.0
HINT_LAYER = 2  # u(x): the output of the teacher's Linear + ReLU
GUIDED_LAYER = (
    STUDENT_DEPTH  # v(x): the output of the student's first STUDENT_DEPTH / 2 (Linear, Tanh) pairs
)


def make_optimizer(params):
    return optim.Adam(params, lr=1e-2)


def thin_student(seed: int):
    tg.manual_seed(seed)
    sizes = [64] + [STUDENT_WIDTH] * STUDENT_DEPTH
    layers = []
    for m, n in zip(sizes, sizes[1:], strict=False):
        layers += [nn.Linear(m, n), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(STUDENT_WIDTH, 10))


def main():
    args = parse_args(__doc__)
    epochs, hint_epochs = (6, 2) if args.fast else (30, 10)
    seeds = [1] if args.fast else [1, 2, 3]
    X_train, y_train = load_digits("train")
    X_test, y_test = load_digits("test")

    tg.manual_seed(0)
    teacher = nn.Sequential(nn.Linear(64, TEACHER_WIDTH), nn.ReLU(), nn.Linear(TEACHER_WIDTH, 10))
    train_classifier(
        teacher,
        optim.SGD(teacher.parameters(), lr=0.1, momentum=0.9),
        DataLoader(X_train, y_train, batch_size=64, rng=0),
        4 if args.fast else 15,
    )
    teacher_accuracy = accuracy(teacher, X_test, y_test)
    teacher_size = sum(p.size for p in teacher.parameters())
    student_size = sum(p.size for p in thin_student(0).parameters())
    print(
        f"teacher 64-{TEACHER_WIDTH}-10 ({teacher_size} parameters): test accuracy {teacher_accuracy:.3f}"
    )
    print(
        f"student 64-{'-'.join([str(STUDENT_WIDTH)] * STUDENT_DEPTH)}-10 tanh ({student_size} parameters), "
        f"{epochs} epochs each, Adam lr 0.01"
    )

    results = {"labels only": [], "distillation only": [], "FitNet (hints + distillation)": []}
    hint_curve = None
    for seed in seeds:
        student = thin_student(seed)
        train_classifier(
            student,
            make_optimizer(student.parameters()),
            DataLoader(X_train, y_train, batch_size=64, rng=0),
            epochs,
        )
        results["labels only"].append(accuracy(student, X_test, y_test))
        student = thin_student(seed)
        train_distillation(
            teacher, student, X_train, y_train, epochs, make_optimizer, TEMPERATURE, rng=0
        )
        results["distillation only"].append(accuracy(student, X_test, y_test))
        student = thin_student(seed)
        fitnet = train_fitnet(
            teacher,
            student,
            nn.Linear(STUDENT_WIDTH, TEACHER_WIDTH),
            X_train,
            y_train,
            HINT_LAYER,
            GUIDED_LAYER,
            make_optimizer,
            hint_epochs,
            epochs - hint_epochs,
            TEMPERATURE,
            rng=0,
        )
        results["FitNet (hints + distillation)"].append(accuracy(student, X_test, y_test))
        hint_curve = fitnet.hint_losses
    for name, accuracies in results.items():
        print(
            f"  {name:<31} test accuracy {np.mean(accuracies):.3f} "
            f"(seeds: {', '.join(f'{a:.3f}' for a in accuracies)})"
        )
    with_hints = np.mean(results["FitNet (hints + distillation)"])
    without_hints = np.mean(results["distillation only"])
    means = [np.mean(accuracies) for accuracies in results.values()]
    gap = max(means) - min(means)
    spread = max(np.ptp(accuracies) for accuracies in results.values())
    print(
        f"Finding: with hints the student reaches {with_hints:.1%} mean test accuracy, without hints "
        f"(distillation alone, same epochs) {without_hints:.1%}, on labels alone "
        f"{np.mean(results['labels only']):.1%}; the teacher has {teacher_accuracy:.1%} with "
        f"{teacher_size / student_size:.0f}x the parameters. The largest gap between the three means is "
        f"{gap:.1%}, the largest spread between seeds {spread:.1%}"
        + (" (within seed noise on this small task)." if gap <= spread and len(seeds) > 1 else ".")
    )

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
    left.plot(hint_curve, label=f"hint loss ½‖u − r(v)‖² (stage 1, seed {seeds[-1]})")
    left.set_yscale("log")
    left.set_xlabel("minibatch step")
    left.set_ylabel("hint loss")
    left.set_title("stage 1: the student's lower layers learn the teacher's hidden layer")
    left.legend()
    names = list(results)
    for index, name in enumerate(names):
        right.plot([index] * len(results[name]), results[name], "o", label=name)
    right.axhline(teacher_accuracy, color="tab:gray", linestyle="--", label="teacher")
    right.set_xticks(range(len(names)), ["labels", "distillation", "FitNet"])
    right.set_xlabel("how the student was trained")
    right.set_ylabel("test accuracy")
    right.set_title(f"student test accuracy ({len(seeds)} seed{'s' if len(seeds) > 1 else ''})")
    right.legend(fontsize="small")
    save_figure(figure, args, "fitnets")


if __name__ == "__main__":
    main()
