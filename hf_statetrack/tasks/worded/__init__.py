"""State tracking in natural text: cups (permutations in words), programs, boxes, chess (see `base`)."""

from . import boxes, chess_games, cups, programs  # noqa: F401  (registration)
from .base import TextLayout, TextTask

__all__ = ["TextLayout", "TextTask"]
