"""Context-sensitive transductions of Delétang et al. 2023, sampled as their public code does.

Each row is the input followed by output positions reading ``<blank>`` (`transduction_batch`);
only the output positions are scored. ``length`` is the input length n. duplicate_string, n = 3::

    input_ids : 1    0    1    _    _    _    _    _    _        (_ = <blank>)
    labels    : -100 -100 -100 1    0    1    1    0    1

Where we depart from the public code (each also said in the class docstring): odds_first puts the
1-based odd positions first, as the paper's definition and examples do (the code does the reverse;
``order="deepmind_code"`` follows the code);
lengths whose paper rows are constant placeholders (missing_duplicate_string n = 1, binary
arithmetic n < 3) do not exist here, so those protocols train on 2..40 / 3..40; the zero padding
after a binary result's <end> is labelled -100 (the paper masks it in accuracy but not in the loss).

Binary numbers of up to ~500 bits are handled as int64 limb arrays of shape (K, N) (limb-major,
little-endian limbs of ``width`` bits), so addition, multiplication and the integer square root
run vectorised over rows with loops only over limbs or bit pairs.
"""

from __future__ import annotations

import numpy as np

from ...core.errors import StateTrackError
from ..base import IGNORE, Batch
from ..registry import register_task
from .base import BLANK
from .transduction import ChomskyTask, transduction_batch, uniform_strings

END = "<end>"  # closes a binary result; output positions after it are not scored
LIMB_BITS = 60  # addition and sqrt never multiply limbs: 60 bits leave headroom for x << 2 in int64
PRODUCT_LIMB_BITS = 24  # a product of two limbs is < 2^48; sums of up to 2^15 of them still fit in int64


# --- binary numbers as limb arrays ------------------------------------------------------------------

def to_limbs(bits: np.ndarray, width: int, num_limbs: int) -> np.ndarray:
    """Little-endian bits (N, L) -> limbs (num_limbs, N); e.g. bits 1,0,1 -> the number 5."""
    n, length = bits.shape
    padded = np.zeros((n, num_limbs * width), dtype=np.int64)
    padded[:, :length] = bits
    return (padded.reshape(n, num_limbs, width) @ (np.int64(1) << np.arange(width))).T.copy()  # (K, N)


def to_bits(limbs: np.ndarray, width: int) -> np.ndarray:
    """Limbs (K, N) -> little-endian bits (N, K * width)."""
    bits = (limbs.T[:, :, None] >> np.arange(width)) & 1  # (N, K, width)
    return bits.reshape(limbs.shape[1], -1).astype(np.int8)


def propagate_carries(limbs: np.ndarray, width: int) -> np.ndarray:
    """Bring every limb into [0, 2^width) in place; return the carry out of the top limb (-1 = negative)."""
    carry = np.zeros(limbs.shape[1], dtype=np.int64)
    for k in range(len(limbs)):
        limbs[k] += carry
        carry = limbs[k] >> width  # arithmetic shift: a negative limb borrows -1 from the next one
        limbs[k] &= (1 << width) - 1
    return carry


def shift_left(limbs: np.ndarray, shift: int, width: int) -> np.ndarray:
    """x * 2^shift for shift < width; bits pushed out of the top limb are dropped (callers leave room)."""
    out = (limbs << shift) & ((1 << width) - 1)
    out[1:] |= limbs[:-1] >> (width - shift)
    return out


def add_numbers(a_bits: np.ndarray, b_bits: np.ndarray) -> np.ndarray:
    """Little-endian bit rows (N, L) -> bits of a + b."""
    num_limbs = a_bits.shape[1] // LIMB_BITS + 1
    total = to_limbs(a_bits, LIMB_BITS, num_limbs) + to_limbs(b_bits, LIMB_BITS, num_limbs)
    propagate_carries(total, LIMB_BITS)
    return to_bits(total, LIMB_BITS)


