"""The command line: the README's demo command, exit codes, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autoencoder_np.cli import main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoencoder_np", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=120, check=False,
    )  # fmt: skip


def test_demo_trains_checks_and_plots(tmp_path: Path) -> None:
    result = _run("demo", "--out", str(tmp_path), "--every", "25")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Epoch   1/100" in out
    assert "Epoch 100/100" in out
    assert "gradient check PASS" in out
    final = float(out.split("final loss (MSE on all of X): ")[1].split()[0])
    assert final < 1 / 12
    png = tmp_path / "loss_curve.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(png) in out


def test_demo_options_change_the_obvious_things(tmp_path: Path) -> None:
    result = _run("demo", "--epochs", "3", "--hidden", "2", "--seed", "4", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Dense(10→2)" in result.stdout
    assert "Epoch 3/3" in result.stdout


def test_bad_argument_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    result = _run("demo", "--epochs", "0", "--out", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "autoencoder-np demo: error: Autoencoder.fit: epochs must be ≥ 1, got 0"
    ]
    assert "Traceback" not in result.stderr


def test_unknown_command_is_a_usage_error() -> None:
    result = _run("fly")
    assert result.returncode == 2
    assert "invalid choice: 'fly'" in result.stderr


def test_main_returns_the_exit_status(tmp_path: Path) -> None:
    assert main(["demo", "--epochs", "1", "--out", str(tmp_path)]) == 0


def test_a_closed_pipe_stops_quietly() -> None:
    # `autoencoder-np lessons | head -1`: the reader goes away after one line.
    with subprocess.Popen(
        [sys.executable, "-m", "autoencoder_np", "demo", "--epochs", "2000", "--every", "1", "--out", "/dev/null/x"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None
        proc.stdout.readline()
        proc.stdout.close()
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        assert proc.wait(timeout=120) == 141
    assert stderr == ""
