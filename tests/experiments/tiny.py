"""The smallest experiment that trains (an LSTM on Z2, two steps), shared by the tests that need just "a run":
sweeps, run locks, thread settings. Copy it before changing it (`{**TINY_EXPERIMENT, ...}`)."""

TINY_EXPERIMENT = {
    "task": {"name": "Z2", "train_length": [1, 6], "num_train": 64, "num_test": 16, "num_validation": 16},
    "model": {"preset": "lstm", "num_layers": 1, "hidden_size": 8},
    "training": {"max_steps": 2, "per_device_train_batch_size": 16, "eval_strategy": "no", "disable_tqdm": True,
                 "logging_strategy": "no"},
}
