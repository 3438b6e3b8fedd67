"""results.json / .md are written whole or not at all: a writer killed with SIGKILL mid-loop leaves the last
complete record, never a cut file."""

import json
import signal
import subprocess
import sys
import time

WRITER = """
import sys
from hf_statetrack.reporting.results import Results
out = sys.argv[1]
record = Results(kind="eval", title="t", description="d", task={"name": "S5"}, model="m", seed=0, threshold=0.9,
                 settings={"payload": ["x" * 100] * 50000})  # ~5 MB of JSON: a write takes a while
for i in range(10**6):
    record.seed = i
    record.write(out, markdown=f"# run {i}\\n" * 20000, plot=lambda results, folder: None)
    if i == 0:
        print("ready", flush=True)
"""


def test_results_json_is_strict_json_a_diverged_loss_is_null(tmp_path):
    """Python's json wrote NaN / Infinity, which strict parsers (jq, JavaScript, Go) refuse."""
    from hf_statetrack.reporting.results import Results

    record = Results(kind="eval", title="t", description="d", task={"name": "S5"}, model="m", seed=0, threshold=0.9,
                     train={"loss": float("nan"), "grad": float("inf"), "steps": 3})
    record.write(tmp_path, markdown="", plot=lambda results, folder: None)

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    data = json.loads((tmp_path / "results.json").read_text(), parse_constant=refuse)
    assert data["train"] == {"loss": None, "grad": None, "steps": 3}


def test_a_killed_writer_leaves_whole_files(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline() == "ready\n"
    time.sleep(0.7)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    record = json.loads((tmp_path / "results.json").read_text())  # parses: not cut
    assert len(record["settings"]["payload"]) == 50000
    markdown = (tmp_path / "results.md").read_text()
    assert markdown.count("\n") == 20000 and len(set(markdown.splitlines())) == 1
