"""`statetrack probe`: the probe itself, feature positions, token and text checkpoints, controls and the CLI."""

import doctest
import json
import shutil

import numpy as np
import pytest
import torch

from hf_statetrack import load_dataset, text_view
from hf_statetrack.cli import main
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.experiments.config import from_dict
from hf_statetrack.experiments.run import run_experiment
from hf_statetrack.probing import features as probe_features
from hf_statetrack.probing import fit as probe_fit
from hf_statetrack.probing import run_probe
from hf_statetrack.probing.features import collect_features, text_rows
from hf_statetrack.probing.fit import fit_probe, streaming_mean_std
from hf_statetrack.reporting.results import Results
from hf_statetrack.runtime.checkpoints import default_output_dir, load_causal_lm, load_tokenizer
from hf_statetrack.tasks import get_task

OUTPUTS = {"probe_results.json", "probe_results.md", "probe_accuracy_by_layer.png"}


pytestmark = pytest.mark.usefixtures("one_thread")  # probes take thousands of tiny steps


def on_disk(tmp_path, array: np.ndarray, name: str) -> np.ndarray:
    """The array as a float32 memmap, as `collect_features` writes it."""
    stored = np.lib.format.open_memmap(tmp_path / name, mode="w+", dtype=np.float32, shape=array.shape)
    stored[:] = array
    return stored


@pytest.mark.parametrize("module", [probe_fit, probe_features], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_streaming_standardisation_matches_numpy_on_the_whole_array(tmp_path):
    rng = np.random.default_rng(0)
    x = (1e4 + rng.normal(size=(1003, 6)) * [1, 2, 3, 1e-3, 5, 1]).astype(np.float32)  # large mean, small spread
    x[:, 5] = 7.0  # a constant feature is only centred
    mean, std = streaming_mean_std(on_disk(tmp_path, x, "x.npy"), chunk_rows=97)  # 97 does not divide 1003
    exact = x.astype(np.float64)
    np.testing.assert_allclose(mean, exact.mean(axis=0), rtol=1e-7)
    np.testing.assert_allclose(std[:5], exact.std(axis=0)[:5], rtol=1e-4)
    assert std[5] == 1.0


def gaussian_classes(rng, n: int, centres: np.ndarray):
    labels = rng.integers(0, len(centres), n)
    return (centres[labels] + rng.normal(size=(n, centres.shape[1]))).astype(np.float32), labels


def test_probe_separates_linearly_separable_classes(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 16)) * 6 + 100  # far apart, and far from the origin (standardisation matters)
    x_train, y_train = gaussian_classes(rng, 800, centres)
    x_test, y_test = gaussian_classes(rng, 300, centres)
    probe = fit_probe(on_disk(tmp_path, x_train, "train.npy"), y_train, 5, epochs=20, batch_size=64)
    assert (probe.predict(on_disk(tmp_path, x_test, "test.npy"), chunk_rows=50) == y_test).mean() >= 0.99


def test_probe_on_random_labels_stays_at_chance():
    rng = np.random.default_rng(1)
    x_train, x_test = rng.normal(size=(800, 16)).astype(np.float32), rng.normal(size=(2000, 16)).astype(np.float32)
    y_train, y_test = rng.integers(0, 4, 800), rng.integers(0, 4, 2000)
    probe = fit_probe(x_train, y_train, 4, epochs=30, batch_size=64)
    assert (probe.predict(x_train) == y_train).mean() > 0.3  # it does fit the train noise a little
    assert abs((probe.predict(x_test) == y_test).mean() - 0.25) < 0.05


def test_probe_is_deterministic_given_the_seed():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(200, 8)).astype(np.float32), rng.integers(0, 3, 200)
    weights = [fit_probe(x, y, 3, epochs=3, batch_size=16, seed=s).linear.weight for s in (0, 0, 1)]
    assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0], weights[2])


