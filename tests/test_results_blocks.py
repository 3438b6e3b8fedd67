"""benchmarks/results_blocks.py: README and docs result tables are the committed result files' sections."""

import doctest
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("results_blocks", ROOT / "benchmarks" / "results_blocks.py")
blocks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(blocks)


def test_module_doctests():
    result = doctest.testmod(blocks)
    assert result.attempted > 0 and result.failed == 0


def test_every_block_in_the_readme_and_docs_matches_its_result_file():
    assert blocks.main(["--check"]) == 0
    assert sum(page.read_text().count("<!-- results: ") for page in blocks.pages()) >= 3


def test_a_block_is_filled_from_its_section_with_links_moved_and_the_rest_untouched(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "ROOT", tmp_path)
    report = tmp_path / "benchmarks" / "results" / "x" / "report.md"
    report.parent.mkdir(parents=True)
    report.write_text("# X\n\n## Table\n\n| a |\n|---|\n| 1 |\n\n![](fig.png)\n\n## Other\n\nnot this\n")
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    text = "intro\n<!-- results: benchmarks/results/x/report.md#table -->\nstale\n<!-- /results -->\nend\n"
    page.write_text(text)
    new = blocks.render(page, text)
    assert new == ("intro\n<!-- results: benchmarks/results/x/report.md#table -->\n\n| a |\n|---|\n| 1 |\n\n"
                   "![](results/x/fig.png)\n\n<!-- /results -->\nend\n")
    assert blocks.render(page, new) == new


def test_a_missing_section_names_the_ones_that_exist(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "ROOT", tmp_path)
    (tmp_path / "r.md").write_text("## Only one\n\nx\n")
    page = tmp_path / "p.md"
    with pytest.raises(SystemExit, match="no section 'two'; sections: only-one"):
        blocks.render(page, "<!-- results: r.md#two -->\n<!-- /results -->")
