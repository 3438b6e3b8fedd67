"""The front page stays a front page: short and its links resolve (its tables
are the committed results': tests/test_results_blocks.py).

The docs site itself is checked by `mkdocs build --strict` in `make test` (links, anchors, API pages)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_a_front_page():
    assert len(README.splitlines()) <= 300


def test_readme_links_resolve():
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    assert targets and [t for t in targets if not (ROOT / t).exists()] == []
