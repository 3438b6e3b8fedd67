"""Your own model, two ways, with the docs' example package (docs/examples/my_pkg) copied into a temporary folder:
a transformers-style architecture (`architecture:` + `import:` / --import) and a plain PyTorch module (`module:
"pkg.mod:Name"`). Each trains, saves, and evaluates in process and through the CLI (also in a fresh process that
imports the module from the saved path string); each mistake is one line before any data; sweeps label the runs
by the model."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import yaml
from transformers import AutoModelForTokenClassification

from hf_statetrack.cli import main
from hf_statetrack.core.imports import command_line
from hf_statetrack.evaluation.dispatch import evaluate_model
from hf_statetrack.experiments import grid
from hf_statetrack.experiments.config import from_dict
from hf_statetrack.experiments.run import run_experiment
from hf_statetrack.models import build_module
from tests.experiments.tiny import TINY_EXPERIMENT

pytestmark = pytest.mark.usefixtures("one_thread")

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "my_pkg"  # the docs' example package
PACKAGE = "my_pkg"
# more modules beside the docs' example: a factory function, an unsaved buffer, and one of each mistake
VARIANTS = textwrap.dedent('''
    import torch
    from torch import nn

    from .models import MyNet


    def conv_net(vocab_size, hidden_size, num_layers, kernel=2):
        """A factory function: embedding, then causal convolutions (no state_size: not known)."""
        return CausalConv(vocab_size, hidden_size, num_layers, kernel)


    class CausalConv(nn.Module):
        def __init__(self, vocab_size, hidden_size, num_layers, kernel):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, hidden_size)
            self.convs = nn.ModuleList(nn.Conv1d(hidden_size, hidden_size, kernel) for _ in range(num_layers))

        def forward(self, input_ids, attention_mask=None):
            x = self.embed(input_ids).transpose(1, 2)  # (B, H, T)
            for conv in self.convs:
                x = torch.relu(conv(nn.functional.pad(x, (conv.kernel_size[0] - 1, 0))))
            x = x.transpose(1, 2)  # (B, T, H)
            return x if attention_mask is None else x * attention_mask[..., None]


    class Gained(MyNet):
        def __init__(self, vocab_size, hidden_size, num_layers):
            super().__init__(vocab_size, hidden_size, num_layers)
            # not saved with the weights: loading must rebuild it
            self.register_buffer("gain", torch.full((hidden_size,), 2.0), persistent=False)

        def forward(self, input_ids):
            return super().forward(input_ids) * self.gain


    NOT_A_MODEL = 3


    class NoLayers(nn.Module):
        def __init__(self, vocab_size, hidden_size):
            super().__init__()


    def not_a_module(vocab_size, hidden_size, num_layers):
        return {"hidden": hidden_size}


    class Refuses(MyNet):
        def __init__(self, vocab_size, hidden_size, num_layers):
            raise ValueError("hidden_size must be even")


    class TooWide(MyNet):
        def forward(self, input_ids):
            hidden = super().forward(input_ids)
            return torch.cat([hidden, hidden], dim=-1)


    class Doubles(MyNet):
        def forward(self, input_ids):
            return super().forward(input_ids).double()


    class Integers(MyNet):
        def forward(self, input_ids):
            return super().forward(input_ids).long()


    class Pair(MyNet):
        def forward(self, input_ids):
            hidden = super().forward(input_ids)
            return hidden, hidden


    class BadCount(MyNet):
        def state_size(self):
            return "eight"
''')


@pytest.fixture(scope="module")
def package_root(tmp_path_factory):
    """The folder holding the package, on sys.path for this module's tests."""
    root = tmp_path_factory.mktemp("own")
    shutil.copytree(EXAMPLE, root / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    (root / PACKAGE / "variants.py").write_text(VARIANTS)
    (root / PACKAGE / "broken.py").write_text("raise RuntimeError('boom at import')\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        yield root
    for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def experiment(tmp_path: Path, model: dict, name: str = "out") -> dict:
    return {**TINY_EXPERIMENT, "model": model, "output_dir": str(tmp_path / name)}


def write(tmp_path: Path, config: dict) -> str:
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def eval_argv(model: Path, out: Path) -> list[str]:
    return ["eval", "--model", str(model), "--task", "Z2", "--test-length", "8", "--num-test", "20",
            "--output-dir", str(out)]


@pytest.fixture(scope="module")
def trained(package_root, tmp_path_factory):
    """Both ways trained through the CLI: (own module folder, own architecture folder)."""
    tmp_path = tmp_path_factory.mktemp("trained")
    module = experiment(tmp_path, {"module": f"{PACKAGE}.models:MyNet", "num_layers": 1, "hidden_size": 8,
                                   "dropout": 0.0}, "module")
    architecture = experiment(tmp_path, {"architecture": "my_gru", "import": f"{PACKAGE}.modeling",
                                         "num_layers": 2, "hidden_size": 8}, "architecture")
    for config in (module, architecture):
        assert main(["train", write(tmp_path, config)]) == 0
    return Path(module["output_dir"]), Path(architecture["output_dir"])


def test_own_module_trains_saves_and_evaluates_through_the_cli(trained, tmp_path):
    folder = trained[0]
    results = json.loads((folder / "results.json").read_text())
    assert results["model"] == "MyNet-L1-H8" and results["train"]["steps"] == 2
    assert results["state_size"] == {"per_layer": [8], "total": 8, "grows_with_length": False,
                                     "how": "GRU: h per layer"}
    saved = json.loads((folder / "config.json").read_text())
    assert saved["module"] == f"{PACKAGE}.models:MyNet" and saved["module_kwargs"] == {"dropout": 0.0}
    assert saved["num_hidden_layers"] == 1 and saved["hidden_size"] == 8
    assert main(eval_argv(folder, tmp_path / "eval")) == 0
    assert list(json.loads((tmp_path / "eval" / "results.json").read_text())["splits"]) == ["test@8"]
    probe = ["probe", "--model", str(folder), "--task", "Z2", "--train-length", "2-6", "--num-train", "64",
             "--num-test", "32", "--epochs", "2", "--output-dir", str(tmp_path / "probe")]
    assert main(probe) == 0  # probes read the module's output, the one layer (probing/report.py names it as the first)
    assert json.loads((tmp_path / "probe" / "probe_results.json").read_text())["probe"]["layers"] == ["embeddings"]


def test_own_architecture_trains_saves_and_evaluates_through_the_cli(trained, tmp_path):
    folder = trained[1]
    results = json.loads((folder / "results.json").read_text())
    assert results["model"] == "my_gru-L2-H8"
    assert results["settings"]["experiment"]["model"]["import"] == [f"{PACKAGE}.modeling"]
    assert results["state_size"]["per_layer"] == [8, 8]  # the model's own state_size()
    saved = json.loads((folder / "config.json").read_text())
    assert saved["imports"] == [f"{PACKAGE}.modeling"] and saved["backbone"]["hidden_size"] == 8
    assert saved["backbone"]["num_hidden_layers"] == 2  # a config written with its own __init__ takes our sizes
    assert main(eval_argv(folder, tmp_path / "eval")) == 0


def test_a_fresh_process_imports_both_from_the_saved_checkpoint(trained, package_root, tmp_path):
    """No --import, no import: key: the checkpoints name what to import; only the package must be importable."""
    script = "; ".join(["from hf_statetrack.cli import main", "import sys",
                        *(f"assert main({eval_argv(folder, tmp_path / folder.name)!r}) == 0" for folder in trained)])
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(package_root), str(root)])}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    for folder in trained:
        assert (tmp_path / folder.name / "results.json").is_file()
    env["PYTHONPATH"] = str(root)  # the package is gone: one line naming it
    gone = subprocess.run([sys.executable, "-m", "hf_statetrack", *eval_argv(trained[0], tmp_path / "x")], env=env,
                          cwd=tmp_path, capture_output=True, text=True)
    assert gone.returncode == 2
    assert gone.stderr.strip().splitlines()[-1] == (
        f"error: model.module: no module named '{PACKAGE}.models' (no '{PACKAGE}' on the Python path); install its "
        "package, or run from the folder holding it, or add that to PYTHONPATH")


