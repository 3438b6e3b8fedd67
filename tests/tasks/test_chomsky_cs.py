"""Context-sensitive Chomsky tasks against plain Python on the decoded input (Python ints for arithmetic)."""

import itertools
import math

import numpy as np
import pytest

import hf_statetrack.tasks.chomsky.cs as cs
from hf_statetrack import StateTrackError, get_task, load_dataset
from hf_statetrack.experiments.config import check_task_section
from hf_statetrack.tasks import IGNORE
from hf_statetrack.tasks.chomsky.base import BLANK

NAMES = ["duplicate_string", "missing_duplicate_string", "odds_first", "binary_addition",
         "binary_multiplication", "compute_sqrt", "bucket_sort"]


# --- references: the answer (one entry per output position, None = not scored) from the decoded input -----

def little_endian(number: int, num_bits: int | None = None) -> list[str]:
    return list(format(number, "b" if num_bits is None else f"0{num_bits}b"))[::-1]


def arithmetic_answer(w: list[str], op: str, num_outputs: int, combine) -> list:
    split = w.index(op)
    a, b = (int("".join(reversed(part)), 2) for part in (w[:split], w[split + 1:]))
    answer = little_endian(combine(a, b)) + ["<end>"]
    return answer + [None] * (num_outputs - len(answer))


def missing_answer(w: list[str]) -> list:
    half = len(w) // 2
    i = w.index("<missing>")
    twin = w[i + half] if i < half else w[i - half]
    restored = w[:2 * half]
    restored[i] = twin
    assert restored[:half] == restored[half:] and w[2 * half:] == ["<empty>"] * (len(w) % 2)
    return [twin]


REFERENCES = {
    "duplicate_string": lambda w: w + w,
    "missing_duplicate_string": missing_answer,
    "odds_first": lambda w: [w[i - 1] for i in range(1, len(w) + 1, 2)] + [w[i - 1] for i in range(2, len(w) + 1, 2)],
    "binary_addition": lambda w: arithmetic_answer(w, "+", len(w) + 1, lambda a, b: a + b),
    "binary_multiplication": lambda w: arithmetic_answer(w, "*", len(w), lambda a, b: a * b),
    "compute_sqrt": lambda w: list(format(math.isqrt(int("".join(w), 2)), f"0{(len(w) + 1) // 2}b")),
    "bucket_sort": lambda w: sorted(w, key=int),
}


def check_rows(task, batch):
    for inputs, labels, length in batch.rows():
        w = [task.vocab[x] for x in inputs[:length]]
        assert BLANK not in w and all(x == BLANK for x in (task.vocab[i] for i in inputs[length:]))
        assert labels[:length] == [IGNORE] * length
        got = [None if y == IGNORE else task.label_vocab[y] for y in labels[length:]]
        assert got == REFERENCES[task.name](w), (task.name, w)


@pytest.mark.parametrize("name", NAMES)
def test_rows_match_python_reference(name):
    task = get_task(name)
    lengths = np.random.default_rng(1).integers(task.min_length, 41, size=400)
    check_rows(task, task.sample(np.random.default_rng(2), lengths))


@pytest.mark.parametrize("name", NAMES)
def test_longest_test_length(name):
    task = get_task(name)
    batch = task.sample(np.random.default_rng(3), np.array([500] * 10 + [499] * 10 + [41]))
    check_rows(task, batch)
    assert batch.input_ids.min() >= 0 and batch.input_ids.max() < len(task.vocab)


@pytest.mark.parametrize("name", NAMES)
def test_shortest_length(name):
    task = get_task(name)
    lo = task.min_length
    assert task.length_support(1, 40)[0] == lo and task.protocol["train_length"] == (lo, 40)
    check_rows(task, task.sample(np.random.default_rng(4), np.full(50, lo)))
    if lo > 1:
        with pytest.raises(StateTrackError, match=f"needs lengths >= {lo}"):
            task.sample(np.random.default_rng(0), np.array([lo - 1, 5]))


