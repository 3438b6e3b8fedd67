"""Chess: random legal games; the answer is the piece on a queried square, or where a king stands.

Games start from the initial position (or from one of a few named openings, ``start="openings"``) and
continue with moves drawn uniformly among the legal ones (python-chess generates them; sorted by squares
and promotion so the draws do not depend on its move order). ``length`` is the number of half-moves; a game
that ends (mate, stalemate) before it is replayed with fresh draws. Written in UCI or SAN::

    query="square":  Chess moves in SAN: 1. e4 Nf6 2. Nc3 d5 What is on d5? black pawn
    query="king":    Chess moves in UCI: 1. e2e4 e7e5 2. e1e2 What square is the white king on? e2

Tokens: the query (``?d5`` or ``?white king``), then one token per move in UCI (a fixed vocabulary of
1,968 strings); SAN depends on the position and is written from the replayed game. Labels after each
move: the piece on the square (13 classes: nothing or one of 12 pieces) or the king's square (64). The
queried square is drawn among the squares the game's moves leave or enter, after the game.
Rows are drawn one after the other from the shard's rng, so they are a function of (params, seed).
"""

from __future__ import annotations

import itertools

import numpy as np

from ...core.errors import StateTrackError
from ..registry import register_task
from .base import TextLayout, TextTask

FILES, RANKS = "abcdefgh", "12345678"
SQUARES = [f + r for r in RANKS for f in FILES]  # python-chess order: a1 = 0, b1 = 1, ..., h8 = 63
PIECES = ("pawn", "knight", "bishop", "rook", "queen", "king")  # python-chess piece types 1..6
PIECE_LABELS = ["nothing"] + [f"{color} {p}" for color in ("white", "black") for p in PIECES]
QUERIES, NOTATIONS, STARTS = ("square", "king"), ("uci", "san"), ("random", "openings")
OPENINGS = {  # a few main lines, in UCI; `start="openings"` begins each game with one of them
    "Ruy Lopez": "e2e4 e7e5 g1f3 b8c6 f1b5 a7a6",
    "Italian Game": "e2e4 e7e5 g1f3 b8c6 f1c4 f8c5",
    "Sicilian Najdorf": "e2e4 c7c5 g1f3 d7d6 d2d4 c5d4 f3d4 g8f6 b1c3 a7a6",
    "French Defence": "e2e4 e7e6 d2d4 d7d5",
    "Caro-Kann Defence": "e2e4 c7c6 d2d4 d7d5",
    "Queen's Gambit Declined": "d2d4 d7d5 c2c4 e7e6 b1c3 g8f6",
    "King's Indian Defence": "d2d4 g8f6 c2c4 g7g6 b1c3 f8g7 e2e4 d7d6",
    "English Opening": "c2c4 e7e5 b1c3 g8f6",
}


