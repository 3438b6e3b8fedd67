"""Regular languages (Sarrof et al. 2024): every DFA checked against plainly written regexes and recognisers."""

import doctest
import itertools
import math
import re
from collections import Counter
from functools import cache

import numpy as np
import pytest

import hf_statetrack.tasks.formal_languages.automata as automata
import hf_statetrack.tasks.formal_languages.regular  # noqa: F401  (registration)
from hf_statetrack import StateTrackError, get_task, list_tasks
from hf_statetrack.tasks import IGNORE


def dyck_regex(n: int) -> str:
    """D_n = (a D_{n-1} b)*, D_0 = empty, written out as nested groups."""
    return "" if n == 0 else f"(?:a{dyck_regex(n - 1)}b)*"


def tomita3(s: str) -> bool:
    """No maximal odd block of 1s directly followed by a maximal odd block of 0s."""
    return re.search(r"(?<!1)(?:11)*1(?:00)*0(?!0)", s) is None


# name -> (alphabet, regex string or predicate, live states of a textbook DFA for the language)
REFERENCE = {
    "tomita1": ("01", "1*", 1),
    "tomita2": ("01", "(?:10)*", 2),
    "tomita3": ("01", tomita3, 4),
    "tomita4": ("01", lambda s: "000" not in s, 3),
    "tomita5": ("01", lambda s: s.count("0") % 2 == 0 and s.count("1") % 2 == 0, 4),
    "tomita6": ("01", lambda s: (s.count("0") - s.count("1")) % 3 == 0, 3),
    "tomita7": ("01", "0*1*0*1*", 4),
    "parity": ("01", lambda s: s.count("1") % 2 == 0, 2),
    "aa_star": ("a", "(?:aa)*", 2),
    "aaaa_star": ("a", "(?:aaaa)*", 4),
    "abab_star": ("ab", "(?:abab)*", 4),
    "abcde_star": ("abcde", "a+b+c+d+e+", 6),
    "abd_star": ("abcd", "[ab]*d[bc]*", 2),
    "zero_one_two": ("012", "[012]*02*", 2),
    **{f"d{n}": ("ab", dyck_regex(n), n + 1) for n in (2, 3, 4, 12)},
}
NAMES = list(REFERENCE)
STAR_FREE = {"tomita1", "tomita2", "tomita4", "tomita7", "d2", "d3", "d4", "d12", "abcde_star", "abd_star",
             "zero_one_two"}  # Sarrof et al.; the others are not star-free


def member(name: str, s: str) -> bool:
    rule = REFERENCE[name][1]
    return re.fullmatch(rule, s) is not None if isinstance(rule, str) else rule(s)


@cache
def brute_force_label(name: str, prefix: str) -> str:
    """Continuation set of `prefix` by search: c is allowed iff some prefix + c + u is in the language.

    Searching |u| <= live - 1 suffices: a shortest completion passes through distinct DFA states, all of
    them live (they reach acceptance), so it is shorter than the number of live states of any DFA."""
    alphabet, _, live = REFERENCE[name]
    completions = [""] + ["".join(u) for k in range(1, live) for u in itertools.product(alphabet, repeat=k)]
    allowed = [c for c in alphabet if any(member(name, prefix + c + u) for u in completions)]
    return "".join(allowed) + ("$" if member(name, prefix) else "")


def decoded_rows(task, batch):
    for inputs, labels, length in batch.rows():
        yield "".join(task.vocab[x] for x in inputs), [task.label_vocab[y] for y in labels], length


def test_registered_names():
    assert set(list_tasks("formal_languages")) >= set(NAMES) | {"dn"}
    for name in NAMES:
        task = get_task(name)
        assert task.name == name and task.level == "regular" and task.vocab == list(REFERENCE[name][0])


@pytest.mark.parametrize("name", NAMES)
def test_sampled_strings_are_members_with_brute_force_labels(name):
    task = get_task(name)
    support = task.length_support(1, 10)
    batch = task.sample(np.random.default_rng(1), support[np.random.default_rng(2).integers(0, len(support), 40)])
    for s, labels, length in decoded_rows(task, batch):
        assert len(s) == length and member(name, s), s
        assert labels == [brute_force_label(name, s[:t]) for t in range(1, length + 1)], s


@pytest.mark.parametrize("name", NAMES)
def test_long_strings_are_members(name):
    task = get_task(name)
    support = task.length_support(1, 120)
    batch = task.sample(np.random.default_rng(3), support[np.random.default_rng(4).integers(0, len(support), 200)])
    assert all(member(name, s) and len(s) == n for s, _, n in decoded_rows(task, batch))


