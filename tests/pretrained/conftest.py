import pytest

from .tiny_checkpoints import byte_level_tokenizer, corpus, save_checkpoint


@pytest.fixture(scope="session")
def tokenizer():
    return byte_level_tokenizer(corpus())


@pytest.fixture(scope="session")
def llama_path(tmp_path_factory, tokenizer):
    """A tiny Llama-style causal LM (random weights) with a real BPE tokenizer, as a folder."""
    return save_checkpoint(tmp_path_factory.mktemp("tiny-llama"), "llama", tokenizer)


@pytest.fixture(scope="session")
def mamba_path(tmp_path_factory, tokenizer):
    """A tiny Mamba causal LM (random weights) with the same tokenizer, as a folder."""
    return save_checkpoint(tmp_path_factory.mktemp("tiny-mamba"), "mamba", tokenizer)
