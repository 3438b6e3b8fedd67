"""Answer-tagged token labels: exactly the answer tokens are scored, and tokenizers that cannot render fail."""

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from hf_statetrack import get_task, load_dataset, text_view
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.tasks import IGNORE
from hf_statetrack.text import split_labels, tokenize_text


def text_rows(name, answers=None, count=20, length=6):
    task = get_task(name)
    lo = int(task.length_support(length, length + 8)[0])
    data = load_dataset(name, train_length=lo, num_train=count, num_test=0, num_validation=0)["train"]
    return text_view(data, task, answers)[:]


@pytest.mark.parametrize("name,answers", [("S5", "final"), ("S5", "all"), ("dyck1", "all"),
                                          ("reverse_string", None), ("flip_flop", None), ("binary_addition", None)])
def test_scored_tokens_are_exactly_the_answers(any_tokenizer, name, answers):
    tokenizer = any_tokenizer
    rows = text_rows(name, answers)
    encoded = tokenize_text(rows, tokenizer)
    for ids, labels, text, starts, ends in zip(encoded["input_ids"], encoded["labels"], rows["text"],
                                               rows["answer_starts"], rows["answer_ends"]):
        tokens, answer = split_labels(labels, len(tokenizer))
        assert all(t == i for t, i in zip(tokens, ids) if t != IGNORE)
        for j, (s, e) in enumerate(zip(starts, ends)):
            answer_ids = [i for i, a in zip(ids, answer) if a == j]
            # the answer and nothing else (SentencePiece-style decoders drop a leading space)
            assert tokenizer.decode(answer_ids).strip() == text[s:e].strip()
        unscored = [i for i, a in zip(ids, answer) if a == IGNORE]
        rest = "".join(text[b:s] for b, s in zip([0, *ends], [*starts, len(text)]))
        assert tokenizer.decode(unscored, skip_special_tokens=True) == rest  # everything else is unscored


def whole_line_bpe(lines):
    """BPE without a pre-tokenizer: merges run across spaces, so tokens straddle answer boundaries."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>"],
                                                       show_progress=False))
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>")


def letters_only(lines):
    """A word-level tokenizer that never saw digits: every S5 state becomes <unk>."""
    tok = Tokenizer(models.WordLevel({"<unk>": 0, "=": 1, "a": 2}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>")


@pytest.mark.parametrize("make,message", [(whole_line_bpe, "spans an answer boundary"),
                                          (letters_only, "unknown token")])
def test_tokenizers_that_cannot_render_fail_clearly(make, message):
    rows = text_rows("S3", "all", count=50)
    with pytest.raises(StateTrackError, match=f"cannot render this task.*{message}"):
        tokenize_text(rows, make(rows["text"]))