def test_tomita3_is_the_definition_of_bhattamishra_and_sarrof():
    """An odd 1-block may not be *immediately* followed by an odd 0-block; later odd 0-blocks are fine
    (Weiss et al. 2018 reject "100110"; Bhattamishra et al.'s DFA, used by Sarrof et al., accepts it)."""
    dfa = get_task("tomita3").dfa

    def accepts(s):
        state = 0
        for c in s:
            state = dfa.table[state, "01".index(c)]
        return bool(dfa.accepting[state])

    assert [accepts(s) for s in ("100110", "1100", "100", "0111001101")] == [True] * 4
    assert [accepts(s) for s in ("10", "1110", "10001", "1001000", "11111000")] == [False] * 5


@pytest.mark.parametrize("n", [3, 12])
def test_dyck_depth_labels_by_depth_counter(n):
    """Long rows, where depth n is actually reached: a allowed below depth n, b above 0, $ at depth 0."""
    task = get_task("dn", n=n)
    batch = task.sample(np.random.default_rng(5), np.full(100, 200))
    top = 0
    for s, labels, _ in decoded_rows(task, batch):
        depth = np.cumsum([1 if c == "a" else -1 for c in s])
        assert depth.min() >= 0 and depth.max() <= n and depth[-1] == 0
        top = max(top, depth.max())
        assert labels == [("a" if d < n else "") + ("b" if d > 0 else "") + ("$" if d == 0 else "") for d in depth]
    assert top == n


@pytest.mark.parametrize("name", NAMES)
def test_num_strings_and_length_support_by_enumeration(name):
    task = get_task(name)
    alphabet = REFERENCE[name][0]
    longest = min(12, int(np.log(20000) / np.log(max(len(alphabet), 2))))
    counts = [sum(member(name, "".join(s)) for s in itertools.product(alphabet, repeat=n))
              for n in range(1, longest + 1)]
    assert [task.num_strings(n) for n in range(1, longest + 1)] == counts
    assert task.length_support(1, longest).tolist() == [n for n, c in enumerate(counts, 1) if c > 0]


@pytest.mark.parametrize("name,expected", [
    ("aa_star", range(2, 41, 2)), ("tomita2", range(2, 41, 2)), ("d3", range(2, 41, 2)),
    ("aaaa_star", range(4, 41, 4)), ("abab_star", range(4, 41, 4)), ("abcde_star", range(5, 41)),
    ("parity", range(1, 41)), ("tomita3", range(1, 41)),
])
def test_length_support(name, expected):
    assert get_task(name).length_support(1, 40).tolist() == list(expected)


def test_counts_at_length_500_are_exact():
    assert get_task("parity").num_strings(500) == 2**499  # half of all binary strings
    assert get_task("aa_star").num_strings(500) == 1 and get_task("aa_star").num_strings(499) == 0
    assert get_task("abcde_star").num_strings(500) == math.comb(499, 4)  # 5 non-empty blocks: 4 cut points
    batch = get_task("abcde_star").sample(np.random.default_rng(0), np.full(50, 500))
    assert batch.input_ids.shape == (50, 500)


@pytest.mark.parametrize("name,length", [("tomita3", 7), ("abd_star", 5), ("d3", 10), ("zero_one_two", 5)])
def test_sampling_is_uniform(name, length):
    """Every string's probability under the sampler is exactly 1/N; 40k draws pass a chi-square check."""
    task = get_task(name)
    alphabet = REFERENCE[name][0]
    strings = ["".join(s) for s in itertools.product(alphabet, repeat=length) if member(name, "".join(s))]
    assert task.num_strings(length) == len(strings)
    cdf = task.dfa.next_symbol_cdf(length)
    for s in strings:
        state, prob = 0, 1.0
        for t, symbol in enumerate(s):
            c = alphabet.index(symbol)
            row = cdf[length - t, state]
            prob *= row[c] - (row[c - 1] if c else 0.0)
            state = task.dfa.table[state, c]
        assert prob == pytest.approx(1 / len(strings), rel=1e-12)
    batch = task.sample(np.random.default_rng(6), np.full(40000, length))
    seen = Counter(s for s, _, _ in decoded_rows(task, batch))
    assert set(seen) == set(strings)
    expected = 40000 / len(strings)
    chi2, df = sum((seen[s] - expected) ** 2 / expected for s in strings), len(strings) - 1
    assert chi2 < df + 5 * np.sqrt(2 * df)


def transition_monoid(table: np.ndarray) -> set:
    """All maps state -> state induced by non-empty words (closure of the letters under composition)."""
    letters = [tuple(table[:, c]) for c in range(table.shape[1])]
    monoid, frontier = set(letters), list(letters)
    while frontier:
        f = frontier.pop()
        for g in letters:
            h = tuple(g[s] for s in f)  # read f's word, then letter g
            if h not in monoid:
                monoid.add(h)
                frontier.append(h)
    return monoid


