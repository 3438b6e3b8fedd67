"""`statetrack eval` on causal LMs: in-context prompts, both scoring modes, outputs and one-line errors."""

import doctest
import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from transformers import AutoConfig

from hf_statetrack import get_task, load_dataset, text_view
from hf_statetrack.cli import main
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.data.params import GenerationParams
from hf_statetrack.evaluation.dispatch import evaluate_model
from hf_statetrack.evaluation.incontext import prompts as incontext_prompts
from hf_statetrack.evaluation.incontext import run as incontext_eval
from hf_statetrack.evaluation.incontext.choice import ChoiceScorer, full_sequence_scores, sequence_logprobs
from hf_statetrack.evaluation.incontext.prompts import make_queries, shot_indices
from hf_statetrack.evaluation.incontext.run import exact_match
from hf_statetrack.runtime.checkpoints import default_output_dir, load_causal_lm
from hf_statetrack.tasks import IGNORE
from tests.pretrained.tiny_checkpoints import letters_only_checkpoint

pytestmark = pytest.mark.usefixtures("one_thread")


def run(path, tmp_path, task="S3", lengths=(2, 4), **kwargs):
    out = tmp_path / "out"
    results = evaluate_model(str(path), task, list(lengths), output_dir=str(out), **kwargs)
    return results, out


def read_samples(out):
    return [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]


def test_exact_match_reads_the_first_line_only():
    responses = ["21453", " 21453\n12", "2145", "21453 1"]
    assert [exact_match(r, "21453") for r in responses] == [True, True, False, False]


@pytest.mark.parametrize("module", [incontext_eval, incontext_prompts], ids=lambda m: m.__name__.split(".")[-1])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_prompts_put_k_other_rows_before_the_query(tokenizer):
    task = get_task("S5")
    queries = make_queries(task, 4, "test@4", tokenizer=tokenizer, answers="final", shots=3, seed=0, num_test=20,
                           meta=None, single=False)
    assert len(queries) == 20 and queries == make_queries(task, 4, "test@4", tokenizer=tokenizer, answers="final",
                                                          shots=3, seed=0, num_test=20, meta=None, single=False)
    for q in queries:
        *shots, last = q.prompt.split("\n")
        assert len(shots) == 3 and last.endswith(" =") and len(last.split()) == 5  # 4 elements, then "="
        assert all(len(s.split()) == 6 and s.split()[-2] == "=" for s in shots)  # full solved rows
        assert f"{last} {q.target}" not in shots
        assert q.num_target_tokens == len(tokenizer(f" {q.target}", add_special_tokens=False).input_ids)
        assert q.max_new_tokens == q.num_target_tokens + 1  # with shots: room to show the answer line ends
    zero_shot = make_queries(task, 4, "test@4", tokenizer=tokenizer, answers="final", shots=0, seed=0, num_test=5,
                             meta=None, single=False)
    assert all(q.max_new_tokens == q.num_target_tokens and "\n" not in q.prompt for q in zero_shot)
    assert len({q.prompt.split("\n")[0] for q in queries}) > 10  # shots vary across queries
    pool = ["1 = 1", "0 = 0", "0 = 0", "1 1 = 0"]
    assert all(2 not in shot_indices(pool, "0 = 0", 3, seed=0, index=i) and 1 not in
               shot_indices(pool, "0 = 0", 3, seed=0, index=i) for i in range(20))


@pytest.mark.parametrize("mode", ["generate", "choice"])
@pytest.mark.parametrize("checkpoint", ["llama_path", "mamba_path"])
def test_both_modes_write_one_split_per_length(request, tmp_path, checkpoint, mode):
    results, out = run(request.getfixturevalue(checkpoint), tmp_path, num_test=6, shots=2, mode=mode,
                       log_samples=True)
    saved = json.loads((out / "results.json").read_text())
    assert list(saved["splits"]) == ["test@2", "test@4"] and saved["settings"]["shots"] == 2
    samples = read_samples(out)
    assert [s["split"] for s in samples] == ["test@2"] * 6 + ["test@4"] * 6
    for name, split in saved["splits"].items():
        assert split["num_sequences"] == 6
        rows = [s for s in samples if s["split"] == name]
        assert split["sequence_accuracy"] == pytest.approx(np.mean([s["correct"] for s in rows]))
        assert split["token_accuracy"] == split["final_state_accuracy"] == split["sequence_accuracy"]
    answer_key = "response" if mode == "generate" else "choice"
    assert all(s[answer_key] is not None and s["prompt"].count("\n") == 2 for s in samples)
    assert (out / "results.md").exists() and (out / "accuracy_by_length.png").exists()


