"""Checkpoints round-trip through save_pretrained / from_pretrained, also in a process without hf_statetrack."""

import json
import os
import subprocess
import sys

import pytest
import torch
from transformers import AutoModelForTokenClassification

from hf_statetrack.models import list_presets

from .tiny import REMOTE_CODE, random_batch, tiny_model

PRESETS = list_presets()

# Loads each checkpoint with plain transformers; importing hf_statetrack is made to fail.
LOAD_WITHOUT_PACKAGE = """
import sys
sys.modules["hf_statetrack"] = None
import torch
from transformers import AutoModelForTokenClassification
input_ids = torch.load(sys.argv[1])
for path in sys.argv[2:]:
    model = AutoModelForTokenClassification.from_pretrained(path, trust_remote_code=True).eval()
    assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
    with torch.no_grad():
        torch.save(model(input_ids).logits, path + "/remote_logits.pt")
"""


@torch.no_grad()
@pytest.mark.parametrize("preset", PRESETS)
def test_save_and_reload_gives_identical_logits(preset, tmp_path):
    model = tiny_model(preset)
    input_ids, _ = random_batch()
    model.save_pretrained(tmp_path)
    loaded = AutoModelForTokenClassification.from_pretrained(tmp_path).eval()
    # stock Llama / GPT-2 configs load into transformers' own head (we do not take over its Auto mapping)
    assert type(loaded) is type(model) or type(loaded) in type(model).__mro__
    torch.testing.assert_close(loaded(input_ids).logits, model(input_ids).logits, rtol=0, atol=0)


def test_checkpoints_load_without_hf_statetrack(tmp_path):
    """One subprocess for all remote-code presets: auto_map plus the copied modeling files suffice."""
    input_ids, _ = random_batch()
    torch.save(input_ids, tmp_path / "input_ids.pt")
    expected = {}
    for preset in REMOTE_CODE:
        model = tiny_model(preset)
        model.save_pretrained(tmp_path / preset)
        auto_map = json.loads((tmp_path / preset / "config.json").read_text())["auto_map"]
        module = auto_map["AutoModelForTokenClassification"].split(".")[0]
        assert (tmp_path / preset / f"{module}.py").exists()
        head = tmp_path / preset / "tagging_head.py"  # the shared head itself, not the package's link to it
        assert head.is_file() and not head.is_symlink(), preset
        with torch.no_grad():
            expected[preset] = model(input_ids).logits
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_HUB_OFFLINE": "1"}
    paths = [str(tmp_path / preset) for preset in REMOTE_CODE]
    proc = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_PACKAGE, str(tmp_path / "input_ids.pt"), *paths],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for preset in REMOTE_CODE:
        remote = torch.load(tmp_path / preset / "remote_logits.pt")
        # Mamba without hf_statetrack runs transformers' own scan and conv: same maths, other float32 rounding
        tolerance = 1e-5 if preset == "mamba" else 0
        torch.testing.assert_close(remote, expected[preset], rtol=tolerance, atol=tolerance,
                                   msg=f"{preset}: logits differ")
