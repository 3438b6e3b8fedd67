"""Fine-tune -> evaluate: the text pipeline learns a task, and `statetrack eval` reads the result in its own
format, with generation and choice agreeing with the Trainer's teacher-forced answer accuracy."""

import pytest

from hf_statetrack.evaluation.dispatch import evaluate_model
from hf_statetrack.experiments.config import from_dict
from hf_statetrack.experiments.run import run_experiment

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("kind", ["llama", "mamba"])
def test_a_fine_tuned_lm_learns_and_is_evaluated_in_its_own_format(kind, request, tmp_path):
    # answers: all writes each parity after its bit: every answer is one XOR from the last (learnable in seconds)
    path = request.getfixturevalue(f"{kind}_path")
    cfg = from_dict({"output_dir": str(tmp_path / "ft"), "model": {"pretrained": str(path)}, "answers": "all",
                     "task": {"name": "Z2", "train_length": [1, 12], "num_train": 1000, "num_test": 100,
                              "num_validation": 100},
                     "training": {"num_train_epochs": 5, "learning_rate": 3e-3, "per_device_train_batch_size": 32,
                                  "eval_strategy": "no", "logging_strategy": "no", "disable_tqdm": True}})
    trained = run_experiment(cfg).splits["validation"]
    assert trained["token_accuracy"] >= 0.95
    for mode in ("generate", "choice"):  # fresh length-12 rows, none in the training data; 0 shots
        result = evaluate_model(str(tmp_path / "ft"), "Z2", [12], num_test=60, mode=mode,
                                output_dir=str(tmp_path / mode))
        assert result.settings == {"mode": mode, "shots": 0, "answers": "all", "candidates": 2}
        assert result.splits["test@12"]["token_accuracy"] >= 0.95
