from tests.pretrained.conftest import llama_path, mamba_path, tokenizer  # noqa: F401  (tiny causal-LM checkpoints)
