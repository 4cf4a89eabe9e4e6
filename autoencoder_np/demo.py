"""The founding example, end to end: ``python -m autoencoder_np demo``.

100 × 10 uniform random data; encoder Dense(10→5) + ReLU, decoder Dense(5→10) + Sigmoid; MSE; Adam
(lr = 1e-3); 100 epochs of batches of 32. Then a gradient check of the trained model and a loss-curve PNG.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import datasets
from .gradcheck import check_model
from .losses import MSELoss
from .model import Autoencoder
from .optimizers import Adam


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=100, help="passes over the data (default 100)")
    parser.add_argument("--hidden", type=int, default=5, help="code size (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="seed of data, weights and shuffling (default 1)")
    parser.add_argument("--batch-size", type=int, default=32, help="rows per step (default 32)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--every", type=int, default=10, help="print every k-th epoch (default 10)")
    parser.add_argument("--out", type=Path, default=Path("demo_output"), help="folder for the figure")


def run(args: argparse.Namespace) -> int:
    X = datasets.founding_example(args.seed)
    model = Autoencoder.from_sizes(
        [X.shape[1], args.hidden], hidden_activation="relu", output_activation="sigmoid", seed=args.seed
    )
    print(f"data: X {X.shape}, uniform on [0, 1) (predicting 0.5 everywhere scores MSE 1/12 = {1 / 12:.4f})")
    print(f"model: {model}")
    print(f"training: Adam(lr={args.lr}), MSE, {args.epochs} epochs, batch size {args.batch_size}")
    start = time.perf_counter()
    history = model.fit(
        X,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=Adam(lr=args.lr),
        loss=MSELoss(),
        seed=args.seed,
        every=args.every,
    )
    seconds = time.perf_counter() - start
    final = model.evaluate(X)
    print(f"final loss (MSE on all of X): {final:.6f} after {args.epochs} epochs in {seconds:.2f} s")
    report = check_model(model, X[:8], MSELoss())
    print(report.summary())
    from .plotting import save_loss_curve  # matplotlib loads here, not when the CLI parser is built

    path = save_loss_curve(
        history,
        args.out / "loss_curve.png",
        title=f"founding example: {X.shape[1]}→{args.hidden}→{X.shape[1]} autoencoder",
        references={"always predict 0.5 (1/12)": 1 / 12},
    )
    print(f"loss curve saved to {path}")
    return 0 if report.passed else 1
