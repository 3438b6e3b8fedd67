"""`statetrack lm-eval export`: the folder, its rows, and lm-eval's scores equal to `statetrack eval`'s."""

import doctest
import json
import shutil
import socket
from pathlib import Path

import pytest
import torch
import yaml
from datasets import load_dataset
from transformers import LlamaForCausalLM

from hf_statetrack import get_task
from hf_statetrack.cli import main
from hf_statetrack.evaluation.incontext.prompts import query_prompts
from hf_statetrack.evaluation.incontext.run import evaluate_incontext
from hf_statetrack.evaluation.lmeval import configs
from hf_statetrack.evaluation.lmeval.export import ExportSettings, export_tasks

from ..pretrained.tiny_checkpoints import letters_only_checkpoint

pytestmark = pytest.mark.usefixtures("one_thread")
SETTINGS = dict(num_test=8, seed=3)


def test_doctests():
    result = doctest.testmod(configs)
    assert result.attempted > 0 and result.failed == 0


def test_cli_writes_one_task_per_length_a_group_per_task_and_one_over_all(tmp_path, capsys):
    out = tmp_path / "tasks"
    argv = ["lm-eval", "export", str(out), "--tasks", "S3", "parity", "--test-length", "2,3-4", "--num-test", "8",
            "--shots", "2", "--seed", "3"]
    assert main(argv) == 0 and f"--include_path {out}" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"statetrack_{t}_len{k}.{ext}" for t in ("S3", "parity") for k in ("2", "3-4") for ext in ("yaml", "parquet")]
        + ["statetrack.yaml", "statetrack_S3.yaml", "statetrack_parity.yaml", "statetrack_rows.py"])
    top = yaml.safe_load((out / "statetrack.yaml").read_text())
    assert top["task"] == ["statetrack_S3", "statetrack_parity"]
    assert top["aggregate_metric_list"] == [{"metric": "exact_match", "filter_list": ["strip"], "aggregation": "mean",
                                             "weight_by_size": False}]
    assert yaml.safe_load((out / "statetrack_S3.yaml").read_text())["task"] == ["statetrack_S3_len2",
                                                                                "statetrack_S3_len3-4"]
    task = yaml.load((out / "statetrack_S3_len3-4.yaml").read_text(), Loader=FunctionTags)
    assert task["custom_dataset"] == "!function statetrack_rows.load"
    assert task["generation_kwargs"]["until"] == ["\n"] and task["num_fewshot"] == 0
    assert task["metadata"]["statetrack"] | {"task_params": None} == {
        "task": "S3", "task_params": None, "length": [3, 4], "rows": 8, "answers": "final", "num_test": 8, "shots": 2,
        "seed": 3, "mode": "generate", "max_choices": 128, "hf_statetrack": task["metadata"]["version"]}
    assert task["dataset_kwargs"]["data_files"] == {"test": "statetrack_S3_len3-4.parquet"}  # beside the YAML
    rows, prompts = query_prompts(get_task("S3"), (3, 4), answers="final", meta=None, single=False, shots=2, **SETTINGS)
    written = load_dataset("parquet", data_files=str(out / "statetrack_S3_len3-4.parquet"))["train"]
    assert written["prompt"] == prompts and written["target"] == rows["target"]  # the rows of `statetrack eval`
    assert written["label"] == [labels[-1] for labels in rows["answer_labels"]]


class FunctionTags(yaml.SafeLoader):
    """Reads lm-eval's ``!function x`` as the string "!function x"."""


FunctionTags.add_constructor("!function", lambda loader, node: f"!function {loader.construct_scalar(node)}")


def test_an_export_moved_elsewhere_loads_through_lm_eval(tmp_path, monkeypatch):
    """lm-eval's own task loading (TaskManager, as `lm_eval --include_path`) on a folder moved after export,
    from an unrelated working directory: every task's rows are the exported ones."""
    pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    folder = export_tasks(tmp_path / "made" / "tasks", ["Z2", "parity"], [2, 3], settings=ExportSettings(num_test=4))
    moved = shutil.move(folder, tmp_path / "elsewhere" / "copied")
    shutil.rmtree(tmp_path / "made")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    manager = TaskManager(include_path=str(moved), include_defaults=False)
    tasks = manager.load(["statetrack"])["tasks"]
    assert sorted(tasks) == [f"statetrack_{t}_len{k}" for t in ("Z2", "parity") for k in (2, 3)]
    for name, task in tasks.items():
        rows = load_dataset("parquet", data_files=str(Path(moved) / f"{name}.parquet"))["train"]
        assert list(task.test_docs()) == list(rows)


