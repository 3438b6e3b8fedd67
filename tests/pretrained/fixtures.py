"""Session fixtures for every test: tiny causal-LM checkpoints and tokenizers (registered in tests/conftest.py)."""

import pytest

from .tiny_checkpoints import (
    byte_level_tokenizer,
    corpus,
    digit_split_tokenizer,
    save_checkpoint,
    sentencepiece_style_tokenizer,
)


@pytest.fixture(scope="session")
def corpus_lines():
    return corpus()


@pytest.fixture(scope="session")
def tokenizer(corpus_lines):
    """GPT-2 / Pythia style byte-level BPE."""
    return byte_level_tokenizer(corpus_lines)


@pytest.fixture(scope="session", params=["byte_level", "sentencepiece_style", "digit_split"])
def any_tokenizer(request, corpus_lines, tokenizer):
    """The three families of tokenizers Hub checkpoints ship, trained on task text."""
    makers = {"sentencepiece_style": sentencepiece_style_tokenizer, "digit_split": digit_split_tokenizer}
    return tokenizer if request.param == "byte_level" else makers[request.param](corpus_lines)


@pytest.fixture(scope="session")
def llama_path(tmp_path_factory, tokenizer):
    """A tiny Llama-style causal LM (random weights) with a real BPE tokenizer, as a folder."""
    return save_checkpoint(tmp_path_factory.mktemp("tiny-llama"), "llama", tokenizer)


@pytest.fixture(scope="session")
def mamba_path(tmp_path_factory, tokenizer):
    """A tiny Mamba causal LM (random weights) with the same tokenizer, as a folder."""
    return save_checkpoint(tmp_path_factory.mktemp("tiny-mamba"), "mamba", tokenizer)