def test_own_module_in_process(package_root, tmp_path):
    """The Python API: from_dict, run_experiment, evaluate_model; a factory function with its own keyword."""
    cfg = from_dict(experiment(tmp_path, {"module": f"{PACKAGE}.variants:conv_net", "num_layers": 2,
                                          "hidden_size": 8, "kernel": 3}))
    results = run_experiment(cfg)
    assert results.model == "conv_net-L2-H8"
    assert results.state_size == {"per_layer": None, "total": None, "grows_with_length": False,
                                  "how": "not known: CausalConv defines no state_size()"}
    evaluated = evaluate_model(cfg.output_dir, "Z2", [8], num_test=20)
    assert evaluated.splits["test@8"]["num_sequences"] == 20


def test_saved_and_loaded_back_gives_the_same_logits(package_root, tmp_path):
    torch.manual_seed(0)
    model = build_module(f"{PACKAGE}.variants:Gained", vocab_size=5, num_labels=3, num_layers=2, hidden_size=8).eval()
    model.save_pretrained(tmp_path)
    loaded = AutoModelForTokenClassification.from_pretrained(tmp_path).eval()
    ids = torch.randint(0, 5, (2, 7))
    torch.testing.assert_close(loaded(ids).logits, model(ids).logits, rtol=0, atol=0)
    assert torch.equal(loaded.backbone.net.gain, torch.full((8,), 2.0))  # the unsaved buffer, rebuilt
    states = loaded(ids, output_hidden_states=True).hidden_states  # probes read these: the module's output
    assert len(states) == 1 and states[0].shape == (2, 7, 8)


