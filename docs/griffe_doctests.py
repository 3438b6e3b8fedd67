"""A griffe extension for the API pages: `>>>` examples in docstrings render as Python console blocks.

Our docstrings hold doctests in free text (pytest runs them with --doctest-modules); Markdown would read
`ds["train"][0]` in them as a reference link. Each run of lines that starts at a `>>>` line and ends at a
blank line is fenced as ```pycon, so the page shows the example exactly as the doctest runs it.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """Wrap every doctest block of `text` in a ```pycon fence, keeping its indentation."""
    out, block, indent = [], [], ""
    for line in text.splitlines() + [""]:
        if not block and line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
        if line.lstrip().startswith(">>>") or (block and line.strip()):
            block.append(line)
            continue
        if block:
            out += [f"{indent}```pycon", *block, f"{indent}```"]
            block = []
        out.append(line)
    return "\n".join(out[:-1])


class DoctestFences(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
