"""Shared test settings: never touch the network or the user's caches."""

import os
import tempfile

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Caches (datasets, evaluate modules, Hub) go to a throwaway folder, set before anything imports datasets.
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="hf_statetrack-tests-")
os.environ.pop("HF_DATASETS_CACHE", None)
# The compiled CPU scan is built once per session into it too (hf_statetrack/models/selective_scan/compiled.py).
os.environ["TORCH_EXTENSIONS_DIR"] = os.path.join(os.environ["HF_HOME"], "torch_extensions")

pytest_plugins = ["tests.pretrained.fixtures"]  # tiny causal LMs + tokenizers


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` need CUDA; on CPU-only machines they are skipped, not failed."""
    import pytest
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def one_thread():
    """Thousands of tiny ops: a second torch thread only adds synchronisation (10-30x slower on busy cores)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