def test_the_mask_reaches_a_module_that_takes_one(package_root):
    model = build_module(f"{PACKAGE}.variants:conv_net", vocab_size=5, num_labels=3, hidden_size=8).eval()
    ids, mask = torch.ones(1, 4, dtype=torch.long), torch.tensor([[1, 1, 0, 0]])
    logits = model(ids, attention_mask=mask).logits  # the module zeroes pads: the classifier's bias alone
    torch.testing.assert_close(logits[0, 2:], model.classifier.bias.expand(2, 3))


M = f"{PACKAGE}.variants"
ERRORS = [
    ({"module": f"{M}.MyNet"}, f"model.module must be 'package.module:Name' (the module, a colon, the class or "
                               f"function), e.g. my_pkg.models:MyNet; got '{M}.MyNet'"),
    ({"module": "no_such_pkg.models:MyNet"}, "model.module: no module named 'no_such_pkg.models' (no 'no_such_pkg' "
                                             "on the Python path)"),
    ({"module": f"{PACKAGE}.broken:MyNet"}, f"model.module: importing {PACKAGE}.broken failed (RuntimeError: boom "
                                            f"at import); fix the module"),
    ({"module": f"{M}:MyNett"}, f"model.module: module {M} has no attribute 'MyNett'; did you mean 'MyNet'?"),
    ({"module": f"{M}:NOT_A_MODEL"}, f"model.module: {M}:NOT_A_MODEL is not callable (int 3)"),
    ({"module": f"{M}:NoLayers"}, f"model.module: {M}:NoLayers cannot be called with vocab_size, hidden_size, "
                                  f"num_layers (got an unexpected keyword argument 'num_layers')"),
    ({"module": f"{M}:MyNet", "kernel": 3}, "(got an unexpected keyword argument 'kernel'); it must take vocab_size, "
                                            "hidden_size, num_layers and the model's other keys, and takes "
                                            "vocab_size, hidden_size, num_layers, dropout"),
    ({"module": f"{M}:not_a_module"}, f"model.module: {M}:not_a_module(...) returned a dict, not a torch.nn.Module"),
    ({"module": f"{M}:Refuses"}, f"model.module {M}:Refuses cannot be built with these settings (ValueError: "
                                 f"hidden_size must be even)"),
    ({"module": f"{M}:TooWide"}, f"model.module: {M}:TooWide returned hidden states of shape (2, 8, 16) for input "
                                 f"ids of shape (2, 8); return (B, T, hidden_size) = (2, 8, 8)"),
    ({"module": f"{M}:Doubles"}, f"model.module: {M}:Doubles returned torch.float64 hidden states for weights of "
                                 f"torch.float32"),
    ({"module": f"{M}:Integers"}, f"model.module: {M}:Integers returned torch.int64 hidden states; return "
                                  f"floating-point ones"),
    ({"module": f"{M}:Pair"}, f"model.module: {M}:Pair returned a tuple from forward; return the hidden states alone"),
    ({"module": f"{M}:BadCount"}, "BadCount.state_size() returned 'eight'; return a list of whole numbers >= 0"),
    ({"module": f"{M}:MyNet", "num_layers": 0}, f"model.module {M}:MyNet: num_layers must be a whole number >= 1"),
    ({"module": f"{M}:MyNet", "preset": "lstm"}, "model needs exactly one of 'preset', 'architecture' or 'module'"),
    ({"module": ["a:b"]}, "model.module must be a name or a path, got list"),
    ({"architecture": "my_gru", "import": "no_such_pkg"},
     "model.import: no module named 'no_such_pkg'"),
    ({"architecture": "my_gru", "import": "my-pkg"},
     "model.import: 'my-pkg' is not a module name; write a dotted name such as my_pkg.modeling"),
]


