"""The version a course can pin: one source (``autoencoder_np.__version__``), read by the package metadata and
``--version``, recorded in every file the library saves, and described in CHANGELOG.md."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import numpy as np
import pytest

import autoencoder_np as ae
from autoencoder_np import recsys as rs
from autoencoder_np.cli import main
from autoencoder_np.serialize import load_arrays

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"
# Semantic versioning, with PEP 440's .devN between releases (0.2.0.dev0) and rcN before one (0.2.0rc1).
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(\.dev\d+|rc\d+)?")


def test_the_version_is_semantic_and_the_metadata_reads_it() -> None:
    assert SEMVER.fullmatch(ae.__version__), ae.__version__
    installed = importlib.metadata.version("autoencoder_np")
    assert installed == ae.__version__, "the metadata is older than __version__: reinstall (pip install -e .)"


def test_version_option_prints_it(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"autoencoder_np {ae.__version__}\n"


def test_every_saved_file_records_the_version(tmp_path: Path) -> None:
    X = np.random.default_rng(0).random((8, 4))
    model = ae.Autoencoder.from_sizes([4, 2], seed=0)
    optimizer = ae.Adam()
    model.fit(X, epochs=1, batch_size=4, optimizer=optimizer, seed=0)
    recommender = rs.Popularity().fit((np.random.default_rng(1).random((20, 10)) < 0.3).astype(float))
    for path in (ae.save(model, tmp_path / "model.npz"), ae.save(optimizer, tmp_path / "adam.npz"),
                 recommender.save(tmp_path / "popularity.npz")):  # fmt: skip
        _, header = load_arrays(path)
        assert header["library_version"] == ae.__version__, path.name


def test_the_changelog_describes_this_version() -> None:
    if not CHANGELOG.is_file():
        pytest.skip("CHANGELOG.md is in the checkout and the sdist, not in the wheel")
    text = CHANGELOG.read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, flags=re.MULTILINE)
    assert released, "no released version in CHANGELOG.md"
    if re.fullmatch(r"\d+\.\d+\.\d+", ae.__version__):  # a release: its own section
        assert ae.__version__ in released, f"CHANGELOG.md has no section ## [{ae.__version__}] - YYYY-MM-DD"
    else:  # between releases: the work goes under Unreleased, and the next release is newer than the last
        assert "\n## [Unreleased]\n" in text
        base = tuple(int(part) for part in SEMVER.fullmatch(ae.__version__).groups()[:3])
        assert base > tuple(int(part) for part in released[0].split("."))
