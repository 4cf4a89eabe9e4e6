"""The ``recsys`` command: evaluate (table, progress, JSON), recommend (titles), coldstart, clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from autoencoder_np import Autoencoder, save
from autoencoder_np.cli import main
from autoencoder_np.recsys import Recommender, coldstart, evaluate, synthetic_ratings, threads
from autoencoder_np.serialize import FileFormatError


def test_evaluate_prints_progress_a_mean_std_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.json"
    status = main(["recsys", "evaluate", "--models", "popularity,ease", "--seeds", "1,2", "--json", str(out)])
    text = capsys.readouterr().out
    assert status == 0
    assert "[seed 2] ease l2=200.0: validation ndcg@100" in text  # one progress line per configuration
    assert "held-out users (Liang et al. 2018)" in text  # the protocol printed with the result
    rows = {line.split()[0]: line for line in text.splitlines() if line.startswith(("popularity", "ease"))}
    report = json.loads(out.read_text())
    assert report["seeds"] == [1, 2]
    ease = report["summary"]["ease"]
    per_seed = [r["metrics"]["ndcg@100"] for r in report["results"] if r["model"] == "ease"]
    assert ease["mean"]["ndcg@100"] == pytest.approx(sum(per_seed) / 2)
    assert f"{ease['mean']['ndcg@100']:.4f} ± {ease['std']['ndcg@100']:.3f}" in rows["ease"]
    assert [set(c) for c in ease["chosen"]] == [{"l2"}, {"l2"}]  # chosen values stored
    assert ease["mean"]["ndcg@100"] > report["summary"]["popularity"]["mean"]["ndcg@100"]


def test_set_fixes_a_hyperparameter_instead_of_searching_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "result.json"
    argv = ["--models", "multdae,ease", "--seeds", "1", "--threads", "1", "--json", str(out)]
    fixed = ["--set", "epochs=2", "--set", "multdae.hidden=[8]", "--set", "l2=50"]
    assert main(["recsys", "evaluate", *argv, *fixed]) == 0
    text = capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["fixed"] == {"multdae": {"epochs": 2, "hidden": [8], "l2": 50}, "ease": {"l2": 50}}
    tried = [[set(candidate) for candidate in r["tried"]] for r in report["results"]]
    assert tried == [[{"epochs", "validation ndcg@100"}], [{"validation ndcg@100"}]]  # one candidate each
    assert "multdae: fixed by hand, not searched: epochs=2, hidden=[8], l2=50" in text
    assert "[seed 1] multdae l2=" not in text  # l2 is not searched


def test_evaluate_ratings_protocol_with_a_neural_model_prints_epochs(capsys: pytest.CaptureFixture[str]) -> None:
    evaluate.MODELS["tiny_autorec"] = (evaluate.AutoRec, {"kind": "user", "hidden": 8, "epochs": 4, "batch_size": 64})
    try:
        argv = ["--protocol", "ratings", "--models", "mean,tiny_autorec", "--seeds", "3", "--every", "2"]
        status = main(["recsys", "evaluate", *argv])
    finally:
        del evaluate.MODELS["tiny_autorec"]
    captured = capsys.readouterr()
    text, progress = captured.out, captured.err
    assert status == 0
    # progress on stderr: every 2nd epoch, the loss, the validation metric, time per epoch and an upper bound left
    lines = [line for line in progress.splitlines() if line.startswith("AutoRec epoch")]
    assert [line.split(":")[0] for line in lines] == ["AutoRec epoch 2/4", "AutoRec epoch 4/4"] * 2  # fit, refit
    assert re.search(r"AutoRec epoch 2/4: loss [\d.]+, validation rmse [\d.]+( \*)? \([\d.]+ s/epoch, .* so far, "
                     r"at most .* left\)", progress)  # fmt: skip
    assert "validation rmse" in text  # the result per configuration stays on stdout
    assert "ratings (Sedhain et al. 2015)" in text
    assert "epochs=" in text.splitlines()[-1]  # the epoch chosen on validation is reported
    assert "±" not in text.splitlines()[-1]  # one seed: a mean, no "± 0.000"
    assert "one seed (no spread to report)" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", "--models", "magic"], "unknown model 'magic'; choose from"),
        (["evaluate", "--protocol", "ratings", "--models", "ease"], "model 'ease' is a heldout-users model"),
        (["evaluate", "--every", "-1", "--models", "popularity"], "--every must be ≥ 0"),
        (["recommend", "--user", "99999"], "no user with id '99999'"),
        (["recommend", "--user", "1", "--model", "bias"], "model 'bias' is a ratings model"),
        (["coldstart", "-k", "0"], "-k must be ≥ 1"),
        (["evaluate", "--data", "/nonexistent/u.data", "--models", "popularity"], "No such file"),
        (["evaluate", "--protocol", "given", "--models", "popularity"], "pass --data-dir DIR"),
        (["evaluate", "--data-dir", "/nonexistent", "--models", "popularity"], "no train.txt or test.txt"),
        (["recommend", "--user", "1", "--threads", "0"], "--threads must be ≥ 1"),
        (["evaluate", "--models", "multdae,popularity", "--set", "k=3"], "--set k: no model evaluated"),
        (["evaluate", "--models", "multdae", "--set", "ease.l2=3"], "'ease' is not among the models evaluated"),
        (["evaluate", "--models", "multdae", "--set", "hidden=5"], "hidden must be a list of layer sizes"),
        (["evaluate", "--models", "multdae", "--set", "lr=-1"], "lr"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recsys", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autoencoder-np recsys: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_file_of_unknown_format_advises_the_format_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ratings.txt"
    path.write_text("".join(f"{u} {i} {1 + (u * i) % 5}\n" for u in range(1, 30) for i in range(1, 12)))
    assert main(["recsys", "evaluate", "--data", str(path), "--models", "popularity"]) == 2
    assert "pass format= (--format on the command line) one of" in capsys.readouterr().err
    path.write_text(path.read_text().replace(" ", ","))
    argv = ["--data", str(path), "--format", "csv", "--models", "popularity", "--seeds", "1", "--threads", "1"]
    assert main(["recsys", "evaluate", *argv]) == 0
    assert "popularity" in capsys.readouterr().out.splitlines()[-1]


def test_the_threads_option_sets_the_blas_threads(capsys: pytest.CaptureFixture[str]) -> None:
    before = threads.blas_threads()
    if before is None:
        pytest.skip("no BLAS whose threads can be set (e.g. Apple's Accelerate)")
    try:
        for n in (2, 1):
            assert (
                main(["recsys", "recommend", "--user", "5", "-k", "3", "--model", "popularity", "--threads", str(n)])
                == 0
            )
            assert threads.blas_threads() == n
            assert f"BLAS threads: {n} (--threads; --threads N to change)" in capsys.readouterr().err
    finally:
        threads.set_blas_threads(before)


def test_the_default_threads_follow_the_environment_else_the_idle_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in threads.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "cores", lambda: 4)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (2.6, 0.0, 0.0))
    assert threads.default_threads() == (1, "4 cores, load 2.6")
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    assert threads.default_threads()[0] == 4
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert threads.default_threads()[0] == 1  # never fewer than one
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert threads.default_threads() == (3, "OMP_NUM_THREADS=3")


def test_recommend_prints_epoch_progress_while_a_neural_model_trains(capsys: pytest.CaptureFixture[str]) -> None:
    evaluate.MODELS["tiny_dae"] = (evaluate.MultDAE, {"hidden": (8,), "epochs": 3, "batch_size": 64})
    try:
        argv = ["--user", "5", "-k", "3", "--model", "tiny_dae", "--every", "1", "--threads", "1"]
        assert main(["recsys", "recommend", *argv]) == 0
    finally:
        del evaluate.MODELS["tiny_dae"]
    captured = capsys.readouterr()
    assert re.search(r"MultDAE epoch 2/3: loss [\d.]+ \([\d.]+ s/epoch, .* so far, about .* left\)", captured.err)
    assert re.search(r"MultDAE epoch 3/3: loss [\d.]+ \([\d.]+ s/epoch, [^,]* so far\)$", captured.err, re.M)
    assert "fitting MultDAE(" in captured.err
    assert "top 3 for user 5" in captured.out
    assert "epoch 3/3" not in captured.out  # stdout holds the list only


def test_evaluate_runs_the_given_protocol_on_a_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = synthetic_ratings(120, 40, seed=4)
    X = data.binarize(2.5)
    rng = np.random.default_rng(0)
    lines = {"train.txt": [], "test.txt": []}
    for u, row in enumerate(X):
        items = rng.permutation(np.flatnonzero(row))
        cut = max(1, len(items) // 5)
        lines["test.txt"].append(" ".join(map(str, [u, *items[:cut]])))
        lines["train.txt"].append(" ".join(map(str, [u, *items[cut:]])))
    for name, rows in lines.items():
        (tmp_path / name).write_text("\n".join(rows) + "\n")
    argv = ["evaluate", "--data-dir", str(tmp_path), "--models", "popularity,ease", "--seeds", "1", "--threads", "1"]
    assert main(["recsys", *argv]) == 0
    text = capsys.readouterr().out
    assert "protocol: given" in text
    assert "plain Recall@K = hits / |test items|" in text
    header = next(line for line in text.splitlines() if line.startswith("model"))
    assert header.split()[1:3] == ["plain_recall@20", "ndcg@20"]
    assert "ease l2=50.0: validation ndcg@100" in text  # every λ of the grid, from one eigendecomposition
    ease = next(line for line in text.splitlines() if line.startswith("ease "))
    assert re.search(r"l2=\d+\.0$", ease)  # the λ chosen on the validation share of train.txt


def test_recommend_on_a_data_dir_uses_the_ids_of_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "train.txt").write_text("0 0 1\n1 1 2 3\n2 0 4\n")
    (tmp_path / "test.txt").write_text("0 3\n")
    argv = ["--data-dir", str(tmp_path), "--user", "0", "-k", "2", "--model", "popularity", "--threads", "1"]
    assert main(["recsys", "recommend", *argv]) == 0
    text = capsys.readouterr().out
    assert "the user's 2 rated items are excluded" in text
    assert [line.split()[1:3] for line in text.splitlines()[1:]] == [["item", "2"], ["item", "3"]]
    assert main(["recsys", "recommend", *argv[:2], "--user", "3"]) == 2
    assert "no user with id '3' in the split (ids 0 … 2)" in capsys.readouterr().err


def test_loading_an_autoencoder_file_as_a_recommender_says_what_it_holds(tmp_path: Path) -> None:
    path = save(Autoencoder.from_sizes([4, 2], seed=0), tmp_path / "ae.npz")
    with pytest.raises(FileFormatError, match=r"not a saved recommender \(it holds a .* autoencoder_np\.load\)"):
        Recommender.load(path)


def test_a_model_past_its_memory_budget_is_reported_and_the_others_still_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    evaluate.MODELS["tiny_ease"] = (evaluate.EASE, {"max_items": 10})
    try:
        assert main(["recsys", "evaluate", "--models", "tiny_ease,popularity", "--seeds", "1,2", "--threads", "1"]) == 0
    finally:
        del evaluate.MODELS["tiny_ease"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith("popularity")
    assert re.match(r"tiny_ease +refused: EASE\.fit: \d+ items need .* GB\); the budget is 2,800 bytes", lines[-1])


def test_bad_seeds_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["recsys", "evaluate", "--seeds", "1,x"])
    assert info.value.code == 2
    assert "seeds must be comma-separated integers" in capsys.readouterr().err


def test_recommend_prints_titles_from_u_item_and_skips_rated_items(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["1\t1\t5\t1", "1\t2\t4\t2", "2\t1\t5\t3", "2\t3\t5\t4", "3\t2\t5\t5", "3\t3\t4\t6", "3\t4\t5\t7"]
    (tmp_path / "u.data").write_text("\n".join(lines) + "\n")
    flags = "|".join(["0"] * 19)
    titles = ["Alpha (1990)", "Beta (1991)", "Gamma (1992)", "Delta (1993)"]
    (tmp_path / "u.item").write_text("".join(f"{i}|{t}|||url|{flags}\n" for i, t in enumerate(titles, start=1)))
    data = str(tmp_path / "u.data")
    status = main(["recsys", "recommend", "--data", data, "--user", "1", "-k", "2", "--model", "ease"])
    text = capsys.readouterr().out
    assert status == 0
    assert "the user's 2 rated items are excluded" in text
    assert "Gamma (1992)" in text
    assert "Delta (1993)" in text
    assert "Alpha" not in text
    assert "Beta" not in text.split("excluded")[1]


def test_recommend_on_synthetic_data_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recsys", "recommend", "--user", "5", "-k", "3", "--model", "popularity"]) == 0
    text = capsys.readouterr().out
    assert "top 3 for user 5 by Popularity()" in text
    assert text.count("(item ") == 3


def test_coldstart_runs_on_synthetic_data_and_the_content_methods_beat_genre_popularity() -> None:
    report = coldstart.run(synthetic_ratings(400, 200, seed=3), seeds=[1], k=10, log=lambda _: None)
    means = {name: s["mean"]["ndcg@10"] for name, s in report["summary"].items()}
    assert set(means) == {"genre popularity", "genres + EASE", "content AE + EASE"}
    assert means["content AE + EASE"] > means["genre popularity"]
    assert means["genres + EASE"] > means["genre popularity"]


def test_coldstart_command_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recsys", "coldstart", "--seeds", "1"]) == 0
    text = capsys.readouterr().out
    assert "new items (cold start)" in text
    assert "content AE + EASE" in text.splitlines()[-1]


def test_coldstart_needs_item_features() -> None:
    data = synthetic_ratings(50, 20, seed=0)
    bare = type(data)(**{**data.__dict__, "item_features": None})
    with pytest.raises(ValueError, match="the data has no item features"):
        coldstart.run(bare, seeds=[1])