@pytest.mark.parametrize("extra,message", [
    (["--tasks", "S3", "parityy"], "unknown task 'parityy'; did you mean 'parity'"),
    (["--tasks", "S5", "--mode", "choice", "--max-choices", "10"], "S5 has 120 candidate answers, more than "
                                                                   "--max-choices 10"),
    (["--tasks", "S3", "reverse_string", "--mode", "choice"], "use --mode generate"),
    (["--tasks", "S3", "--tokenizer", "LETTERS"], "cannot render this task"),
])
def test_bad_input_fails_at_export_in_one_line_and_writes_nothing(llama_path, tmp_path, capsys, extra, message):
    letters = letters_only_checkpoint(llama_path, tmp_path / "letters")
    (tmp_path / "exports").mkdir()
    out = tmp_path / "exports" / "tasks"
    argv = ["lm-eval", "export", str(out), "--test-length", "2", "--num-test", "5",
            *[str(letters) if arg == "LETTERS" else arg for arg in extra]]
    assert main(argv) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("error: ") and message in last
    assert not any((tmp_path / "exports").iterdir())  # nor the temporary folder


def test_an_existing_folder_needs_overwrite(tmp_path):
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "notes.txt").write_text("keep")
    with pytest.raises(ValueError, match="exists and is not empty; pass --overwrite"):
        export_tasks(tmp_path / "tasks", ["Z2"], [2], settings=ExportSettings(num_test=2))
    export_tasks(tmp_path / "tasks", ["Z2"], [2], settings=ExportSettings(num_test=2), overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks"]  # replaced, no staging folder left
    assert (tmp_path / "tasks" / "statetrack_Z2_len2.yaml").exists() and not (tmp_path / "tasks" / "notes.txt").exists()


@pytest.mark.parametrize("out", [".", "..", "sub/..", "~"])
def test_overwrite_never_replaces_the_working_directory_its_parents_or_home(tmp_path, monkeypatch, capsys, out):
    """Regression: `statetrack lm-eval export . --overwrite` replaced the working directory with the export."""
    (tmp_path / "cwd").mkdir()
    (tmp_path / "cwd" / "notes.txt").write_text("keep")
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv("HOME", str(tmp_path / "cwd"))
    assert main(["lm-eval", "export", out, "--tasks", "Z2", "--test-length", "2", "--num-test", "2",
                 "--overwrite"]) == 2
    assert "is the working directory, one of its parents or the home folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd"] and (tmp_path / "cwd" / "notes.txt").is_file()