@pytest.mark.parametrize("model, message", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_each_mistake_is_one_line_before_any_data(package_root, tmp_path, capsys, model, message):
    config = experiment(tmp_path, {"num_layers": 1, "hidden_size": 8, **model})
    assert main(["train", write(tmp_path, config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not Path(config["output_dir"]).exists()  # nothing written, no data generated


def test_the_import_flag_adds_to_every_run_and_refuses_a_missing_module(package_root, tmp_path, capsys):
    config = experiment(tmp_path, {"module": f"{M}:MyNet", "num_layers": 1, "hidden_size": 8})
    assert main(["train", write(tmp_path, config), "--import", f"{PACKAGE}.modeling"]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["settings"]["experiment"]["model"]["import"] == [f"{PACKAGE}.modeling"]
    assert json.loads((tmp_path / "out" / "config.json").read_text())["imports"] == [f"{PACKAGE}.modeling"]
    assert command_line() == []  # only while the command runs
    capsys.readouterr()
    assert main(["eval", "--model", str(tmp_path / "out"), "--task", "Z2", "--test-length", "4",
                 "--import", "no_such_pkg"]) == 2
    assert capsys.readouterr().err.startswith("error: --import: no module named 'no_such_pkg'")


def test_a_sweep_names_runs_by_the_model_and_its_workers_import_the_package(package_root, tmp_path, capsys):
    """Two runs of an --import-only architecture in two spawned worker processes (they import it themselves)."""
    sweep = {**experiment(tmp_path, {"architecture": "my_gru", "num_layers": 1}),
             "sweep": {"model.hidden_size": [4, 8]}}
    argv = ["sweep", write(tmp_path, sweep), "--max-parallel", "2", "--import", f"{PACKAGE}.modeling"]
    assert main(argv) == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert sorted(summary) == ["Z2-my_gru-L1-H4", "Z2-my_gru-L1-H8"]
    assert all(not point.get("failed") for point in summary.values())


def test_sweep_labels_of_modules_and_architectures(package_root):
    base = {**TINY_EXPERIMENT, "model": {"preset": "lstm", "num_layers": 1, "hidden_size": 8}}
    models = [{"module": f"{M}:MyNet", "num_layers": 1, "hidden_size": 8},
              {"module": f"{M}:conv_net", "num_layers": 2, "hidden_size": 8},
              {"architecture": "rwkv", "num_layers": 2, "hidden_size": 32}]
    names = [p.name for p in grid.expand({"model": models}, base)]
    assert names == ["Z2-MyNet-L1-H8", "Z2-conv_net-L2-H8", "Z2-rwkv-L2-H32"]
