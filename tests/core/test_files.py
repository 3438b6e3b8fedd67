"""One output-folder check and one atomic-write helper for every writer (`hf_statetrack.core.files`)."""

import os
import threading
from pathlib import Path

import pytest

from hf_statetrack.core import files
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.reporting import plots


def test_resolve_expands_home_and_resolves_dotdot_and_symlinks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert files.resolve("runs/missing/../ref") == Path("runs/ref")
    assert files.resolve("~/x") == tmp_path / "home" / "x"
    assert files.resolve("link/run") == Path("real/run")


@pytest.mark.parametrize("spelled", [".", "..", "./a/..", "~", "missing/../.", "ABSOLUTE"])
def test_the_working_directory_its_parents_and_home_are_refused(tmp_path, monkeypatch, spelled):
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    monkeypatch.setenv("HOME", str(tmp_path))
    spelled = str(tmp_path / "a") if spelled == "ABSOLUTE" else spelled
    with pytest.raises(StateTrackError, match="working directory, one of its parents or the home folder"):
        files.output_folder(spelled, "--out")


def test_a_file_a_read_only_folder_and_a_too_long_name_are_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    for spelled in (tmp_path / "file", tmp_path / "file" / "below"):
        with pytest.raises(StateTrackError, match="is a file"):
            files.output_folder(spelled, "output_dir")
    if os.geteuid() != 0:  # root writes anywhere
        (tmp_path / "ro").mkdir(mode=0o555)
        with pytest.raises(StateTrackError, match="not writable"):
            files.output_folder(tmp_path / "ro" / "run", "output_dir")
    with pytest.raises(StateTrackError, match="choose a shorter name"):
        files.output_folder(tmp_path / ("x" * 250), "output_dir")
    assert files.output_folder(tmp_path / "new" / "run", "output_dir") == tmp_path / "new" / "run"


def test_concurrent_atomic_writes_of_one_file_never_collide(tmp_path):
    target, errors = tmp_path / "summary.json", []

    def write(i):
        try:
            for _ in range(50):
                files.atomic_write(target, str(i) * 1000)
        except Exception as err:  # noqa: BLE001 - any failure is the test's failure
            errors.append(err)

    workers = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == [] and len(set(target.read_text())) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary left behind


def test_a_plot_saved_twice_at_once_uses_two_temporary_names(tmp_path, monkeypatch):
    """Regression: the fixed `.accuracy_by_length.tmp.png` made one of two concurrent sweeps fail."""
    names = []
    real_savefig = plots._pyplot().Figure.savefig

    def savefig(fig, path, *args, **kwargs):
        names.append(Path(path).name)
        return real_savefig(fig, path, *args, **kwargs)

    monkeypatch.setattr(plots._pyplot().Figure, "savefig", savefig)
    for _ in range(2):
        with plots.figure(tmp_path / "accuracy_by_length.png") as ax:
            ax.plot([0, 1], [0, 1])
    assert len(set(names)) == 2 and (tmp_path / "accuracy_by_length.png").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accuracy_by_length.png"]
