"""Fine-tuning causal LMs on tasks written as text: only answer tokens are scored, the loss is exact under
accumulation, a few steps lower it, and the output folder is a plain checkpoint (tiny local models, CPU)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq

from hf_statetrack import StateTrackError, load_dataset
from hf_statetrack.cli import main
from hf_statetrack.experiments.config import from_dict, load_config
from hf_statetrack.experiments.finetune import answer_loss, load_model, shifted_argmax, text_splits
from hf_statetrack.experiments.run import run_experiment
from hf_statetrack.tasks import IGNORE, get_task
from hf_statetrack.text import answer_correctness, text_view

pytestmark = pytest.mark.usefixtures("one_thread")

TASK = {"name": "S3", "train_length": [2, 5], "num_train": 200, "num_test": 40, "num_validation": 40}
TRAINING = {"max_steps": 10, "learning_rate": 3e-3, "per_device_train_batch_size": 16, "eval_strategy": "no",
            "disable_tqdm": True}


def experiment(tmp_path: Path, model: dict, **extra) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), "task": TASK, "model": model,
                                    "training": TRAINING, **extra}))
    return path


def text_rows(tokenizer, answers: str):
    """S3 train rows as text (spans) and tokenized (input_ids, answer-tagged labels), row for row."""
    task = get_task("S3")
    token_rows = load_dataset(**TASK)["train"]
    return text_view(token_rows, task, answers), text_splits({"train": token_rows}, task, answers, tokenizer)["train"]


def collate(tokenizer, rows) -> dict:
    features = [{"input_ids": r["input_ids"], "labels": r["labels"]} for r in rows]
    return DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=IGNORE)(features)


def loss_on(model_path, batch, vocab_size: int) -> float:
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_path).eval()
    with torch.no_grad():
        outputs = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return answer_loss(outputs, batch["labels"], vocab_size=vocab_size).item()


def reference_loss(logits: torch.Tensor, labels: torch.Tensor, vocab_size: int) -> float:
    """Slow and obvious: the mean of -log p(answer token | everything before it)."""
    terms = [-torch.log_softmax(logits[i, t - 1], -1)[int(labels[i, t]) % vocab_size]
             for i in range(labels.shape[0]) for t in range(1, labels.shape[1]) if labels[i, t] != IGNORE]
    return torch.stack(terms).mean().item()


@pytest.mark.parametrize("answers", ["final", "all"])
def test_only_answer_tokens_are_labelled_after_collation(tokenizer, answers):
    text, tokenized = text_rows(tokenizer, answers)
    batch = collate(tokenizer, tokenized.select(range(12)))
    for i in range(12):
        row = text[i]
        offsets = tokenizer(row["text"], return_offsets_mapping=True)["offset_mapping"]
        inside = [e > s and any(a <= s and e <= b for a, b in zip(row["answer_starts"], row["answer_ends"]))
                  for s, e in offsets]
        n = len(offsets)
        assert (batch["labels"][i, :n] != IGNORE).tolist() == inside
        assert (batch["labels"][i, n:] == IGNORE).all() and (batch["attention_mask"][i, n:] == 0).all()
        assert (batch["input_ids"][i, n:] == tokenizer.pad_token_id).all()
        assert sum(inside) >= len(row["answer_starts"])


def test_loss_reads_answer_logits_only_and_normalises_by_trainers_count(tokenizer):
    _, tokenized = text_rows(tokenizer, "all")
    batch = collate(tokenizer, tokenized.select(range(6)))
    labels, vocab = batch["labels"], len(tokenizer)
    torch.manual_seed(0)
    logits = torch.randn(*labels.shape, vocab + 5)  # embeddings are often padded beyond the tokenizer
    loss = answer_loss({"logits": logits}, labels, vocab_size=vocab)
    assert loss.item() == pytest.approx(reference_loss(logits, labels, vocab), rel=1e-5)
    # the logits at t predict token t+1: perturbing them where t+1 is no answer token changes nothing
    unused = torch.ones_like(labels, dtype=torch.bool)
    unused[:, :-1] = labels[:, 1:] == IGNORE
    perturbed = logits + 10 * torch.randn_like(logits) * unused[..., None]
    assert answer_loss({"logits": perturbed}, labels, vocab_size=vocab).item() == pytest.approx(loss.item(), rel=1e-6)
    assert answer_loss({"logits": logits + 10 * torch.randn_like(logits)}, labels, vocab_size=vocab) != loss
    # Trainer counts labels[..., 1:] != -100 over the accumulated batch and passes it as num_items_in_batch
    count = labels[..., 1:].ne(IGNORE).sum()
    assert count == (labels != IGNORE).sum()  # position 0 (BOS or a first symbol) is never an answer
    summed = answer_loss({"logits": logits}, labels, num_items_in_batch=torch.tensor(1000), vocab_size=vocab)
    assert summed.item() * 1000 == pytest.approx(loss.item() * count.item(), rel=1e-5)


def test_metrics_see_the_next_token_prediction_at_each_label(tokenizer):
    _, tokenized = text_rows(tokenizer, "all")
    batch = collate(tokenizer, tokenized.select(range(6)))
    ids = batch["input_ids"]
    oracle = torch.nn.functional.one_hot(torch.roll(ids, -1, dims=1), len(tokenizer)).float()  # logits[t] -> ids[t+1]
    preds = shifted_argmax(oracle, batch["labels"]).numpy()
    answer_preds, answer_refs = answer_correctness(preds, batch["labels"].numpy(), len(tokenizer))
    assert ((answer_preds == answer_refs) | (answer_refs == IGNORE)).all() and (answer_refs == 0).sum() > 6
    preds[0, np.flatnonzero(batch["labels"][0] != IGNORE)[-1]] = -1  # one wrong token: that answer is wrong
    assert answer_correctness(preds, batch["labels"].numpy(), len(tokenizer))[0][0].max() == 1


@pytest.mark.parametrize("kind", ["llama", "mamba"])
def test_ten_steps_lower_the_answer_loss_and_save_a_plain_checkpoint(kind, request, tokenizer, tmp_path):
    path = request.getfixturevalue(f"{kind}_path")
    batch = collate(tokenizer, text_rows(tokenizer, "final")[1].select(range(32)))
    config = experiment(tmp_path, {"pretrained": str(path)}, evaluation={"test_lengths": [7]})
    if kind == "llama":  # the CLI end to end once
        assert main(["train", str(config)]) == 0
    else:
        run_experiment(load_config(config))
    out = tmp_path / "out"
    assert loss_on(out, batch, len(tokenizer)) < loss_on(path, batch, len(tokenizer)) - 0.1
    results = json.loads((out / "results.json").read_text())
    assert list(results["splits"]) == ["validation", "test", "test@7"]
    assert results["description"].startswith(f"fine-tuned {path} (full) on S3")
    assert results["num_parameters"] == results["trainable_parameters"] and results["train"]["steps"] == 10
    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.statetrack["format"] == "text" and model.config.statetrack["answers"] == "final"
    assert model.config.statetrack["vocab"] == get_task("S3").vocab
    assert AutoTokenizer.from_pretrained(out).get_vocab() == tokenizer.get_vocab()


def test_gradient_accumulation_gives_the_same_training_as_one_big_batch(llama_path, tmp_path):
    """8 rows x 2 accumulation steps = 16 rows: the loss is divided by the answer tokens of all 16 rows (with
    answers=all, rows of different lengths have different numbers of them, so a mean per micro-batch differs)."""
    config = experiment(tmp_path, {"pretrained": str(llama_path)}, answers="all")
    whole = run_experiment(load_config(config, ["training.max_steps=4"])).train["loss"]
    accumulated = run_experiment(load_config(config, [
        "training.max_steps=4", "training.per_device_train_batch_size=8", "training.gradient_accumulation_steps=2",
        f"output_dir={tmp_path / 'accumulated'}"])).train["loss"]
    assert accumulated == pytest.approx(whole, rel=1e-6)


def test_resume_continues_from_the_last_checkpoint(mamba_path, tmp_path):
    config = experiment(tmp_path, {"pretrained": str(mamba_path)})
    run_experiment(load_config(config, ["training.max_steps=4", "training.save_strategy=steps",
                                        "training.save_steps=4"]))
    results = run_experiment(load_config(config, ["training.max_steps=6", "resume=true"]))
    assert results.train["steps"] == 6 and (tmp_path / "out" / "checkpoint-4").is_dir()


def test_lora_trains_adapters_only_and_saves_merged_weights(llama_path, tokenizer, tmp_path):
    lora = {"r": 4, "lora_alpha": 8, "target_modules": "all-linear"}
    cfg = load_config(experiment(tmp_path, {"pretrained": str(llama_path), "lora": lora}))
    peft_model = load_model(cfg, cfg.training_arguments(), get_task("S3"))
    trainable = [name for name, p in peft_model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in name for name in trainable)
    results = run_experiment(cfg)
    assert 0 < results.trainable_parameters < results.num_parameters / 5
    assert results.model == f"{Path(llama_path).name}-lora" and "(LoRA r=4)" in results.description
    out = tmp_path / "out"
    assert not (out / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(out).state_dict()
    base = AutoModelForCausalLM.from_pretrained(llama_path).state_dict()
    assert merged.keys() == base.keys()
    q_proj = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(merged[q_proj], base[q_proj])  # the adapter is merged in
    assert torch.equal(merged["model.embed_tokens.weight"], base["model.embed_tokens.weight"])  # not adapted


def pretrained(model: dict, **top) -> dict:
    return {"task": TASK, "model": {"pretrained": "EleutherAI/pythia-160m", **model}, **top}


@pytest.mark.parametrize("raw,message", [
    (pretrained({"num_layers": 2}), "unknown key 'num_layers' in model (a pretrained model takes only these knobs)"),
    (pretrained({"lora": {"lora_alfa": 8}}),
     "unknown key 'lora_alfa' in model.lora (peft.LoraConfig fields); did you mean 'lora_alpha'"),
    (pretrained({"dtype": "fp8"}), "model.dtype must be one of auto, float32, bfloat16, float16"),
    (pretrained({}, format="token"), "format: token does not fit the model: a pretrained model reads the task as text"),
    ({"task": TASK, "model": {"preset": "lstm"}, "format": "text"}, "format: text does not fit the model"),
    ({"task": TASK, "model": {"preset": "lstm"}, "answers": "all"}, "answers only applies to the text format"),
    (pretrained({}, answers="some"), "answers must be one of final, all"),
], ids=["knob", "lora-field", "dtype", "token-pretrained", "text-preset", "answers-preset", "answers-value"])
def test_schema_errors_are_one_line(raw, message):
    with pytest.raises(StateTrackError, match="^" + message.replace("(", r"\(").replace(")", r"\)")) as err:
        from_dict(raw)
    assert "\n" not in str(err.value)


def test_lora_without_peft_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "peft", None)  # `import peft` now raises ImportError
    with pytest.raises(StateTrackError, match=r"pip install 'hf-statetrack\[peft\]'"):
        from_dict(pretrained({"lora": {"r": 8}}))


def test_pretrained_defaults_labels_and_answers():
    full, lora = from_dict(pretrained({})), from_dict(pretrained({"lora": {"r": 8}}))
    assert (full.model.label(), lora.model.label()) == ("pythia-160m", "pythia-160m-lora")
    assert (full.format, full.answers) == ("text", "final")  # word problems write only the final state
    assert full.training_arguments().learning_rate == 1e-4 and lora.training_arguments().learning_rate == 1e-3
    dyck = from_dict({**pretrained({}), "task": {"name": "dyck1", "train_length": 8, "num_train": 10, "num_test": 5}})
    assert dyck.answers == "all" and from_dict({"task": TASK, "model": {"preset": "lstm"}}).format == "token"