def test_output_positions_and_seq_lens():
    n = np.array([3, 7, 10])
    expected = {"duplicate_string": 3 * n, "missing_duplicate_string": n + 1, "odds_first": 2 * n,
                "binary_addition": 2 * n + 1, "binary_multiplication": 2 * n, "compute_sqrt": n + (n + 1) // 2,
                "bucket_sort": 2 * n}
    for name, seq_lens in expected.items():
        batch = get_task(name).sample(np.random.default_rng(0), n)
        assert batch.seq_lens.tolist() == seq_lens.tolist() and batch.lengths.tolist() == n.tolist()
        assert batch.input_ids.shape == batch.labels.shape == (3, seq_lens.max())


def test_paper_examples():
    """Docstring examples of Delétang et al. run through the references the generator is checked against."""
    assert REFERENCES["odds_first"](list("00110101")) == list("01000111")
    assert REFERENCES["bucket_sort"](list("10204112")) == list("00111224")
    assert REFERENCES["compute_sqrt"](list("100101")) == list("110")
    assert REFERENCES["binary_addition"](list("001+01101"))[:6] == list("01011") + ["<end>"]  # 4 + 22 = 26
    assert REFERENCES["binary_multiplication"](list("1001*000001"))[:10] == list("000001001") + ["<end>"]


def test_limb_arithmetic_matches_python_ints():
    rng = np.random.default_rng(5)
    widths = rng.integers(1, 700, size=300)
    a_bits, b_bits = (cs.uniform_nonzero_bits(rng, widths) for _ in range(2))
    as_int = [int("".join(map(str, row[::-1])), 2) for row in a_bits]
    bs_int = [int("".join(map(str, row[::-1])), 2) for row in b_bits]
    for fast, slow in [(cs.add_numbers(a_bits, b_bits), [a + b for a, b in zip(as_int, bs_int)]),
                       (cs.multiply_numbers(a_bits, b_bits), [a * b for a, b in zip(as_int, bs_int)]),
                       (cs.integer_sqrt(a_bits), [math.isqrt(a) for a in as_int])]:
        assert [int("".join(map(str, row[::-1])), 2) for row in fast] == slow


# --- sampling distributions: the paper's sampling process enumerated in plain Python ---------------------

def paper_distribution(name: str, n: int) -> dict[tuple, float]:
    if name in ("duplicate_string", "odds_first", "bucket_sort"):
        k = 5 if name == "bucket_sort" else 2
        return {w: k ** -n for w in itertools.product([str(i) for i in range(k)], repeat=n)}
    if name == "missing_duplicate_string":
        half, dist = n // 2, {}
        for w in itertools.product("01", repeat=half):
            for i in range(2 * half):
                row = list(w + w) + ["<empty>"] * (n % 2)
                row[i] = "<missing>"
                dist[tuple(row)] = 1 / (2 ** half * 2 * half)
        return dist
    if name == "compute_sqrt":
        return {tuple(format(x, f"0{n}b")): 1 / (2 ** n - 1) for x in range(1, 2 ** n)}
    op, dist = "+" if name == "binary_addition" else "*", {}
    for wa in range(1, n - 1):
        wb = n - 1 - wa
        for a, b in itertools.product(range(1, 2 ** wa), range(1, 2 ** wb)):
            dist[tuple(little_endian(a, wa) + [op] + little_endian(b, wb))] = 1 / ((n - 2) * (2**wa - 1) * (2**wb - 1))
    return dist


@pytest.mark.parametrize("name,n", [("duplicate_string", 3), ("odds_first", 4), ("bucket_sort", 2),
                                    ("missing_duplicate_string", 4), ("missing_duplicate_string", 5),
                                    ("compute_sqrt", 3), ("binary_addition", 5), ("binary_multiplication", 6)])
def test_input_distribution_is_the_papers(name, n):
    task = get_task(name)
    expected = paper_distribution(name, n)
    assert task.num_strings(n) == len(expected)
    num = 20_000
    batch = task.sample(np.random.default_rng(6), np.full(num, n))
    counts = {}
    for inputs, _, _ in batch.rows():
        key = tuple(task.vocab[x] for x in inputs[:n])
        counts[key] = counts.get(key, 0) + 1
    assert set(counts) <= set(expected)
    chi2 = sum((counts.get(w, 0) - num * p) ** 2 / (num * p) for w, p in expected.items())
    dof = len(expected) - 1
    assert chi2 < dof + 6 * math.sqrt(2 * dof), chi2  # fixed seed; the bound is ~6 standard deviations


