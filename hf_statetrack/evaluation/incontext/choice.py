"""Choice mode of in-context evaluation: the summed log-probability of each candidate answer after a prompt.

Two ways to the same numbers (a test compares them):

* `full_sequence_scores` (the reference): every prompt + candidate as its own sequence, batched.
* `ChoiceScorer` (the fast path): the prompt once, then its KV cache repeated for all candidates, so
  S5's 120 candidates cost one prompt pass plus one pass over ~3 tokens each instead of 120 prompt
  passes. Used for models whose cache can be repeated (attention models: GPT-2, Pythia, Llama, Qwen)
  and prompts whose tokens do not change when a candidate is appended; otherwise the reference runs.
"""

from __future__ import annotations

import numpy as np
import torch

from ...tasks import IGNORE
from ...text import answer_token_labels


def model_inputs(encoding, device) -> dict:
    """Only ids and mask: some tokenizers add token_type_ids, which causal LMs refuse."""
    return {k: encoding[k].to(device) for k in ("input_ids", "attention_mask")}


def sequence_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Summed log-probability of the labelled tokens: (B, T, V) logits, (B, T) token ids or IGNORE -> (B,).

    The softmax runs only at the positions that predict a labelled token, so memory stays (tokens, V).
    """
    targets = labels[:, 1:]  # (B, T - 1): position t predicts token t + 1
    rows, cols = torch.nonzero(targets != IGNORE, as_tuple=True)
    logp = torch.log_softmax(logits[rows, cols].float(), dim=-1)  # (scored tokens, V)
    picked = logp.gather(-1, targets[rows, cols].unsqueeze(-1)).squeeze(-1)
    return torch.zeros(len(labels), device=logp.device).index_add_(0, rows, picked)


def candidate_labels(tokenizer, encoding, texts: list[tuple[str, int, int]]) -> list[list[int]]:
    """Token ids of each candidate span (answer-tagged, one answer), IGNORE elsewhere; checks the tokenization."""
    return [answer_token_labels(offsets, ids, [s], [e], tokenizer.unk_token_id, len(tokenizer), text)
            for offsets, ids, (text, s, e) in zip(encoding["offset_mapping"], encoding["input_ids"], texts)]


def joined(prompt: str, candidates: list[str]) -> list[tuple[str, int, int]]:
    """(prompt + " " + candidate, span start, span end) per candidate; the span includes the space."""
    return [(prompt + " " + c, len(prompt), len(prompt) + 1 + len(c)) for c in candidates]


def full_sequence_scores(model, tokenizer, prompts: list[str], candidates: list[str], batch_size: int) -> np.ndarray:
    """(prompts, candidates) summed log-probabilities of the span " " + candidate after each prompt."""
    texts = [t for p in prompts for t in joined(p, candidates)]  # flattened
    scores = []
    for i in range(0, len(texts), batch_size):
        chunk = texts[i:i + batch_size]
        enc = tokenizer([t for t, _, _ in chunk], return_tensors="pt", padding=True, return_offsets_mapping=True)
        labels = candidate_labels(tokenizer, {"offset_mapping": enc.pop("offset_mapping").tolist(),
                                              "input_ids": enc["input_ids"].tolist()}, chunk)
        logits = model(**model_inputs(enc, model.device)).logits
        scores.append(sequence_logprobs(logits, torch.tensor(labels, device=logits.device)).cpu())
    return torch.cat(scores).view(len(prompts), len(candidates)).numpy()


def repeatable(cache) -> bool:
    """A cache that can be copied across a batch (attention layers can; transformers 5's Mamba layers cannot)."""
    layers = getattr(cache, "layers", None)
    return bool(layers) and all(hasattr(layer, "batch_repeat_interleave") for layer in layers)


def split_candidates(tokenizer, prompt: str, candidates: list[str]) -> tuple[list[int], list[list[int]]] | None:
    """(the prompt's tokens, each candidate's tokens after them), or None if appending a candidate
    re-tokenizes the prompt; raises if a candidate's tokens cannot be told apart from the prompt's."""
    head = tokenizer(prompt)["input_ids"]
    texts = joined(prompt, candidates)
    enc = tokenizer([t for t, _, _ in texts], return_offsets_mapping=True)
    tails = []
    for ids, labels in zip(enc["input_ids"], candidate_labels(tokenizer, enc, texts)):
        if ids[:len(head)] != head or any(label == IGNORE for label in labels[len(head):]):
            return None
        tails.append(ids[len(head):])
    return head, tails


class ChoiceScorer:
    """Scores candidates prompt by prompt on the shared-prefix path where it applies (see the module docstring)."""

    def __init__(self, model, tokenizer, candidates: list[str], batch_size: int):
        self.model, self.tokenizer, self.candidates, self.batch_size = model, tokenizer, candidates, batch_size
        self.shared_prefix = True  # until the model's cache proves it cannot be repeated

    def __call__(self, prompts: list[str]) -> np.ndarray:
        rows = [self.shared_prefix_scores(p) if self.shared_prefix else None for p in prompts]
        return np.stack([row if row is not None else
                         full_sequence_scores(self.model, self.tokenizer, [p], self.candidates, self.batch_size)[0]
                         for row, p in zip(rows, prompts)])

    def shared_prefix_scores(self, prompt: str) -> np.ndarray | None:
        split = split_candidates(self.tokenizer, prompt, self.candidates)
        if split is None:
            return None
        device, (head_ids, tails) = self.model.device, split
        count, head = len(tails), torch.tensor([head_ids], device=device)  # (1, P)
        out = self.model(input_ids=head, use_cache=True)
        cache = getattr(out, "past_key_values", None)
        if not repeatable(cache):
            self.shared_prefix = False
            return None
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)  # (V,): predicts every tail's first token
        scores = first[torch.tensor([t[0] for t in tails], device=device)]
        width = max(map(len, tails))
        if width > 1:
            labels = torch.full((count, width), IGNORE, dtype=torch.long, device=device)
            for i, tail in enumerate(tails):
                labels[i, :len(tail)] = torch.tensor(tail)
            ids = labels.masked_fill(labels == IGNORE, self.tokenizer.pad_token_id)
            cache.batch_repeat_interleave(count)
            mask = torch.ones((count, head.shape[1] + width - 1), dtype=torch.long, device=device)
            logits = self.model(input_ids=ids[:, :-1], attention_mask=mask, past_key_values=cache).logits
            # (C, width - 1, V): position j predicts tail token j + 1, as sequence_logprobs reads labels[:, 1:];
            # right padding comes after each tail, so it never changes a scored position
            scores = scores + sequence_logprobs(logits, labels)
        return scores.cpu().numpy()
