"""Two sweeps started on the same output folder, in two real processes, train each run exactly once (the run
lock, `runlock`) and end with the same summary."""

import os
import subprocess
import sys
import textwrap

import yaml

from tests.experiments.tiny import TINY_EXPERIMENT

TINY = {**TINY_EXPERIMENT, "sweep": {"task.name": ["Z2", "Z3"]}}

# A sweep whose every training appends its run folder to a log, then holds the run a while so that the other
# process reaches it meanwhile.
DRIVER = textwrap.dedent("""
    import sys, time
    from hf_statetrack.cli import main
    from hf_statetrack.experiments import grid

    log, config = sys.argv[1], sys.argv[2]
    real = grid.run_experiment

    def counted(cfg):
        with open(log, "a") as f:
            f.write(cfg.output_dir + "\\n")
        time.sleep(4)
        return real(cfg)

    grid.run_experiment = counted
    # in-process runs, so the counting patch applies (auto would spawn workers wherever two cores are free)
    sys.exit(main(["sweep", config, "--max-parallel", "1"]))
""")


def summary_table(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("| Z")]


def test_two_sweeps_on_one_folder_train_each_run_once(tmp_path):
    config, log, driver = tmp_path / "sweep.yaml", tmp_path / "trained.log", tmp_path / "driver.py"
    config.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), **TINY}))
    driver.write_text(DRIVER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, str(driver), str(log), str(config)], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outputs]
    trained = log.read_text().splitlines()
    assert sorted(trained) == sorted({str(tmp_path / "out" / f"{t}-lstm-L1-H8" / "seed0") for t in ("Z2", "Z3")})
    stdout = "".join(out for out, _ in outputs)
    assert "another process is training it; waiting to read it back" in stdout
    assert stdout.count("(reused)") == 2  # each run read back by the process that did not train it
    first, second = (summary_table(out) for out, _ in outputs)
    assert len(first) == 2 and first == second