def test_sequence_logprobs_matches_a_loop():
    torch.manual_seed(0)
    logits, labels = torch.randn(3, 6, 11), torch.full((3, 6), IGNORE)
    labels[0, 2:4], labels[2, 5] = torch.tensor([5, 7]), 1  # row 1 scores nothing
    expected = [sum(float(torch.log_softmax(logits[b, t - 1], -1)[labels[b, t]]) for t in range(1, 6)
                    if labels[b, t] != IGNORE) for b in range(3)]
    assert torch.allclose(sequence_logprobs(logits, labels), torch.tensor(expected))


class BiasedLM(torch.nn.Module):
    """The same next-token logits at every position, so a candidate scores the sum of its tokens' log-probs."""

    def __init__(self, bias):
        super().__init__()
        self.register_buffer("bias", bias)

    @property
    def device(self):
        return self.bias.device

    def forward(self, input_ids, attention_mask=None, **kwargs):  # no cache: choice takes the reference path
        return SimpleNamespace(logits=self.bias.expand(*input_ids.shape, -1))


def test_choice_picks_the_candidate_the_model_favours(llama_path, tokenizer, tmp_path, monkeypatch):
    favoured = tokenizer(" 213", add_special_tokens=False).input_ids
    bias = torch.zeros(len(tokenizer))
    bias[favoured] = 20.0
    monkeypatch.setattr(incontext_eval, "load_causal_lm", lambda path: BiasedLM(bias))
    results, out = run(llama_path, tmp_path, lengths=[3], num_test=30, shots=1, mode="choice", log_samples=True)
    samples = read_samples(out)
    expected = torch.log_softmax(bias, -1)[favoured].sum().item()
    assert all(s["choice"] == "213" and s["choice_logprob"] == pytest.approx(expected) for s in samples)
    assert all(s["correct"] == (s["target"] == "213") == (s["target_rank"] == 0) for s in samples)
    hits = np.mean([s["target"] == "213" for s in samples])
    assert 0 < hits < 1 and results.splits["test@3"]["sequence_accuracy"] == pytest.approx(hits)


class Z60Oracle(torch.nn.Module):
    """Generates the right Z60 answer (the sum mod 60), a newline, then more rows' worth of tokens."""

    def __init__(self, tokenizer):
        super().__init__()
        self.tokenizer = tokenizer

    @property
    def device(self):
        return torch.device("cpu")

    def generate(self, input_ids, attention_mask, max_new_tokens, **kwargs):
        rows = []
        for ids in input_ids.tolist():
            last = self.tokenizer.decode(ids, skip_special_tokens=True).split("\n")[-1]
            answer = sum(int(x) for x in last.split()[:-1]) % 60
            new = self.tokenizer(f" {answer}\n 7 7 7 7 7", add_special_tokens=False).input_ids
            rows.append(ids + new[:max_new_tokens])
        return torch.tensor(rows)


def test_generate_scores_right_answers_right(llama_path, tokenizer, tmp_path, monkeypatch):
    monkeypatch.setattr(incontext_eval, "load_causal_lm", lambda path: Z60Oracle(tokenizer))
    results, out = run(llama_path, tmp_path, task="Z60", lengths=[3, 5], num_test=10, batch_size=4, log_samples=True)
    assert [m["sequence_accuracy"] for m in results.splits.values()] == [1.0, 1.0]
    assert all(s["response"] == s["target"] and s["prompt"].count("\n") == 3 for s in read_samples(out))


def test_a_checkpoint_fine_tuned_as_text_is_read_as_trained(llama_path, tmp_path):
    generation = GenerationParams.resolve("S3", train_length=3, num_train=100, num_test=0, num_validation=0)
    task = get_task("S3")
    folder = shutil.copytree(llama_path, tmp_path / "text-ckpt")
    config = AutoConfig.from_pretrained(folder)
    config.statetrack = {"format": "text", "answers": "all", "generation": generation.as_dict(),
                         "vocab": task.vocab, "label_vocab": task.label_vocab}
    config.save_pretrained(folder)
    results, out = run(folder, tmp_path, lengths=[3], num_test=40, log_samples=True)
    assert results.settings == {"mode": "generate", "shots": 0, "answers": "all", "candidates": 6}
    trained = set(text_view(load_dataset("S3", **generation.load_kwargs())["train"], task, "all")["text"])
    samples = read_samples(out)
    assert all("\n" not in s["prompt"] and s["prompt"].count("=") == 3 for s in samples)  # every answer but the last
    assert 0 < len(samples) < 40  # 100 training rows cover much of S3's 216 strings of length 3: deduplicated
    assert not any(f"{s['prompt']} {s['target']}" in trained for s in samples)


