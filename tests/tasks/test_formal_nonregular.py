"""The non-regular formal languages and bounded Dyck, checked against plain Python written from the definitions.

References: a recogniser per language (counters, a stack, a recursive-descent parser, string equality) and
two independent ways to get continuation sets:
* brute force: every string up to a length B, filtered by the recogniser; the label of a prefix p is
  {c : p c is a prefix of one of them}. This is exact for |p| <= P when every viable prefix q of length
  <= P + 1 has a completion of length <= B - |q| (the bound is given per case below);
* a witness argument for long strings: c may follow p iff the recogniser accepts p c w for the canonical
  completion w of p c (close what is open / fill owed operands with 0 / finish the blocks), because any
  completable prefix is completed by its canonical completion.
"""

import itertools
from collections import Counter

import numpy as np
import pytest

import hf_statetrack.tasks.formal_languages.nonregular  # noqa: F401  (registration)
from hf_statetrack import StateTrackError, get_task, list_tasks, load_dataset
from hf_statetrack.tasks import IGNORE

NAMES = ["dyck1", "shuffle2", "shuffle4", "shuffle6", "boolean3", "boolean5", "anbn", "anbncn", "anbncndn",
         "bounded_dyck"]
CASES = [(name, {}) for name in NAMES] + [("bounded_dyck", {"k": 2, "m": 2}), ("bounded_dyck", {"k": 3, "m": 1})]
IDS = [name + "".join(f"-{k}{v}" for k, v in params.items()) for name, params in CASES]
PAIRS = ["()", "[]", "{}", "<>", "+-", "ab"]
ARITY = {"0": 0, "1": 0, "~": 1, "+": 2, ">": 3, "*": 4, "^": 5}


# ---------------------------------------------------------------- plain references
def shuffle_member(s: str, pairs: int) -> bool:
    if not s or set(s) - set("".join(PAIRS[:pairs])):
        return False
    for opener, closer in PAIRS[:pairs]:
        depth = 0
        for x in s:
            depth += (x == opener) - (x == closer)
            if depth < 0:
                return False
        if depth:
            return False
    return True


def bounded_dyck_member(s: str, k: int, m: int) -> bool:
    stack = []
    for x in s:
        if x.islower() and ord(x) - ord("a") < k:
            stack.append(x.upper())
            if len(stack) > m:
                return False
        elif not stack or stack.pop() != x:
            return False
    return bool(s) and not stack


def expression_end(s: str, i: int, arity: int):
    """Index just after the prefix-notation expression starting at s[i], or None if there is none."""
    if i >= len(s) or ARITY.get(s[i], arity + 1) > arity:
        return None
    j = i + 1
    for _ in range(ARITY[s[i]]):
        j = expression_end(s, j, arity)
        if j is None:
            return None
    return j


def blocks(letters: str, n: int) -> str:
    return "".join(c * n for c in letters)


