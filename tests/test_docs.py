"""The front page stays a front page: short, its links resolve, its quickstart table is the docs' one.

The docs site itself is checked by `mkdocs build --strict` in `make test` (links, anchors, API pages)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quickstart_table(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("| task | model | params |")))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def test_readme_is_a_front_page():
    assert len(README.splitlines()) <= 300


def test_readme_links_resolve():
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    assert targets and [t for t in targets if not (ROOT / t).exists()] == []


def test_readme_quickstart_table_is_the_docs_one():
    docs = (ROOT / "docs" / "reproductions.md").read_text(encoding="utf-8")
    assert len(quickstart_table(README)) == 10 and quickstart_table(README) == quickstart_table(docs)