@pytest.fixture(scope="module")
def s3_lstm(tmp_path_factory):
    """A 1-layer LSTM trained on S3 word problems of lengths 1-8 (about 3 s on 2 cores)."""
    out = tmp_path_factory.mktemp("s3-lstm")
    cfg = from_dict({
        "output_dir": str(out),
        "task": {"name": "S3", "train_length": [1, 8], "num_train": 1000, "num_test": 100, "num_validation": 100},
        "model": {"preset": "lstm", "num_layers": 1, "hidden_size": 32},
        "training": {"num_train_epochs": 10, "learning_rate": 1e-2, "per_device_train_batch_size": 32,
                     "disable_tqdm": True, "eval_strategy": "no", "logging_strategy": "no"},
    })
    assert run_experiment(cfg).splits["test"]["token_accuracy"] > 0.9
    return out


def test_trained_model_holds_the_state_and_the_controls_do_not(s3_lstm):
    results = run_probe(str(s3_lstm), "S3", train_length=(2, 8), num_train=200, num_test=100, epochs=20)
    accuracy, chance = results.probe["accuracy"], results.probe["chance"]
    assert results.settings["format"] == "token" and results.probe["layers"] == ["embeddings", "layer 1"]
    assert accuracy["model"][-1] > 0.9
    assert accuracy["shuffled"][-1] < chance + 0.1
    assert accuracy["random_init"][-1] < accuracy["model"][-1] - 0.4
    assert accuracy["model"][0] < 0.5  # an embedding sees one group element, not the product so far
    # every position of a word problem is scored, so there is one feature per token
    test = load_dataset("S3", train_length=(2, 8), num_train=200, num_test=100, num_validation=0)["test"]
    assert results.settings["num_features"]["test"] == sum(test["length"])
    assert sorted(map(int, results.probe["by_length"]["model"][-1])) == sorted(set(test["length"]))
    assert list(results.probe["by_position"]["model"][-1]) == [str(j) for j in range(max(test["length"]))]
    assert {p.name for p in (s3_lstm / "probe-S3").iterdir()} == OUTPUTS  # the default output dir


def test_token_checkpoint_refuses_a_task_outside_its_vocabulary(s3_lstm, tmp_path, capsys):
    argv = ["probe", "--model", str(s3_lstm), "--task", "Z60", "--num-train", "20", "--num-test", "5",
            "--output-dir", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the checkpoint's vocabulary cannot express task Z60") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name,answers", [("S3", "final"), ("S3", "all"), ("reverse_string", "all"),
                                          ("flip_flop", "all")])
def test_text_probe_positions_end_the_text_that_fixes_each_state(llama_path, name, answers):
    task, tokenizer = get_task(name), load_tokenizer(str(llama_path))
    split = load_dataset(name, train_length=(2, 6), num_train=0, num_test=20, num_validation=0)["test"]
    text = text_view(split, task, answers)
    rows = text_rows(split, task, tokenizer, answers)
    for row, written, labels in zip(rows, text, split["labels"]):
        ids = row["input_ids"]
        assert row["classes"] == [label for label in labels if label != -100]  # every state, written or not
        for pos, end in zip(row["positions"], written["state_ends"]):
            assert tokenizer.decode(ids[:pos + 1], skip_special_tokens=True) == written["text"][:end]
    if (name, answers) == ("S3", "final"):  # e.g. "231 132 312 = 123": the last token of each permutation
        assert all(len(p) == n for p, n in zip(rows["positions"], rows["length"]))


def test_batched_padded_features_match_one_row_at_a_time(llama_path, tmp_path):
    task, tokenizer = get_task("S3"), load_tokenizer(str(llama_path))
    split = load_dataset("S3", train_length=(2, 7), num_train=0, num_test=9, num_validation=0)["test"]
    rows = text_rows(split, task, tokenizer, "all")
    model = load_causal_lm(str(llama_path))
    features = collect_features(model, rows, tokenizer.pad_token_id, tmp_path / "f.npy", device="cpu", batch_size=4)
    with torch.no_grad():
        reference = [torch.stack(model(torch.tensor([row["input_ids"]]), output_hidden_states=True).hidden_states)
                     [:, 0, row["positions"]] for row in rows]  # (layers, positions, hidden) per row
    assert features.shape == (3, sum(len(p) for p in rows["positions"]), 32)
    np.testing.assert_allclose(features, torch.cat(reference, dim=1).numpy(), atol=1e-5)


