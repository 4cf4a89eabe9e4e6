"""The ``recsys`` command: evaluate (table, progress, JSON), recommend (titles), coldstart, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoencoder_np.cli import main
from autoencoder_np.recsys import coldstart, evaluate, synthetic_ratings


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


def test_evaluate_ratings_protocol_with_a_neural_model_prints_epochs(capsys: pytest.CaptureFixture[str]) -> None:
    evaluate.MODELS["tiny_autorec"] = (evaluate.AutoRec, {"kind": "user", "hidden": 8, "epochs": 4, "batch_size": 64})
    try:
        argv = ["--protocol", "ratings", "--models", "mean,tiny_autorec", "--seeds", "3", "--every", "1"]
        status = main(["recsys", "evaluate", *argv])
    finally:
        del evaluate.MODELS["tiny_autorec"]
    text = capsys.readouterr().out
    assert status == 0
    assert "AutoRec epoch 4: loss" in text  # the progress line per epoch
    assert "validation rmse" in text
    assert "ratings (Sedhain et al. 2015)" in text
    assert "epochs=" in text.splitlines()[-1]  # the epoch chosen on validation is reported


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