# --- interface ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_describe_and_metadata(name):
    task = get_task(name)
    text = task.describe()
    assert text.splitlines()[0].startswith(f"{name}: ") and "(cs;" in text.splitlines()[0]
    assert "examples (length" in text and text.count("  labels     ") == 3
    assert task.one_line().startswith(name) and task.level == "cs"
    meta = task.metadata()
    assert meta["level"] == "cs" and meta["family"] == "chomsky_hierarchy" and "output_positions" in meta


def test_same_rng_same_rows_and_empty_batch():
    task = get_task("binary_multiplication")
    a, b = (task.sample(np.random.default_rng(9), np.array([5, 40, 3])) for _ in range(2))
    assert (a.input_ids == b.input_ids).all() and (a.labels == b.labels).all()
    assert len(task.sample(np.random.default_rng(0), np.array([], dtype=int))) == 0


def test_vocab_size_parameter():
    task = get_task("bucket_sort", vocab_size=7)
    assert task.params == {"vocab_size": 7} and get_task("duplicate_string").params == {"vocab_size": 2}
    assert task.vocab == [str(i) for i in range(7)] + [BLANK]
    check_rows(task, task.sample(np.random.default_rng(0), np.full(100, 30)))
    assert get_task("compute_sqrt").params == {}


@pytest.mark.parametrize("name,params,message", [
    ("bucket_sort", {"vocab_size": 1}, "must be an int in"),
    ("odds_first", {"vocab_size": "3"}, "must be an int in"),
    ("duplicate_string", {"vocab_size": True}, "must be an int in"),
    ("duplicate_string", {"vocab_size": 5000}, "must be an int in"),
    ("compute_sqrt", {"vocab_size": 3}, "has no parameter 'vocab_size'"),
    ("binary_addition", {"operator": "-"}, "has no parameter 'operator'"),
])
def test_bad_parameters(name, params, message):
    with pytest.raises(StateTrackError, match=message):
        get_task(name, **params)


def test_protocol_length_below_min_is_rejected(tmp_path):
    with pytest.raises(StateTrackError, match="at least 3"):
        load_dataset("binary_addition", train_length=(1, 40), num_train=10, num_test=10, cache_dir=str(tmp_path))


def test_load_dataset_end_to_end(tmp_path):
    for name, per_length in [("duplicate_string", 3), ("binary_addition", 2)]:
        ds = load_dataset(name, train_length=(3, 12), test_length=(41, 60), num_train=200, num_test=50,
                          cache_dir=str(tmp_path))
        assert set(ds["train"].column_names) == {"input_ids", "labels", "length"}
        for split, (lo, hi) in [("train", (3, 12)), ("test", (41, 60))]:
            rows = ds[split]
            assert all(lo <= n <= hi for n in rows["length"])
            row = rows[0]
            assert len(row["input_ids"]) == len(row["labels"]) >= per_length * row["length"]
            assert row["labels"][:row["length"]] == [IGNORE] * row["length"]


def test_odds_first_in_deepmind_codes_order():
    """order="deepmind_code" is the public code's x[1::2] + x[::2] (0-based); the default stays the paper's."""
    task = get_task("odds_first", order="deepmind_code")
    batch = task.sample(np.random.default_rng(3), np.arange(1, 41))
    for inputs, labels, length in batch.rows():
        x = [task.vocab[i] for i in inputs[:length]]
        assert [task.label_vocab[y] for y in labels[length:]] == x[1::2] + x[::2]
    assert task.params == {"vocab_size": 2, "order": "deepmind_code"} and "order=deepmind_code" in task.describe()
    assert get_task("odds_first").params == {"vocab_size": 2}  # default cache keys unchanged
    assert "order=paper" in get_task("odds_first").describe()
    assert get_task("odds_first", order="paper").params == get_task("odds_first").params
    with pytest.raises(StateTrackError, match="order of odds_first must be one of 'paper', 'deepmind_code'"):
        get_task("odds_first", order="code")
    check_task_section({"name": "odds_first", "order": "deepmind_code", "num_train": 8, "num_test": 8})  # YAML