def test_cli_end_to_end(llama_path, tmp_path, capsys):
    out = tmp_path / "cli"
    argv = ["eval", "--model", str(llama_path), "--task", "S3", "--test-length", "2,3-4", "--num-test", "5",
            "--shots", "1", "--mode", "choice", "--log-samples", "--output-dir", str(out)]
    assert main(argv) == 0
    assert "test@3-4" in capsys.readouterr().out
    assert list(json.loads((out / "results.json").read_text())["splits"]) == ["test@2", "test@3-4"]
    assert len(read_samples(out)) == 10


@pytest.mark.parametrize("case,extra,message", [
    ("missing", ["--task", "S3"], "no checkpoint folder of that name"),
    ("llama", ["--task", "S5", "--mode", "choice", "--max-choices", "10"], "S5 has 120 candidate answers, more than "
                                                                           "--max-choices 10"),
    ("llama", ["--task", "reverse_string", "--mode", "choice"], "use --mode generate"),
    ("letters", ["--task", "S3"], "cannot render this task"),
])
def test_bad_input_fails_in_one_line_and_writes_nothing(llama_path, tmp_path, capsys, case, extra, message):
    model = {"missing": lambda: tmp_path / "no-such-model", "llama": lambda: llama_path,
             "letters": lambda: letters_only_checkpoint(llama_path, tmp_path / "letters")}[case]()
    out = tmp_path / "out"
    argv = ["eval", "--model", str(model), "--test-length", "3", "--num-test", "5", "--output-dir", str(out), *extra]
    assert main(argv) == 2
    last = capsys.readouterr().err.splitlines()[-1]  # after any data-generation progress bars: one line, no traceback
    assert last.startswith("error: ") and message in last
    assert not out.exists()


def test_token_checkpoints_refuse_in_context_options(tmp_path):
    config = AutoConfig.for_model("llama", statetrack={"generation": {"name": "S3"}, "vocab": [], "label_vocab": []})
    config.save_pretrained(tmp_path)
    with pytest.raises(StateTrackError, match="--shots, --mode and --log-samples are for causal LMs"):
        evaluate_model(str(tmp_path), "S3", [4], shots=2)


def test_hub_models_write_under_outputs_eval():
    assert default_output_dir("EleutherAI/pythia-160m", "S5", "eval") == "outputs/eval/pythia-160m-S5"


@pytest.mark.parametrize("kind,shared", [("llama", True), ("mamba", False)])
def test_shared_prefix_choice_scores_match_full_sequences(kind, shared, request, tokenizer):
    """S5's 120 candidates after 2-shot prompts: one prompt pass + a repeated cache (attention models) gives the
    reference's numbers; Mamba's cache cannot be repeated, so it takes the reference path."""
    model = load_causal_lm(str(request.getfixturevalue(f"{kind}_path"))).eval()
    task = get_task("S5")
    queries = make_queries(task, 3, "test@3", tokenizer=tokenizer, answers="final", shots=2, seed=0, num_test=3,
                           meta=None, single=True)
    prompts = [q.prompt for q in queries]
    scorer = ChoiceScorer(model, tokenizer, task.label_vocab, batch_size=64)
    with torch.inference_mode():
        fast = scorer(prompts)
        reference = full_sequence_scores(model, tokenizer, prompts, task.label_vocab, batch_size=64)
    assert scorer.shared_prefix is shared and fast.shape == (3, 120)
    np.testing.assert_allclose(fast, reference, rtol=1e-4, atol=1e-4)


def test_shots_come_from_shorter_strings_where_a_length_has_too_few(tokenizer):
    """a^n b^n has one string per length: the shots for "a a b b" are the shorter "a b"."""
    queries = make_queries(get_task("anbn"), 4, "test@4", tokenizer=tokenizer, answers="final", shots=2, seed=0,
                           num_test=3, meta=None, single=False)
    assert queries and all(q.prompt == "a b = $\na b = $\na a b b =" and q.target == "$" for q in queries)
    with pytest.raises(StateTrackError, match="no row differs from 'a b = \\$'"):  # nothing shorter exists
        make_queries(get_task("anbn"), 2, "test@2", tokenizer=tokenizer, answers="final", shots=1, seed=0,
                     num_test=3, meta=None, single=False)