def multiply_numbers(a_bits: np.ndarray, b_bits: np.ndarray) -> np.ndarray:
    """Little-endian bit rows (N, L) -> bits of a * b (schoolbook over limbs, then one carry pass)."""
    num_limbs = -(-a_bits.shape[1] // PRODUCT_LIMB_BITS)
    a = to_limbs(a_bits, PRODUCT_LIMB_BITS, num_limbs)
    b = to_limbs(b_bits, PRODUCT_LIMB_BITS, num_limbs)
    product = np.zeros((2 * num_limbs, a.shape[1]), dtype=np.int64)
    for i in range(num_limbs):
        product[i:i + num_limbs] += a[i] * b
    propagate_carries(product, PRODUCT_LIMB_BITS)
    return to_bits(product, PRODUCT_LIMB_BITS)


def integer_sqrt(bits: np.ndarray) -> np.ndarray:
    """Little-endian bit rows (N, L) -> bits of floor(sqrt(x)), one result bit per pair of input bits.

    Digit-by-digit: with root r and remainder rem = prefix - r^2, bring down the next pair p;
    the next root bit is 1 iff 4*rem + p >= 4*r + 1, and then that amount is subtracted."""
    width, num_pairs = LIMB_BITS, -(-bits.shape[1] // 2)
    num_limbs = (num_pairs + 4) // width + 1  # rem <= 2r < 2^(pairs + 1), and 4*rem + p needs 2 bits more
    rem = np.zeros((num_limbs, len(bits)), dtype=np.int64)
    root = np.zeros_like(rem)
    padded = np.zeros((len(bits), 2 * num_pairs), dtype=np.int64)
    padded[:, :bits.shape[1]] = bits
    for q in range(num_pairs - 1, -1, -1):
        brought_down = shift_left(rem, 2, width)
        brought_down[0] |= padded[:, 2 * q] + 2 * padded[:, 2 * q + 1]
        trial = shift_left(root, 2, width)
        trial[0] |= 1
        diff = brought_down - trial
        fits = propagate_carries(diff, width) == 0
        rem = np.where(fits, diff, brought_down)
        root = shift_left(root, 1, width)
        root[0] |= fits
    return to_bits(root, width)


def uniform_nonzero_bits(rng: np.random.Generator, widths: np.ndarray) -> np.ndarray:
    """Row i: a number uniform in [1, 2^widths[i] - 1] as widths[i] bits (N, max width), zeros beyond.

    All-zero rows are redrawn (rejection), which makes the nonzero patterns exactly uniform."""
    inside = np.arange(widths.max()) < widths[:, None]
    bits = rng.integers(0, 2, size=inside.shape, dtype=np.int8) * inside
    redraw = ~bits.any(axis=1)
    while redraw.any():
        bits[redraw] = rng.integers(0, 2, size=(redraw.sum(), inside.shape[1]), dtype=np.int8) * inside[redraw]
        redraw[redraw] = ~bits[redraw].any(axis=1)
    return bits


# --- rows ----------------------------------------------------------------------------------------------

def gather(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """values[i, index[i, j]] with indices clipped into range (callers mask what lies outside)."""
    return np.take_along_axis(values, np.clip(index, 0, values.shape[1] - 1), axis=1)


def reverse_rows(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Reverse the first lengths[i] entries of each row (big- <-> little-endian); later entries are junk."""
    return gather(values, lengths[:, None] - 1 - np.arange(values.shape[1]))


def binary_result(bits: np.ndarray, num_outputs: np.ndarray, end: int) -> np.ndarray:
    """Little-endian result bits (N, B) -> labels: the bits without trailing zeros, END, then IGNORE."""
    width = max(bits.shape[1], int(num_outputs.max()))
    padded = np.zeros((len(bits), width), dtype=np.int16)
    padded[:, :bits.shape[1]] = bits
    significant = bits.shape[1] - np.argmax(bits[:, ::-1], axis=1)  # one past the top 1 bit (results are > 0)
    j = np.arange(width)
    return np.where(j < significant[:, None], padded, np.where(j == significant[:, None], end, IGNORE))




# --- tasks --------------------------------------------------------------------------------------------

class ContextSensitiveTask(ChomskyTask):
    """A cs transduction: subclasses set the `ChomskyTask` texts and implement `transduce`."""

    level = "cs"

    def __init__(self):
        """No parameters: the paper fixes the alphabet (`SymbolTask` overrides this)."""

    def transduce(self, rng: np.random.Generator, lengths: np.ndarray):
        """-> inputs (N, L) token ids, outputs (N, M) class ids or IGNORE, number of output positions (N,)."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, lengths: np.ndarray) -> Batch:
        lengths = np.asarray(lengths, dtype=np.int64)
        if len(lengths) == 0:
            empty = np.zeros((0, 0), dtype=np.int16)
            return Batch(empty, empty, lengths, lengths)
        if lengths.min() < self.min_length:
            raise StateTrackError(f"task {self.name} needs lengths >= {self.min_length}, got {lengths.min()}")
        inputs, outputs, out_lens = self.transduce(rng, lengths)
        return transduction_batch(inputs, lengths, outputs, out_lens, self.blank_id)


class SymbolTask(ContextSensitiveTask):
    """Rearrange a string over k symbols ``0..k-1``; the paper uses k = 2 (bucket_sort: k = 5)."""

    default_vocab_size = 2
    sampling = "x_1..x_n i.i.d. uniform over the k symbols, as in the paper"

    def __init__(self, vocab_size: int | None = None):
        k = self.default_vocab_size if vocab_size is None else vocab_size
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= 1000:
            raise StateTrackError(f"vocab_size of {self.name} must be an int in [2, 1000], got {k!r}")
        self.vocab_size = int(k)
        self.label_vocab = [str(i) for i in range(self.vocab_size)]
        self.vocab = [*self.label_vocab, BLANK]

    @property
    def params(self) -> dict:
        return {"vocab_size": self.vocab_size}

    def num_strings(self, length: int) -> int:
        return self.vocab_size ** length

    def transduce(self, rng, lengths):
        symbols = uniform_strings(rng, lengths, self.vocab_size)
        outputs, out_lens = self.rearrange(symbols, lengths)
        return symbols, outputs, out_lens

    def rearrange(self, symbols: np.ndarray, lengths: np.ndarray):
        raise NotImplementedError


class DuplicateString(SymbolTask):
    """w -> w w:  101 -> 101101."""

    name = "duplicate_string"
    summary = "output the input twice: w -> w w"
    label_text = "x_1..x_n x_1..x_n"
    output_positions = "2n"

    def rearrange(self, symbols, lengths):
        j = np.arange(2 * symbols.shape[1])
        return gather(symbols, j - lengths[:, None] * (j >= lengths[:, None])), 2 * lengths


class OddsFirst(SymbolTask):
    """x_1 x_3 x_5 .. then x_2 x_4 ..:  00110101 -> 0100 0111 (1-based positions).

    ``order="paper"`` (the default) is the paper's stated definition and examples. Its public code
    outputs ``x[1::2] + x[::2]`` (0-based), i.e. the 1-based even positions first (00110101 -> 0111 0100),
    and the published numbers were measured that way: ``order="deepmind_code"`` reproduces it.
    Sampling and the number of output positions are the same in both orders."""

    name = "odds_first"
    summary = "tokens at odd positions, then those at even positions"
    output_positions = "n"
    optional_params = ("order",)  # in `params` only when not the default
    ORDERS = {"paper": "x_1 x_3 x_5 .. x_2 x_4 .. (1-based positions; the paper's text)",
              "deepmind_code": "x_2 x_4 .. x_1 x_3 x_5 .. (1-based positions; DeepMind's code, x[1::2] + x[::2])"}

    def __init__(self, vocab_size: int | None = None, order: str = "paper"):
        super().__init__(vocab_size)
        if order not in self.ORDERS:
            raise StateTrackError(f"order of odds_first must be one of {', '.join(map(repr, self.ORDERS))}, "
                                  f"got {order!r}")
        self.order = order

    @property
    def label_text(self) -> str:
        return f"order={self.order}: {self.ORDERS[self.order]}"

    @property
    def params(self) -> dict:
        """The default order stays out, so default cache keys are unchanged."""
        return {**super().params, **({"order": self.order} if self.order != "paper" else {})}

    def rearrange(self, symbols, lengths):
        j = np.arange(symbols.shape[1])
        num_odd = (lengths[:, None] + 1) // 2  # 1-based odd positions x_1, x_3, .. (0-based even indices)
        if self.order == "paper":
            index = np.where(j < num_odd, 2 * j, 2 * (j - num_odd) + 1)
        else:
            num_even = lengths[:, None] // 2
            index = np.where(j < num_even, 2 * j + 1, 2 * (j - num_even))
        return gather(symbols, index), lengths


class BucketSort(SymbolTask):
    """Sort the symbols:  10204112 -> 00111224 (k = 5)."""

    name = "bucket_sort"
    default_vocab_size = 5
    summary = "sort the tokens in increasing order"
    label_text = "the input's symbols in increasing order"
    output_positions = "n"

    def rearrange(self, symbols, lengths):
        outside = np.arange(symbols.shape[1]) >= lengths[:, None]
        return np.sort(np.where(outside, self.vocab_size, symbols), axis=1), lengths  # padding sorts last


class MissingDuplicateString(ContextSensitiveTask):
    """w w with one token replaced by <missing>; output that token:  0110<missing>1 -> 1 (w = 011).

    The paper's length-1 rows (a constant placeholder) are left out, so lengths start at 2."""

    name = "missing_duplicate_string"
    min_length = 2
    protocol = {"train_length": (2, 40), "test_length": (41, 500)}
    vocab = ["0", "1", "<missing>", "<empty>", BLANK]
    label_vocab = ["0", "1"]
    summary = "w w with one token masked by <missing>: output the masked token"
    sampling = ("w uniform in {0,1}^(n//2), the masked position uniform over the 2(n//2) positions of w w, "
                "<empty> appended when n is odd, as in the paper")
    label_text = "the bit under <missing>"
    output_positions = "1"

    def num_strings(self, length: int) -> int:
        return 2 ** (length // 2) * 2 * (length // 2)

    def transduce(self, rng, lengths):
        half = lengths // 2
        word = uniform_strings(rng, half, 2)
        missing = rng.integers(0, 2 * half)
        t = np.arange(lengths.max())
        tokens = gather(word, t % half[:, None])
        tokens = np.where(t == missing[:, None], self.vocab.index("<missing>"), tokens)
        tokens = np.where(t >= 2 * half[:, None], self.vocab.index("<empty>"), tokens)  # odd n only
        answer = word[np.arange(len(lengths)), missing % half]
        return tokens, answer[:, None], np.ones_like(lengths)


class BinaryArithmetic(ContextSensitiveTask):
    """``a OP b`` with a, b little-endian binary -> the result, little-endian, then <end>.

    The paper pads the result with zeros up to a fixed number of output positions and masks them in
    its accuracy; here those positions are kept and labelled -100 (not scored)."""

    min_length = 3  # a, the operator and b; the paper's lengths 1-2 hold operator-free placeholder rows
    protocol = {"train_length": (3, 40), "test_length": (41, 500)}
    label_vocab = ["0", "1", END]
    sampling = ("width of a uniform in 1..n-2, b gets the other n-1-width bits; each operand uniform in "
                "[1, 2^width - 1] written with exactly width bits (so it may end in 0s), as in the paper")
    operator: str
    extra_outputs: int  # output positions beyond n

    def __init__(self):
        self.vocab = ["0", "1", self.operator, BLANK]

    def combine(self, a_bits: np.ndarray, b_bits: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def num_strings(self, length: int) -> int:
        return sum((2 ** w - 1) * (2 ** (length - 1 - w) - 1) for w in range(1, length - 1))

    def transduce(self, rng, lengths):
        first = rng.integers(1, lengths - 1)
        a = uniform_nonzero_bits(rng, first)
        b = uniform_nonzero_bits(rng, lengths - 1 - first)
        t = np.arange(lengths.max())
        tokens = np.where(t < first[:, None], gather(a, t[None]),
                          np.where(t == first[:, None], 2, gather(b, t - first[:, None] - 1)))
        a_bits, b_bits = (np.pad(x, ((0, 0), (0, len(t) - x.shape[1]))) for x in (a, b))
        out_lens = lengths + self.extra_outputs
        return tokens, binary_result(self.combine(a_bits, b_bits), out_lens, self.label_vocab.index(END)), out_lens


class BinaryAddition(BinaryArithmetic):
    """100+01101 -> 11101<end> (1 + 22 = 23), output positions n + 1."""

    name = "binary_addition"
    operator = "+"
    extra_outputs = 1
    summary = "a+b in little-endian binary -> the sum in little-endian binary"
    label_text = "the sum's bits (least significant first, no trailing 0s), <end>, then -100"
    output_positions = "n+1"
    combine = staticmethod(add_numbers)


class BinaryMultiplication(BinaryArithmetic):
    """100*01101 -> 01101<end> (1 * 22 = 22), output positions n."""

    name = "binary_multiplication"
    operator = "*"
    extra_outputs = 0
    summary = "a*b in little-endian binary -> the product in little-endian binary"
    label_text = "the product's bits (least significant first, no trailing 0s), <end>, then -100"
    output_positions = "n"
    combine = staticmethod(multiply_numbers)


class ComputeSqrt(ContextSensitiveTask):
    """Big-endian x -> floor(sqrt(x)) big-endian with ceil(n/2) bits:  100101 (37) -> 110 (6)."""

    name = "compute_sqrt"
    vocab = ["0", "1", BLANK]
    label_vocab = ["0", "1"]
    summary = "x in big-endian binary -> floor(sqrt(x)) in big-endian binary"
    sampling = "x uniform in [1, 2^n - 1] written with exactly n bits (leading 0s kept), as in the paper"
    label_text = "floor(sqrt(x)), most significant bit first, padded with leading 0s to ceil(n/2) bits"
    output_positions = "ceil(n/2)"

    def num_strings(self, length: int) -> int:
        return 2 ** length - 1

    def transduce(self, rng, lengths):
        little_endian = uniform_nonzero_bits(rng, lengths)
        root_bits = (lengths + 1) // 2
        return (reverse_rows(little_endian, lengths), reverse_rows(integer_sqrt(little_endian), root_bits),
                root_bits)


for _task in (DuplicateString, MissingDuplicateString, OddsFirst, BinaryAddition, BinaryMultiplication,
              ComputeSqrt, BucketSort):
    register_task(_task.name, _task)
