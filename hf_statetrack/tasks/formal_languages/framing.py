"""Label framings: our continuation sets, or Sarrof et al.'s coarser targets projected from them.

``label_framing="continuation"`` (the default) labels position t with the set of symbols that may follow
x_1..x_t, plus ``$`` when x_1..x_t is in the language (`base`). ``label_framing="sarrof"`` labels it with
the target Sarrof, Veitsman & Hahn 2024 train on, written exactly as their published files write one
position (``generated_ds/<Language>/*_tgt*.txt``, one chunk of characters per input symbol). Each target is
a function of our continuation set, so the framing is a projection and the continuation sets stay the
one source of truth::

    kind        languages                                     target at t              example: ours -> theirs
    membership  Parity, Tomita 5/6, (aa)*, (aaaa)*, (abab)*,  1 if x_1..x_t is in the  "01$" -> "1", "01" -> "0"
                Boolean-3/5                                   language, else 0
    next        Tomita 1-4, 7; {a,b}*d{b,c}*; D_n             one bit per symbol of    Tomita: "1$" -> "01";
                                                              the alphabet, no end bit {a,b}*d{b,c}*: "abd" -> "1101"
    close       Dyck-1, Shuffle-k                             one bit per bracket type Shuffle-2: "([]" -> "01"
                                                              ("its close may follow")
    letter      a^n b^n, a^n b^n c^n, a^n b^n c^n d^n         "a" in the a-block, then "ab" -> "a", "c" -> "c",
                                                              the one letter allowed,  "$" -> "T"
                                                              "T" at the end
    letter      aa*bb*cc*dd*ee*                               the next block's letter, "ab" -> "b", "e$" -> "T"
                                                              "T" in the e-block
    end         {0,1,2}*02*                                   "e" if x_1..x_t is in    "012$" -> "e"
                                                              the language, else "c"

Two of the peer's languages have targets that are wrong (checked against their own strings):

* Tomita 3: their automaton marks the state "odd 1-block, then odd 0-block" as dead although one more 0
  repairs it, so after an odd block of 1s it forbids 0. ``label_framing="sarrof_as_published"`` reproduces
  that mistake (the target is then a function of the DFA state, not of our continuation set; see
  `regular`); ``"sarrof"`` gives the right bits.
* {0,1,2}*02*: they never mark a prefix that ends in 0 as complete. ``"sarrof"`` marks it (right);
  ``"sarrof_as_published"`` is not offered for it (the target would need a state "just read the 0").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...core.errors import StateTrackError
from .base import END, FormalLanguageTask

FRAMINGS = ("continuation", "sarrof", "sarrof_as_published")
Projection = Callable[[str], str]  # our continuation label -> the peer's target chunk


def check_framing(framing, name: str, offered: tuple[str, ...] = FRAMINGS) -> str:
    if framing not in offered:
        raise StateTrackError(f"task {name}: label_framing must be one of {', '.join(map(repr, offered))}, "
                              f"got {framing!r}")
    return framing


def membership(yes: str = "1", no: str = "0") -> Projection:
    """"01$" -> yes, "01" -> no: is x_1..x_t itself in the language."""
    return lambda label: yes if label.endswith(END) else no


def symbol_bits(symbols) -> Projection:
    """One bit per symbol, in the given order: may it follow? The end marker is dropped."""
    return lambda label: "".join("1" if c in label.rstrip(END) else "0" for c in symbols)


def letter_or_end(two_letters: str) -> Projection:
    """"T" where the string may end; else the allowed letter, or `two_letters`' pick where two are allowed."""
    def project(label: str) -> str:
        if label.endswith(END):
            return "T"
        return label if len(label) == 1 else two_letters[label]
    return project


# how each language's target reads, one line for describe()
KIND_TEXT = {
    "membership": "1 if x_1..x_t is in the language, else 0 (our $ alone)",
    "next": "one bit per symbol, in the order {symbols}: may it come next; no end bit (our set without $)",
    "close": "one bit per closing bracket, in the order {symbols}: may it come next",
    "letter": "the letter of the next block (the one allowed besides repeating the current one); T in the last block",
    "letter_first": "a while in the a-block, then the one letter allowed; T where the string may end",
    "end": "e if x_1..x_t is in the language, else c (our $ alone)",
}


def sarrof_projection(kind: str, symbols: str = "") -> Projection:
    """The projection of one language's kind (see the module docstring); `symbols` orders the bits."""
    if kind == "membership":
        return membership()
    if kind == "end":
        return membership("e", "c")
    if kind in ("next", "close"):
        return symbol_bits(symbols)
    if kind == "letter":  # aa*bb*cc*dd*ee*: inside block x the next block's letter
        return letter_or_end({symbols[i:i + 2]: symbols[i + 1] for i in range(len(symbols) - 1)})
    if kind == "letter_first":  # a^n b^n ..: "a" while a's may continue
        return letter_or_end({"ab": "a"})
    raise ValueError(f"unknown target kind {kind!r}")


def describe_framing(framing: str, kind: str, symbols: str, vocab: list[str]) -> str:
    """The labels line of describe() for a framing other than "continuation"."""
    how = KIND_TEXT[kind].format(symbols=" ".join(symbols))
    how += ("; as published, with their automaton's mistake: after an odd block of 1s, 0 is forbidden (not a "
            "projection of our continuation set)" if framing == "sarrof_as_published" else
            "; a projection of our continuation set")
    return f"labels ({framing}): Sarrof et al.'s target, written as in their files: {how}; {len(vocab)} classes: " \
           f"{' '.join(vocab)}"


def apply_framing(task: FormalLanguageTask, framing: str, kind: str, symbols: str) -> None:
    """Set task.label_framing; for a Sarrof framing replace label_vocab by the peer's targets (sorted) and set
    task.projection. Call at the end of __init__, once label_vocab holds the continuation sets."""
    offered = FRAMINGS if task.name == "tomita3" else FRAMINGS[:2]
    task.label_framing = check_framing(framing, task.name, offered)
    task.continuation_vocab = task.label_vocab
    if framing == "continuation":
        return
    targets = [sarrof_projection(kind, symbols)(label) for label in task.continuation_vocab]
    task.label_vocab = sorted(set(targets))
    task.projection = np.array([task.label_vocab.index(t) for t in targets], dtype=np.int16)
    task._framing_text = describe_framing(framing, kind, symbols, task.label_vocab)
