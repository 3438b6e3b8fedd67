import os
import subprocess
import sys

import pytest

from hf_statetrack.cli import main


def test_tasks_lists_every_registered_task(capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    assert "group_word_problems:" in out and "S5       word problem, order 120, non-solvable" in out
    assert "A4_x_Z5  word problem, order 60, solvable" in out


def test_tasks_name_describes_any_group_spec(capsys):
    assert main(["tasks", "Z3_x_S3"]) == 0
    assert "order 18" in capsys.readouterr().out


@pytest.mark.parametrize("name,answers", [("S5", "final"), ("dyck1", "all")])
def test_tasks_name_shows_the_text_format(capsys, name, answers):
    assert main(["tasks", name]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    prefix = f"as text for pretrained LMs (answers={answers}): "
    text = last.removeprefix(prefix)
    assert last.startswith(prefix) and text.count(" = ") == (1 if answers == "final" else len(text.split()) // 3)


@pytest.mark.parametrize("argv,message", [
    (["tasks", "S6x"], "error: unknown task 'S6x'"),
    (["generate", "S5", "--train-length", "5-2", "--num-train", "1", "--num-test", "1", "--out", "x"],
     "error: train_length range (5, 2) has min > max"),
    (["generate", "S5", "--train-length", "5", "--num-train", "1", "--num-test", "1", "--param", "oops",
      "--out", "x"], "error: --param takes KEY=VALUE"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)  # restored after the test
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_python_dash_m_and_demo_run(tmp_path):
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "hf_statetrack", "demo"], env=env, cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "S5: word problem" in out.stdout and "a test row (length 16)" in out.stdout


def test_generate_writes_a_folder_plain_datasets_reads(tmp_path, capsys):
    import datasets

    out = tmp_path / "S3"
    argv = ["generate", "S3", "--train-length", "2-5", "--test-length", "7", "--num-train", "200", "--num-test", "20",
            "--param", "label_mode=final", "--out", str(out)]
    assert main(argv) == 0
    assert "load it with datasets.load_dataset" in capsys.readouterr().out
    ds = datasets.load_dataset(str(out), "S3", cache_dir=str(tmp_path / "cache"))
    assert ds["train"].num_rows == 200 and set(ds["test"]["length"]) == {7}
    assert all(row["labels"][:-1] == [-100] * (row["length"] - 1) for row in ds["test"])


def test_tasks_family_filter(capsys):
    assert main(["tasks", "--family", "group_word_problems"]) == 0
    assert capsys.readouterr().out.startswith("group_word_problems:\n  S3 ")
    assert main(["tasks", "--family", "nope"]) == 2
    assert "unknown family 'nope'; families: " in capsys.readouterr().err