def minimal_table(table: np.ndarray, accepting: np.ndarray) -> np.ndarray:
    """Moore's partition refinement: merge states no word can tell apart."""
    block = accepting.astype(int)
    while True:
        signature = [(block[s], *block[table[s]]) for s in range(len(block))]
        ids = {sig: i for i, sig in enumerate(sorted(set(signature)))}
        refined = np.array([ids[sig] for sig in signature])
        if len(ids) == len(set(block)):
            break
        block = refined
    first = {b: s for s, b in reversed(list(enumerate(refined)))}
    return np.array([[refined[table[first[b], c]] for c in range(table.shape[1])] for b in range(len(ids))])


@pytest.mark.parametrize("name", NAMES)
def test_star_free_matches_aperiodic_monoid(name):
    """Schützenberger: star-free iff the minimal DFA's transition monoid is aperiodic (m^k = m^(k+1))."""
    task = get_task(name)
    table = minimal_table(task.dfa.table, task.dfa.accepting)
    size = len(table)

    def power(m, k):
        out = tuple(range(size))
        for _ in range(k):
            out = tuple(m[s] for s in out)
        return out

    aperiodic = all(power(m, size) == power(m, size + 1) for m in transition_monoid(table))
    assert task.properties() == {"regular": True, "star_free": name in STAR_FREE} and aperiodic == (name in STAR_FREE)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "d12"])  # d12's "b" label needs depth 12: rare
def test_label_vocab_is_what_occurs(name):
    task = get_task(name)
    support = task.length_support(1, 40)
    batch = task.sample(np.random.default_rng(7), support[np.random.default_rng(8).integers(0, len(support), 3000)])
    assert {label for _, labels, _ in decoded_rows(task, batch) for label in labels} == set(task.label_vocab)


def test_padding_determinism_and_bad_lengths():
    task = get_task("tomita4")
    a = task.sample(np.random.default_rng(9), np.array([3, 8, 5]))
    b = task.sample(np.random.default_rng(9), np.array([3, 8, 5]))
    assert (a.input_ids == b.input_ids).all() and (a.labels == b.labels).all()
    assert (a.labels[0, 3:] == IGNORE).all() and (a.labels[2, 5:] == IGNORE).all()
    with pytest.raises(StateTrackError, match="no strings of length 3"):
        get_task("aa_star").sample(np.random.default_rng(0), np.array([2, 3]))


@pytest.mark.parametrize("params", [{"n": 0}, {"n": -2}, {"n": True}, {"n": 2.5}, {"n": "3"}])
def test_dn_rejects_bad_depth(params):
    with pytest.raises(StateTrackError, match="must be an int >= 1"):
        get_task("dn", **params)


def test_dn_parameters():
    assert get_task("dn", n=5).params == {"n": 5} and get_task("dn").params == {"n": 2}
    assert get_task("d12").params == {} and get_task("d12").name == "d12"
    assert get_task("dn", n=4).num_strings(30) == get_task("d4").num_strings(30)
    with pytest.raises(StateTrackError, match="has no parameter 'n'"):
        get_task("d2", n=3)
    with pytest.raises(StateTrackError, match="has no parameter 'depth'"):
        get_task("tomita3", depth=3)


@pytest.mark.parametrize("name", NAMES + ["dn"])
def test_describe_has_a_worked_example(name):
    task = get_task(name)
    text = task.describe()
    first = text.splitlines()[0]
    assert first.startswith(f"{name}: ") and "regular" in first and "example (length" in text
    assert ("not star-free" in first) == (name not in STAR_FREE and name != "dn")
    assert task.one_line().startswith(name)
    assert ("at most one string per length" in text) == (name in {"tomita1", "tomita2", "aa_star", "aaaa_star",
                                                                     "abab_star"})


def test_automata_doctests():
    result = doctest.testmod(automata)
    assert result.attempted > 0 and result.failed == 0


def test_load_dataset_end_to_end(tmp_path):
    from hf_statetrack import load_dataset

    for name, params in (("tomita5", {}), ("dn", {"n": 3})):
        ds = load_dataset(name, train_length=(1, 20), test_length=(21, 30), num_train=300, num_test=60,
                          cache_dir=str(tmp_path), **params)
        assert set(ds) == {"train", "validation", "test"} and ds["train"].num_rows == 300
        assert set(ds["train"].column_names) == {"input_ids", "labels", "length"}
        task, reference = get_task(name, **params), "d3" if name == "dn" else name
        for split, (lo, hi) in (("train", (1, 20)), ("test", (21, 30))):
            for row in ds[split]:
                assert lo <= row["length"] <= hi and len(row["input_ids"]) == len(row["labels"]) == row["length"]
                assert member(reference, "".join(task.vocab[x] for x in row["input_ids"]))
