"""Tiny causal-LM checkpoints with a real byte-level BPE tokenizer, saved to disk and loaded by path.

This is the code path a Hub checkpoint takes (`from_pretrained(<folder>)`), without the network: the
tokenizer is trained by the `tokenizers` library on task text, so digits and symbols merge as in GPT-2.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, MambaConfig, MambaForCausalLM, PreTrainedTokenizerFast

from hf_statetrack import load_dataset
from hf_statetrack.tasks import get_task
from hf_statetrack.text import text_view

CORPUS_TASKS = ("S3", "S5", "Z2", "A5", "Z60", "dyck1", "reverse_string", "flip_flop", "binary_addition")


def corpus() -> list[str]:
    lines = []
    for name in CORPUS_TASKS:
        task = get_task(name)
        lo = task.length_support(2, 12)
        data = load_dataset(name, train_length=(int(lo[0]), int(lo[-1])), num_train=200, num_test=0,
                            num_validation=0)["train"]
        for answers in ("final", "all"):
            lines += text_view(data, task, answers)["text"]
    return lines


def byte_level_tokenizer(lines: list[str], vocab_size: int = 400) -> PreTrainedTokenizerFast:
    """GPT-2 style: byte-level pre-tokenizer (space glued to the next word), BPE merges, a BOS token."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|bos|>", "<|eos|>", "<|pad|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(lines, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<|bos|> $A", special_tokens=[
        ("<|bos|>", tok.token_to_id("<|bos|>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eos|>",
                                   pad_token="<|pad|>")


def sentencepiece_style_tokenizer(lines: list[str], vocab_size: int = 400) -> PreTrainedTokenizerFast:
    """Llama-2 / Mistral style: "▁" marks a word start (Metaspace), BPE merges, an unknown token."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>", "<s>"],
                                                       show_progress=False))
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>")


def digit_split_tokenizer(lines: list[str], vocab_size: int = 400) -> PreTrainedTokenizerFast:
    """Llama-3 / Qwen style: digits split into groups of at most three before byte-level BPE."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(r"\p{N}{1,3}"), "isolated"),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|bos|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                       show_progress=False))
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|bos|>")


def tiny_model(kind: str, vocab_size: int, tokenizer, seed: int = 0):
    torch.manual_seed(seed)
    special = dict(vocab_size=vocab_size, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                   pad_token_id=tokenizer.pad_token_id)
    if kind == "llama":
        config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                             num_key_value_heads=2, max_position_embeddings=1024, **special)
        return LlamaForCausalLM(config)
    if kind == "mamba":
        config = MambaConfig(hidden_size=32, state_size=4, num_hidden_layers=2, expand=2, conv_kernel=4, **special)
        return MambaForCausalLM(config)
    raise ValueError(kind)


def save_checkpoint(folder: Path, kind: str, tokenizer) -> Path:
    model = tiny_model(kind, len(tokenizer), tokenizer)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def letters_only_checkpoint(llama_path, folder):
    """The tiny Llama with a word-level tokenizer that knows no digits: S3 answers become <unk>."""
    shutil.copytree(llama_path, folder)
    tok = Tokenizer(models.WordLevel({"<unk>": 0, "=": 1, "a": 2}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<unk>").save_pretrained(folder)
    return folder
