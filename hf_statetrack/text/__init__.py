"""Tasks written as text for pretrained tokenizers: `render` (task rows -> text with answer spans; no
tokenizer) and `tokenize` (answer-token labels, tokenizer checks, answer-level correctness)."""

from .render import ANSWER_MODES, Rendered, check_answers, default_answers, render_row, text_columns, text_view
from .tokenize import answer_correctness, answer_token_labels, split_labels, tokenize_text

__all__ = ["ANSWER_MODES", "Rendered", "answer_correctness", "answer_token_labels", "check_answers",
           "default_answers", "render_row", "split_labels", "text_columns", "text_view", "tokenize_text"]
