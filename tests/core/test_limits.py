"""The one-line error promise: huge specs, lengths and counts fail at once with the override named; bad counts,
folders and Python API types are one `error:` line (exit 2), never a traceback or a hang."""

import subprocess
import sys
import time

import pytest

import hf_statetrack
from hf_statetrack import StateTrackError
from hf_statetrack.cli import main
from hf_statetrack.tasks.group_specs import parse_group


def one_line(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_a_huge_group_spec_fails_at_once_from_the_command_line():
    """`statetrack tasks S99999999` computed 99999999! before its size check (it never finished)."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "hf_statetrack", "tasks", "S99999999"], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "99999999! is above the limit 5040" in run.stderr and "HF_STATETRACK_MAX_GROUP_ORDER" in run.stderr
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("spec", ["S2000", "A1000000", "Z1000000", "S" + "9" * 5000])
def test_huge_groups_name_the_override(spec):
    with pytest.raises(StateTrackError, match="above the limit 5040 on a group's order; set "
                                              "HF_STATETRACK_MAX_GROUP_ORDER="):
        parse_group(spec)


@pytest.mark.parametrize("value", ["abc", "\u00b2", "-5", "", "1.5"])
def test_a_limit_that_is_not_a_whole_number_is_one_line(monkeypatch, value):
    monkeypatch.setenv("HF_STATETRACK_MAX_LENGTH", value)
    with pytest.raises(StateTrackError, match="HF_STATETRACK_MAX_LENGTH must be a whole number"):
        hf_statetrack.load_dataset("Z2", train_length=4, num_train=4, num_test=4)


def test_the_limits_follow_their_environment_variables(monkeypatch):
    monkeypatch.setenv("HF_STATETRACK_MAX_GROUP_ORDER", "10")
    assert parse_group("Z10").order == 10
    with pytest.raises(StateTrackError, match="Z11, 11 is above the limit 10"):
        parse_group("Z11")
    monkeypatch.setenv("HF_STATETRACK_MAX_LENGTH", "8")
    with pytest.raises(StateTrackError, match="test_length 9 is above the limit 8 on a row's length; set "
                                              "HF_STATETRACK_MAX_LENGTH=9"):
        hf_statetrack.load_dataset("Z2", train_length=4, test_length=9, num_train=4, num_test=4)


@pytest.mark.parametrize("args,message", [
    (["--train-length", "100000000-1000000000"], "train_length 1000000000 is above the limit 100000"),
    (["--num-train", str(10**12)], "num_train 1000000000000 is above the limit 100000000 on the rows of one split"),
    (["--num-proc", "0"], "num_proc must be a whole number >= 1"),
    (["--param", "generators=[1, 2"], "--param generators is not valid YAML"),
    (["--param", "generators=5"], "generators must be 'all', 'non_identity', 'transpositions' or element names"),
], ids=["length", "rows", "num_proc", "param_yaml", "param_type"])
def test_generate_refuses_bad_requests_in_one_line(tmp_path, capsys, args, message):
    base = {"--train-length": "4", "--num-train": "8", "--num-test": "2"}
    flags = dict(zip(args[::2], args[1::2]))
    argv = ["generate", "S3", "--out", str(tmp_path / "out"), *[x for k, v in {**base, **flags}.items()
                                                                if k != "--param" for x in (k, v)]]
    argv += ["--param", flags["--param"]] if "--param" in flags else []
    assert message in one_line(capsys, argv)
    assert not any(tmp_path.iterdir())


def test_unwritable_folders_are_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    blocked = str(tmp_path / "file" / "out")
    argv = ["generate", "S3", "--train-length", "4", "--num-train", "8", "--num-test", "2", "--out", blocked]
    assert f"--out {blocked} cannot be written" in one_line(capsys, argv)
    for out in ("", ".", ".."):  # --overwrite would have replaced the working directory or its parent
        assert "is the working directory, one of its parents" in one_line(capsys, [*argv[:-1], out, "--overwrite"])
    common = ["--model", str(tmp_path / "no-model"), "--task", "S3", "--output-dir", blocked]
    for command in (["eval", *common, "--test-length", "4"], ["probe", *common]):
        assert f"--output-dir {blocked} cannot be written" in one_line(capsys, command)
        for out in (".", ".."):  # results written into the working directory or its parent
            assert "is the working directory, one of its parents" in one_line(capsys, [*command[:6], out,
                                                                                       *command[7:]])
    long = str(tmp_path / ("x" * 300))  # longer than the file system allows: one line, not a traceback
    for command in ([*argv[:-1], long], ["lm-eval", "export", long, "--tasks", "Z2", "--test-length", "2"],
                    ["eval", *common[:5], long, "--test-length", "4"], ["probe", *common[:5], long]):
        assert "choose a shorter name" in one_line(capsys, command)
    err = one_line(capsys, ["eval", *common[:4], "--test-length", "4", "--num-test", "0"])
    assert "--num-test must be a whole number >= 1, got 0" in err
    err = one_line(capsys, ["eval", *common[:4], "--test-length", "4", "--batch-size", "0"])
    assert "--batch-size must be a whole number >= 1, got 0" in err


@pytest.mark.parametrize("call,message", [
    (lambda: hf_statetrack.load_dataset(5, train_length=4, num_train=4, num_test=4), "task name must be a string"),
    (lambda: hf_statetrack.load_dataset("S3", train_length=4, num_train=4, num_test=4, generators=5),
     "generators must be"),
    (lambda: hf_statetrack.load_dataset("S3", train_length=4, num_train=4, num_test=4, cache_dir=__file__),
     "is a file; give a folder"),
    (lambda: hf_statetrack.load_dataset("S3", train_length=4, num_train=4, num_test=4, streaming="yes"),
     "streaming must be True or False"),
], ids=["name", "generators", "cache_dir_file", "streaming"])
def test_python_api_wrong_types_raise_our_error(call, message):
    with pytest.raises(StateTrackError, match=message):
        call()


@pytest.mark.parametrize("task,param,message", [
    ("programs", "modulus=2.5", "task programs: parameter modulus must be a whole number, got float 2.5"),
    ("programs", "num_variables=true", "parameter num_variables must be a whole number, got bool True"),
    ("dn", f"n={10**12}", "task dn: parameter n 1000000000000 is above the limit 10000"),
    ("bounded_dyck", f"m={10**12}", "HF_STATETRACK_MAX_PARAMETER=1000000000000"),
    ("flip_flop", "p=.nan", "must be a number in [0, 1), got nan"),
    ("chess_pieces", "query=no", "quote the word to keep it"),
], ids=["float_for_int", "bool_for_int", "dn_huge", "bounded_dyck_huge", "nan", "yaml_bool"])
def test_task_parameters_are_checked_against_their_types_and_the_limit(tmp_path, capsys, task, param, message):
    """Issue 28: these reached numpy (TypeError) or allocated terabytes; the task-parameter schema refuses them."""
    argv = ["generate", task, "--train-length", "4", "--num-train", "8", "--num-test", "2", "--param", param,
            "--out", str(tmp_path / "out")]
    assert message in one_line(capsys, argv)
    assert not any(tmp_path.iterdir())


def test_shots_are_bounded_and_a_nan_threshold_refused(tmp_path, capsys):
    base = ["--model", str(tmp_path / "m"), "--task", "S3", "--test-length", "4", "--output-dir", str(tmp_path / "o")]
    assert "--threshold must be a number in (0, 1], got nan" in one_line(capsys, ["eval", *base, "--threshold", "nan"])
    export = ["lm-eval", "export", str(tmp_path / "x"), "--tasks", "S3", "--test-length", "4"]
    assert "--shots 100000 is above the limit 1000" in one_line(capsys, [*export, "--shots", "100000"])


def test_eval_and_probe_beyond_a_checkpoint_s_positions_fail_before_any_data(tmp_path, capsys):
    """A GPT-2 preset with 8 learned positions, asked for rows of 12: an IndexError mid-run before."""
    from hf_statetrack.experiments.config import from_dict
    from hf_statetrack.experiments.run import run_experiment

    run_experiment(from_dict({
        "output_dir": str(tmp_path / "gpt2"), "task": {"name": "S3", "train_length": 4, "num_train": 32, "num_test": 8},
        "model": {"preset": "gpt2", "num_layers": 1, "hidden_size": 16, "n_positions": 8},
        "training": {"num_train_epochs": 1, "disable_tqdm": True}}))
    capsys.readouterr()  # the run's own warnings
    common = ["--model", str(tmp_path / "gpt2"), "--task", "S3"]
    err = one_line(capsys, ["eval", *common, "--test-length", "4,12", "--num-test", "8"])
    assert "reads at most 8 positions (a learned position table), but rows at length 12 have 12" in err
    err = one_line(capsys, ["probe", *common, "--train-length", "2-12", "--num-train", "20", "--num-test", "8"])
    assert "probe: " in err and "reads at most 8 positions" in err