def member(name: str, params: dict, s: str) -> bool:
    if name == "dyck1" or name.startswith("shuffle"):
        return shuffle_member(s, 1 if name == "dyck1" else int(name[7:]))
    if name == "bounded_dyck":
        return bounded_dyck_member(s, params.get("k", 8), params.get("m", 10))
    if name.startswith("boolean"):
        return expression_end(s, 0, int(name[7:])) == len(s)
    letters = name.replace("n", "")
    return len(s) >= len(letters) and s == blocks(letters, len(s) // len(letters))


def canonical_completion(name: str, q: str) -> str:
    if name == "dyck1" or name.startswith("shuffle"):
        return "".join(c * max(q.count(o) - q.count(c), 0) for o, c in PAIRS)
    if name == "bounded_dyck":
        stack = []
        for x in q:
            if x.islower():
                stack.append(x.upper())
            elif stack:
                stack.pop()
        return "".join(reversed(stack))
    if name.startswith("boolean"):
        return "0" * (1 + sum(ARITY.get(x, 0) - 1 for x in q))
    letters = name.replace("n", "")
    target = blocks(letters, max(q.count("a"), 1))
    return target[len(q):] if target.startswith(q) else ""


def render(symbols, accepting: bool) -> str:
    return "".join(sorted(symbols)) + ("$" if accepting else "")


def witness_labels(name: str, params: dict, s: str, alphabet) -> list[str]:
    out = []
    for t in range(1, len(s) + 1):
        p = s[:t]
        nxt = {c for c in alphabet if member(name, params, p + c + canonical_completion(name, p + c))}
        out.append(render(nxt, member(name, params, p)))
    return out


def decoded(task, batch):
    for ids, labels, length in batch.rows():
        yield "".join(task.vocab[i] for i in ids), [task.label_vocab[y] for y in labels], length


def support_lengths(task, lo, hi, n, seed=0):
    support = task.length_support(lo, hi)
    return support[np.random.default_rng(seed).integers(0, len(support), size=n)]


# ---------------------------------------------------------------- tests
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_sampled_strings_are_members_with_right_shape(name, params):
    task = get_task(name, **params)
    lengths = support_lengths(task, 1, 100, 200)
    batch = task.sample(np.random.default_rng(1), lengths)
    assert (batch.lengths == lengths).all() and (batch.seq_lens == lengths).all()
    assert batch.input_ids.shape == batch.labels.shape == (200, lengths.max())
    beyond = np.arange(lengths.max()) >= lengths[:, None]
    assert (batch.labels[beyond] == IGNORE).all() and (batch.labels[~beyond] >= 0).all()
    for s, _, length in decoded(task, batch):
        assert len(s) == length and member(name, params, s), s


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_labels_match_witness_continuations(name, params):
    task = get_task(name, **params)
    batch = task.sample(np.random.default_rng(2), support_lengths(task, 1, 40, 20))
    for s, labels, _ in decoded(task, batch):
        assert labels == witness_labels(name, params, s, task.vocab), s


# (name, params, B, P): a viable prefix q with |q| <= P + 1 completes within B - |q| symbols:
# brackets close in <= |q| (so B = 2P + 2); Boolean-n owes <= 1 + (n-1)|q| values; a^n b^n ..: a^|q| needs
# (letters - 1)|q| more. Boolean-5 is left to the witness test: even |q| = 2 would need B = 11 (7^11 strings).
BRUTE_FORCE = [("dyck1", {}, 12, 5), ("shuffle2", {}, 8, 3), ("shuffle4", {}, 6, 2), ("shuffle6", {}, 4, 1),
               ("bounded_dyck", {"k": 2, "m": 2}, 8, 3), ("boolean3", {}, 7, 1), ("anbn", {}, 12, 5),
               ("anbncn", {}, 9, 2), ("anbncndn", {}, 8, 1)]


@pytest.mark.parametrize("name,params,max_len,max_prefix", BRUTE_FORCE, ids=[c[0] for c in BRUTE_FORCE])
def test_labels_and_counts_match_brute_force(name, params, max_len, max_prefix):
    task = get_task(name, **params)
    members = {"".join(w) for n in range(1, max_len + 1) for w in itertools.product(task.vocab, repeat=n)
               if member(name, params, "".join(w))}
    viable = {m[:i] for m in members for i in range(len(m) + 1)}
    lengths_found = Counter(len(m) for m in members)
    assert [task.num_strings(n) for n in range(1, max_len + 1)] == [lengths_found[n] for n in range(1, max_len + 1)]
    batch = task.sample(np.random.default_rng(3), support_lengths(task, 1, max_len, 500))
    checked = set()
    for s, labels, _ in decoded(task, batch):
        for t in range(1, min(len(s), max_prefix) + 1):
            p = s[:t]
            assert labels[t - 1] == render({c for c in task.vocab if p + c in viable}, p in members), p
            checked.add(p)
    assert len(checked) >= min(10, len({p for p in viable if 1 <= len(p) <= max_prefix}))


# every string of one length, enumerated; the sampler must hit each with the same frequency
UNIFORM = [("dyck1", {}, 10), ("shuffle2", {}, 6), ("shuffle4", {}, 4), ("bounded_dyck", {"k": 2, "m": 2}, 6),
           ("boolean3", {}, 5)]


@pytest.mark.parametrize("name,params,length", UNIFORM, ids=[c[0] for c in UNIFORM])
def test_uniform_over_strings_of_one_length(name, params, length):
    task = get_task(name, **params)
    strings = {"".join(w) for w in itertools.product(task.vocab, repeat=length) if member(name, params, "".join(w))}
    assert task.num_strings(length) == len(strings)
    per_string = 300
    batch = task.sample(np.random.default_rng(4), np.full(per_string * len(strings), length))
    seen = Counter(s for s, _, _ in decoded(task, batch))
    assert set(seen) == strings
    chi2 = sum((seen[s] - per_string) ** 2 / per_string for s in strings)
    df = len(strings) - 1
    assert chi2 < df + 6 * (2 * df) ** 0.5, (chi2, df)  # far in the tail: p < 1e-6 for a uniform sampler


@pytest.mark.parametrize("params", [{}, {"k": 3, "m": 2}, {"k": 1, "m": 1}], ids=["k8-m10", "k3-m2", "k1-m1"])
def test_closing_target_by_stack_simulation(params):
    task = get_task("bounded_dyck", **params)
    assert task.extra_columns == ("closing_target",)
    batch = task.sample(np.random.default_rng(5), support_lengths(task, 1, 100, 200))
    targets = batch.extras["closing_target"]
    assert targets.shape == batch.labels.shape
    for row, (s, _, length) in enumerate(decoded(task, batch)):
        stack, expected = [], []
        for t in range(length):
            if s[t].islower():
                stack.append(s[t].upper())
            else:
                stack.pop()
            if t + 1 < length and s[t + 1].isupper():
                assert s[t + 1] == stack[-1]
                expected.append(task.vocab.index(stack[-1]))
            else:
                expected.append(IGNORE)
        assert targets[row, :length].tolist() == expected
        assert (targets[row, length:] == IGNORE).all()


def test_length_support_and_counts_of_one_string_languages():
    task = get_task("anbncn")
    assert task.length_support(1, 20).tolist() == [3, 6, 9, 12, 15, 18]
    assert task.length_support(51, 100).tolist() == list(range(51, 100, 3))
    assert [task.num_strings(n) for n in (3, 9, 10, 2)] == [1, 1, 0, 0]
    assert "one string per length" in task.describe()
    assert get_task("anbncndn").length_support(1, 12).tolist() == [4, 8, 12]
    assert get_task("dyck1").length_support(1, 7).tolist() == [2, 4, 6]
    assert get_task("boolean3").length_support(1, 3).tolist() == [1, 2, 3]
    batch = task.sample(np.random.default_rng(0), np.array([6, 3]))
    assert [s for s, _, _ in decoded(task, batch)] == ["aabbcc", "abc"]


LEVELS = {"dyck1": ("dcf", True), "shuffle2": ("cs", False), "shuffle6": ("cs", False), "boolean5": ("dcf", True),
          "anbn": ("dcf", True), "anbncn": ("cs", False), "anbncndn": ("cs", False), "bounded_dyck": ("regular", True)}


@pytest.mark.parametrize("name", NAMES)
def test_registration_description_and_properties(name):
    assert name in list_tasks(family="formal_languages")
    task = get_task(name)
    text = task.describe()
    assert text.startswith(f"{name}: ") and "example (length" in text and "sampling:" in text
    assert len([line for line in text.splitlines() if line.startswith("  1 ")]) == 1
    assert task.one_line().startswith(name)
    if name in LEVELS:
        level, context_free = LEVELS[name]
        assert task.level == level
        assert task.properties() == {"regular": level == "regular", "context_free": context_free,
                                     "star_free": level == "regular"}
    assert task.metadata()["params"] == task.params


@pytest.mark.parametrize("params,message", [
    ({"k": 0}, "k \\(number of bracket types\\) must be a whole number in \\[1, 26\\]"),
    ({"k": 27}, "k \\(number of bracket types\\)"),
    ({"k": True}, "k \\(number of bracket types\\)"),
    ({"m": 0}, "m \\(maximum depth\\) must be a whole number >= 1"),
    ({"m": 2.5}, "m \\(maximum depth\\)"),
    ({"depth": 3}, "has no parameter 'depth'"),
])
def test_bad_bounded_dyck_parameters(params, message):
    with pytest.raises(StateTrackError, match=message):
        get_task("bounded_dyck", **params)


def test_bad_lengths_and_fixed_parameters():
    with pytest.raises(StateTrackError, match="dyck1 has no strings of length 7"):
        get_task("dyck1").sample(np.random.default_rng(0), np.array([4, 7]))
    with pytest.raises(StateTrackError, match="has no parameter 'pairs'"):
        get_task("shuffle2", pairs=3)
    assert get_task("bounded_dyck", k=3, m=4).params == {"k": 3, "m": 4}


def test_deterministic_and_rows_in_caller_order():
    task = get_task("shuffle4")
    lengths = np.array([4, 30, 2, 30, 16])
    a, b = task.sample(np.random.default_rng(9), lengths), task.sample(np.random.default_rng(9), lengths)
    assert (a.input_ids == b.input_ids).all() and (a.labels == b.labels).all()
    assert [len(s) for s, _, _ in decoded(task, a)] == lengths.tolist()


def test_load_dataset_end_to_end(tmp_path):
    ds = load_dataset("dyck1", train_length=(1, 20), test_length=(21, 30), num_train=64, num_test=16,
                      cache_dir=str(tmp_path))
    assert set(ds) == {"train", "validation", "test"}
    train, test = ds["train"], ds["test"]
    assert sorted(train.column_names) == ["input_ids", "labels", "length"]
    assert all(n % 2 == 0 and 2 <= n <= 20 for n in train["length"])
    assert all(22 <= n <= 30 and len(x) == n for n, x in zip(test["length"], test["input_ids"]))
    ds = load_dataset("bounded_dyck", k=3, m=4, train_length=(1, 20), test_length=(21, 30), num_train=32,
                      num_test=8, cache_dir=str(tmp_path))
    row = ds["train"][0]
    assert sorted(row) == ["closing_target", "input_ids", "labels", "length"]
    assert len(row["closing_target"]) == len(row["input_ids"]) == row["length"]
