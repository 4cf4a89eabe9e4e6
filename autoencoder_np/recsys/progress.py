"""Progress lines for the work that takes more than a few seconds: training epochs and scoring batches.

Both write to stderr (stdout keeps the results, so ``recsys recommend … > top.txt`` stays clean), flushed at
once, one line each:

    MultVAE epoch 20/300: loss 412.3071, validation ndcg@100 0.4412 * (1.9 s/epoch, 38 s so far, at most 8.9 min left)
    scoring 12000/29858 users (14 s so far, about 21 s left)

"At most" with validation data: training may stop early, so the rest of the planned epochs is an upper bound
("about" without it).
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def duration(seconds: float) -> str:
    """``"42 s"``, ``"3.5 min"`` or ``"1.2 h"``."""
    if seconds < 100:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 6000:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class EpochProgress:
    """A ``fit`` callback: every ``every``-th epoch (and the last) a line with the loss, the validation metric
    when a :class:`~autoencoder_np.recsys.base.ValidationMonitor` is given, the time per epoch and an upper
    bound on the time left.

    Args:
        label: the model's name at the start of the line.
        epochs: the planned number of epochs.
        every: print every k-th epoch (0: never).
        monitor: the ValidationMonitor of the same fit (listed before this callback), or None.
        stream: where the lines go (default stderr).
    """

    def __init__(self, label: str, epochs: int, every: int, monitor: Any = None, stream: TextIO | None = None) -> None:
        self.label, self.epochs, self.every, self.monitor = label, epochs, every, monitor
        self.stream = stream

    def on_train_begin(self, model: Any) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        if not self.every or (epoch % self.every and epoch != self.epochs):
            return False
        seconds = time.perf_counter() - self._start
        per_epoch = seconds / epoch
        line = f"{self.label} epoch {epoch}/{self.epochs}: loss {logs.get('loss', float('nan')):.4f}"
        if self.monitor is not None and self.monitor.trace:
            value = self.monitor.trace[-1][2]
            mark = " *" if self.monitor.best_epoch == epoch else ""
            line += f", validation {self.monitor.name} {value:.4f}{mark}"
        timing = f"{per_epoch:.2f} s/epoch, {duration(seconds)} so far"
        if epoch < self.epochs:  # with a monitor training may stop early: the planned rest is an upper bound
            bound = "at most" if self.monitor is not None else "about"
            timing += f", {bound} {duration((self.epochs - epoch) * per_epoch)} left"
        print(f"{line} ({timing})", file=self.stream or sys.stderr, flush=True)
        return False


class Progress:
    """``update(done)`` prints ``"<label> done/total <unit> (… so far, about … left)"`` at most every
    ``interval`` seconds, and at the end when any line was printed before.

    Args:
        label: what is being done ("scoring").
        total: the number of units.
        unit: their name ("users").
        interval: seconds between lines (0: a line at every update).
        stream: where the lines go (default stderr).
    """

    def __init__(
        self, label: str, total: int, unit: str = "users", *, interval: float = 5.0, stream: TextIO | None = None
    ) -> None:
        self.label, self.total, self.unit, self.interval, self.stream = label, total, unit, interval, stream
        self._start = self._last = time.perf_counter()
        self._printed = False

    def update(self, done: int) -> None:
        now = time.perf_counter()
        finished = done >= self.total
        if now - self._last < self.interval and not (finished and self._printed):
            return
        self._last, self._printed = now, True
        seconds = now - self._start
        left = "" if finished else f", about {duration(seconds * (self.total - done) / max(done, 1))} left"
        line = f"{self.label} {done}/{self.total} {self.unit} ({duration(seconds)} so far{left})"
        print(line, file=self.stream or sys.stderr, flush=True)
