"""Result tables in README.md and docs/ are copied from the committed result files, never typed.

    .venv/bin/python benchmarks/results_blocks.py           # rewrite every block from its file
    .venv/bin/python benchmarks/results_blocks.py --check   # exit 1 naming each block that differs (a test runs it)

A block is a region of a Markdown page between ``<!-- results: PATH#SECTION -->`` and ``<!-- /results -->``,
PATH relative to the repository root (a ``report.md`` under ``benchmarks/results/``) and SECTION the slug of one
of its ``## `` headings (lower case, spaces as dashes): the block holds that section's body, without its
heading; SECTION ``body`` is the whole file but its ``# `` title. Relative links in it (a figure beside the
report) are rewritten to be relative to the page; a page under docs/ reaches benchmarks/results/ through the
docs/results link, so that MkDocs finds the files.

>>> section("# T\\n\\n## By length\\n\\n| a |\\n\\n## Other\\nx\\n", "by-length")
'| a |'
>>> section("# T\\n\\ntext\\n\\n| a |\\n", "body")
'text\\n\\n| a |'
>>> relink("![](fig.png) [r](report.md) [w](https://x.org) [a](#top)", Path("benchmarks/results/x"), Path("docs"))
'![](results/x/fig.png) [r](results/x/report.md) [w](https://x.org) [a](#top)'
>>> relink("![](fig.png)", Path("benchmarks/results/x"), Path("."))
'![](benchmarks/results/x/fig.png)'
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from hf_statetrack.core.files import atomic_write

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(<!-- results: (?P<path>[^#\s]+)#(?P<section>[\w-]+) -->\n)(?P<body>.*?)(<!-- /results -->)",
                   re.S)
LINK = re.compile(r"(\]\()(?P<target>[^)\s]+)(\))")
DOCS_ALIAS = ("benchmarks/results/", "docs/results/")  # docs/results -> ../benchmarks/results (MkDocs stays in docs/)


def slug(heading: str) -> str:
    return re.sub(r"[^\w]+", "-", heading.strip().lower()).strip("-")


def section(text: str, name: str) -> str:
    """The body of the ``## `` section whose heading slugs to `name` (a missing one names those that exist)."""
    if name == "body":
        return re.sub(r"\A# .*\n", "", text).strip()
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    bodies = {slug(heading): body for heading, body in zip(parts[1::2], parts[2::2])}
    if name not in bodies:
        raise KeyError(f"no section {name!r}; sections: {', '.join(bodies) or 'none'}")
    return bodies[name].strip()


def relink(text: str, source: Path, page: Path) -> str:
    """Relative link targets written from folder `source` made relative to folder `page` (both under ROOT)."""
    def move(match: re.Match) -> str:
        target = match["target"]
        if re.match(r"^([a-z]+:|#|/)", target):
            return match[0]
        path = os.path.normpath(source / target).replace(os.sep, "/")
        if page.parts[:1] == ("docs",) and path.startswith(DOCS_ALIAS[0]):
            path = DOCS_ALIAS[1] + path[len(DOCS_ALIAS[0]):]
        return f"{match[1]}{Path(os.path.relpath(path, page)).as_posix()}{match[3]}"

    return LINK.sub(move, text)


def render(page: Path, text: str) -> str:
    """`text` of `page` with every results block filled from its file."""
    def fill(match: re.Match) -> str:
        source = ROOT / match["path"]
        try:
            body = section(source.read_text(), match["section"])
        except (OSError, KeyError) as err:
            raise SystemExit(f"{page.relative_to(ROOT)}: block {match['path']}#{match['section']}: {err}") from None
        body = relink(body, source.parent.relative_to(ROOT), page.parent.relative_to(ROOT))
        return f"{match[1]}\n{body}\n\n{match[5]}"

    return BLOCK.sub(fill, text)


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block differs")
    args = parser.parse_args(argv)
    stale = []
    for page in pages():
        text = page.read_text()
        new = render(page, text)
        if new != text:
            stale.append(page.relative_to(ROOT).as_posix())
            if not args.check:
                atomic_write(page, new)
    if stale:
        print(("stale (run benchmarks/results_blocks.py): " if args.check else "rewrote: ") + ", ".join(stale))
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