def uci_vocabulary() -> list[str]:
    """Every UCI move string: queen-line and knight moves between squares, and pawn promotions (1,968)."""
    moves = []
    for a, b in itertools.permutations(range(64), 2):
        df, dr = abs(a % 8 - b % 8), abs(a // 8 - b // 8)
        if df == 0 or dr == 0 or df == dr or {df, dr} == {1, 2}:
            moves.append(SQUARES[a] + SQUARES[b])
    for (src, dst), df, piece in itertools.product((("7", "8"), ("2", "1")), (-1, 0, 1), "qrbn"):
        moves += [f + src + FILES[i + df] + dst + piece for i, f in enumerate(FILES) if 0 <= i + df < 8]
    return moves


def move_key(move) -> tuple[int, int, int]:
    """Sort key of a python-chess move: the order of its UCI string's parts, without building the string."""
    return move.from_square, move.to_square, move.promotion or 0


def python_chess():
    try:
        import chess
    except ImportError:
        raise StateTrackError("task chess_pieces needs python-chess: pip install 'hf-statetrack[chess]' "
                              "(or pip install chess)") from None
    return chess


class ChessPiecesTask(TextTask):
    """Track the pieces of a random legal chess game."""

    name = "chess_pieces"
    preamble = 1

    def __init__(self, query: str = "square", notation: str = "uci", start: str = "random"):
        for value, allowed, what in ((query, QUERIES, "query"), (notation, NOTATIONS, "notation"),
                                     (start, STARTS, "start")):
            if value not in allowed:
                raise StateTrackError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
        self.query, self.notation, self.start = query, notation, start
        self.queries = [f"?{s}" for s in SQUARES] if query == "square" else ["?white king", "?black king"]
        self.moves = uci_vocabulary()
        self.vocab = self.queries + self.moves
        self._move_id = {m: i + len(self.queries) for i, m in enumerate(self.moves)}
        self.label_vocab = PIECE_LABELS if query == "square" else list(SQUARES)

    @property
    def params(self) -> dict:
        return {"query": self.query, "notation": self.notation, "start": self.start}

    def label(self, board, q: int) -> int:
        if self.query == "king":
            return int(board.king(bool(q == 0)))  # q 0 = white (chess.WHITE is True)
        piece = board.piece_at(q)
        return 0 if piece is None else piece.piece_type + (0 if piece.color else 6)

    def play(self, chess, rng: np.random.Generator, length: int) -> list:
        """One game of `length` half-moves (python-chess moves), replayed until no game ends early."""
        while True:
            board, moves = chess.Board(), []
            opening = (OPENINGS[list(OPENINGS)[rng.integers(len(OPENINGS))]].split()
                       if self.start == "openings" else [])
            for t, u in enumerate(rng.random(length)):
                legal = sorted(board.legal_moves, key=move_key)
                if not legal:
                    break
                moves.append(chess.Move.from_uci(opening[t]) if t < len(opening) else legal[int(u * len(legal))])
                board.push(moves[-1])
            if len(moves) == length:
                return moves

    def draw_query(self, rng: np.random.Generator, moves) -> int:
        """A king (0 white, 1 black), or a square some move leaves or enters: its answer depends on the moves
        (a uniform square would be one the game never touches most of the time, its answer the initial piece)."""
        if self.query == "king":
            return int(rng.integers(2))
        touched = sorted({sq for m in moves for sq in (m.from_square, m.to_square)})
        return touched[rng.integers(len(touched))]

    def sample(self, rng: np.random.Generator, lengths: np.ndarray):
        chess = python_chess()
        lengths = np.asarray(lengths)
        n, width = len(lengths), int(lengths.max(initial=0))
        query, ops, labels = np.zeros(n, dtype=np.int64), np.zeros((n, width), np.int64), np.zeros((n, width), np.int64)
        for i, length in enumerate(lengths):
            moves = self.play(chess, rng, int(length))
            query[i] = self.draw_query(rng, moves)
            board = chess.Board()
            for t, move in enumerate(moves):
                board.push(move)
                ops[i, t], labels[i, t] = self._move_id[move.uci()], self.label(board, int(query[i]))
        return self.batch(query, ops, labels, lengths)

    def written_moves(self, input_ids) -> list[str]:
        """The moves as text: UCI from the tokens, or SAN from replaying them."""
        uci = [self.vocab[t] for t in input_ids[1:]]
        if self.notation == "uci":
            return uci
        board, san = python_chess().Board(), []
        for move in uci:
            san.append(board.san(board.parse_uci(move)))
            board.push_uci(move)
        return san

    def text_layout(self, input_ids) -> TextLayout:
        moves = [f"{t // 2 + 1}. {m}" if t % 2 == 0 else m for t, m in enumerate(self.written_moves(input_ids))]
        q = self.vocab[input_ids[0]][1:]
        question = f"What is on {q}?" if self.query == "square" else f"What square is the {q} on?"
        return TextLayout(f"Chess moves in {self.notation.upper()}:", [None, *moves], question)

    def one_line(self) -> str:
        return f"{self.name:<12} text: random legal chess games, the piece on a square or a king's square"

    def describe(self) -> str:
        return "\n".join([
            f"{self.name}: random legal chess games in {self.notation.upper()} (query={self.query}, "
            f"start={self.start}); needs python-chess",
            f"family: {self.family}; vocab: {len(self.queries)} query tokens, then {len(self.moves)} UCI moves",
            "moves: uniform over the legal moves" + (" after one of the openings " + ", ".join(OPENINGS)
                                                     if self.start == "openings" else ""),
            f"labels: after each half-move, {'the piece on the square' if self.query == 'square' else 'the square'}"
            f" ({len(self.label_vocab)} classes); -100 on the query token",
            "length: the number of half-moves (games that end earlier are redrawn)",
            f"example (length 4): {self.example()}",
        ])


register_task("chess_pieces", ChessPiecesTask)