def test_text_probe_on_a_causal_lm_writes_one_entry_per_layer(llama_path, tmp_path):
    results = run_probe(str(llama_path), "S3", train_length=(2, 5), num_train=30, num_test=10, epochs=3,
                        output_dir=str(tmp_path / "out"))
    assert {p.name for p in (tmp_path / "out").iterdir()} == OUTPUTS
    saved = json.loads((tmp_path / "out" / "probe_results.json").read_text())
    settings, probe = saved["settings"], saved["probe"]
    assert settings["format"] == "text" and settings["answers"] == "final"  # S3's default: only the final state
    num_layers = 2 + 1  # the tiny Llama's num_hidden_layers, plus the embeddings
    for name in ("model", "random_init", "shuffled"):
        assert len(probe["accuracy"][name]) == num_layers and len(probe["by_length"][name]) == num_layers
    assert Results.read(tmp_path / "out") == results  # the file is the record, whole
    assert results.settings["num_features"]["test"] == sum(load_dataset(
        "S3", train_length=(2, 5), num_train=30, num_test=10, num_validation=0)["test"]["length"])
    assert "| 2 (layer 2) |" in (tmp_path / "out" / "probe_results.md").read_text()


def test_text_checkpoint_keeps_the_answers_it_was_fine_tuned_with(llama_path, tmp_path):
    folder = tmp_path / "fine-tuned"
    shutil.copytree(llama_path, folder)
    config = json.loads((folder / "config.json").read_text())
    config["statetrack"] = {"format": "text", "answers": "all"}
    (folder / "config.json").write_text(json.dumps(config))
    results = run_probe(str(folder), "S3", train_length=(2, 5), num_train=20, num_test=10, epochs=2,
                        controls=("shuffled",))
    data = load_dataset("S3", train_length=(2, 5), num_train=20, num_test=10, num_validation=0)
    assert results.settings["answers"] == "all"
    assert results.settings["num_features"] == {s: sum(data[s]["length"]) for s in ("train", "test")}
    assert list(results.probe["accuracy"]) == ["model", "shuffled"]
    assert results.output_dir == str(folder / "probe-S3")


def test_cli_probe_end_to_end_and_bad_input(llama_path, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["probe", "--model", str(llama_path), "--task", "Z2", "--train-length", "2-4", "--num-train", "20",
            "--num-test", "10", "--epochs", "2", "--control", "random_init", "--output-dir", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| layer | model % | random init % |" in printed and "| 0 (embeddings) |" in printed
    assert list(json.loads((out / "probe_results.json").read_text())["probe"]["accuracy"]) == ["model", "random_init"]

    bad = tmp_path / "bad"
    for model, extra, message in [(str(tmp_path / "missing"), [], "missing: no checkpoint folder of that name"),
                                  (str(llama_path), ["--num-train", "5"], "a probe needs --num-train >= 10")]:
        assert main(["probe", "--model", model, "--task", "Z2", "--output-dir", str(bad), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not bad.exists()


def test_default_output_dir_and_settings(tmp_path):
    assert default_output_dir(str(tmp_path), "S5", "probe") == str(tmp_path / "probe-S5")
    assert default_output_dir("EleutherAI/pythia-160m", "S5", "probe") == "outputs/probe/pythia-160m-S5"
    with pytest.raises(StateTrackError, match="unknown probe control 'random'; controls: random_init, shuffled"):
        run_probe(str(tmp_path), "S5", controls=("random",))
    with pytest.raises(StateTrackError, match="--epochs and --batch-size must be >= 1; got 0 and 32"):
        run_probe(str(tmp_path), "S5", epochs=0)


def test_a_task_whose_test_strings_are_all_in_train_fails_clearly(llama_path, tmp_path):
    with pytest.raises(StateTrackError, match=r"^no probe test rows: every anbn string of lengths \(2, 8\) is also "):
        run_probe(str(llama_path), "anbn", train_length=(2, 8), num_train=50, num_test=10,
                  output_dir=str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
