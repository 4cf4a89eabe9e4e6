"""The command line: the README's demo command, exit codes, clear errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "-1"], r"Adam: lr must be in \(0.0, inf\], got -1.0"),
        (["--lr", "nan"], r"Adam: lr must be in \(0.0, inf\], got nan"),
        (["--hidden", "0"], "Autoencoder.from_sizes: sizes\\[i\\] must be ≥ 1, got 0"),
        (["--batch-size", "0"], "Autoencoder.fit: batch_size must be ≥ 1, got 0"),
        (["--batch-size", "500"], "Autoencoder.fit: batch_size is 500, more than the 100 rows of X"),
        (["--every", "0"], "Autoencoder.fit: every must be ≥ 1, got 0"),
        (["--seed", "-1"], "founding_example: seed must be ≥ 0, got -1"),
        (["--lr", "1e300"], r"Autoencoder.fit: epoch 1, batch \d+: overflow encountered in matmul"),
    ],
)
def test_bad_values_end_in_one_line_on_stderr_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["demo", "--epochs", "2", "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("autoencoder-np demo: error: ")
    assert re.search(message, err[0])


def test_an_unwritable_output_folder_is_an_os_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main(["demo", "--epochs", "1", "--out", str(blocker)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("autoencoder-np demo: error: [Errno")
    assert str(blocker) in err[0]


@pytest.mark.parametrize("args", [["demo", "--epochs", "two"], ["demo", "--nope"], []])
def test_argument_syntax_errors_are_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("autoencoder-np")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="epochs must be ≥ 1"):
        main(["--debug", "demo", "--epochs", "0", "--out", str(tmp_path)])
    result = _run("--debug", "demo", "--epochs", "0", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr


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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input-shape", "-2"], "gradcheck: --input-shape must be ≥ 1, got -2"),
        (["--rtol", "-1"], r"rtol must be in \[0.0, inf\], got -1.0"),
        (["--eps", "0"], r"eps must be in \(0.0, 1.0\], got 0.0"),
    ],
)
def test_gradcheck_bad_values_end_in_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gradcheck", "autoencoder_np.activations:Tanh", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("autoencoder-np gradcheck: error: ")
    assert re.search(message, err[0])