def answer_one_checkpoint(llama_path, tokenizer, folder):
    """The tiny Llama rewired into a bigram machine that answers every query " 1", then ends the line: no layer
    writes to the residual stream, and the output layer maps " =" to " 1" and " 1" to a line break."""
    model = LlamaForCausalLM.from_pretrained(llama_path)
    equals, one, newline = (tokenizer(text, add_special_tokens=False).input_ids for text in (" =", " 1", "\n"))
    assert len(equals) == len(one) == len(newline) == 1
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        embed, head = model.model.embed_tokens.weight, model.lm_head.weight
        embed[equals + one] = 0.0
        embed[equals, 0] = embed[one, 1] = 1.0  # (H,) one-hot: " =" on axis 0, " 1" on axis 1
        head.zero_()
        head[one, 0] = head[newline, 1] = 10.0
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open an internet connection fails the test."""
    connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network access to {address}")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def run_both(model, tasks, lengths, mode, out, shots=2):
    """lm-eval's `simple_evaluate` on an export, and `statetrack eval` on the same rows: (lm-eval results,
    {task: statetrack results}, {task: statetrack samples}). lm-eval's own ~14,000 task files are not indexed
    (10 s); `lm_eval --include_path` reads the export beside them the same way."""
    lm_eval = pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    settings = ExportSettings(mode=mode, shots=shots, **SETTINGS)
    folder = export_tasks(out / "tasks", tasks, lengths, settings=settings, tokenizer=str(model))
    manager = TaskManager(include_path=str(folder), include_defaults=False)
    lm = lm_eval.simple_evaluate(model="hf", model_args={"pretrained": str(model), "dtype": "float32"},
                                 tasks=["statetrack"], task_manager=manager, batch_size=4, device="cpu",
                                 log_samples=True)
    ours, samples = {}, {}
    for task in tasks:
        ours[task] = evaluate_incontext(str(model), task, lengths, mode=mode, batch_size=4, log_samples=True,
                                        output_dir=str(out / task), shots=shots, **SETTINGS)
        samples[task] = [json.loads(line) for line in (out / task / "samples.jsonl").read_text().splitlines()]
    return lm, ours, samples


def lm_samples(lm, task, length):
    return sorted(lm["samples"][configs.lmeval_name(task, length)], key=lambda s: s["doc_id"])


def check_same_accuracy(lm, ours, tasks, lengths, mode):
    key = configs.metric_key(mode)
    for task in tasks:
        by_length = [lm["results"][configs.lmeval_name(task, k)][key] for k in lengths]
        assert by_length == pytest.approx([s["sequence_accuracy"] for s in ours[task].splits.values()])
        assert lm["results"][configs.lmeval_name(task)][key] == pytest.approx(sum(by_length) / len(by_length))
    mean = sum(lm["results"][configs.lmeval_name(t)][key] for t in tasks) / len(tasks)
    assert lm["results"]["statetrack"][key] == pytest.approx(mean)


def test_choice_scores_equal_statetrack_eval(llama_path, tmp_path, no_network):
    """Random weights, S3 (6 states) and Z2: the same log-likelihoods, choices and accuracy per length."""
    tasks, lengths = ["S3", "Z2"], [2, (3, 4)]
    lm, ours, samples = run_both(llama_path, tasks, lengths, "choice", tmp_path)
    check_same_accuracy(lm, ours, tasks, lengths, "choice")
    traced = lm["configs"]["statetrack_S3_len3-4"]["metadata"]["statetrack"]  # carried into lm-eval's results
    assert (traced["task"], traced["length"], traced["shots"], traced["seed"]) == ("S3", [3, 4], 2, 3)
    for task in tasks:
        theirs = [s for k in lengths for s in lm_samples(lm, task, k)]
        assert [s["arguments"][0][0] for s in theirs] == [s["prompt"] for s in samples[task]]
        assert [s["acc"] for s in theirs] == [float(s["correct"]) for s in samples[task]]
        logprobs = [s["filtered_resps"][s["doc"]["label"]][0] for s in theirs]
        assert logprobs == pytest.approx([s["target_logprob"] for s in samples[task]], abs=1e-4)


@pytest.mark.parametrize("shots", [2, 0])
def test_generate_scores_equal_statetrack_eval(llama_path, tokenizer, tmp_path, no_network, shots):
    """A model that answers " 1" and ends the line: half of Z2 right, none of S3, in both evaluators."""
    model = answer_one_checkpoint(llama_path, tokenizer, tmp_path / "answers-one")
    tasks, lengths = ["Z2", "S3"], [2, 4]
    lm, ours, samples = run_both(model, tasks, lengths, "generate", tmp_path, shots)
    check_same_accuracy(lm, ours, tasks, lengths, "generate")
    assert 0 < lm["results"]["statetrack_Z2"][configs.metric_key("generate")] < 1
    theirs = [s for k in lengths for s in lm_samples(lm, "Z2", k)]
    assert [s["filtered_resps"][0] for s in theirs] == [s["response"] for s in samples["Z2"]] == ["1"] * 16


def test_generate_reads_at_least_what_statetrack_eval_reads(llama_path, tmp_path, no_network):
    """Random weights: statetrack eval reads the target's token count (+1 with shots), lm-eval up to the line
    break, so its answer starts with ours (the two agree whenever the model ends its answer line in time)."""
    lm, ours, samples = run_both(llama_path, ["S3"], [3], "generate", tmp_path)
    check_same_accuracy(lm, ours, ["S3"], [3], "generate")
    theirs = lm_samples(lm, "S3", 3)
    assert [s["arguments"][0][0] for s in theirs] == [s["prompt"] for s in samples["S3"]]
    assert all(t["filtered_resps"][0].startswith(s["response"]) for t, s in zip(theirs, samples["S3"]))
