"""`import hf_statetrack` alone gives a stock transformers Mamba our scan and conv (`hf_statetrack.runtime.mamba_hook`),
whether transformers' Mamba loads after it or was loaded before; and the import stays free of torch."""

import json
import subprocess
import sys

import pytest

STEP = """
import collections, json, sys
{before}
import hf_statetrack
torch_after_import = "torch" in sys.modules
import torch
from transformers import AutoModelForCausalLM, MambaConfig
from transformers.models.mamba import modeling_mamba

model = AutoModelForCausalLM.from_config(MambaConfig(vocab_size=11, hidden_size=16, num_hidden_layers=2, state_size=4,
                                                     use_cache=False))
stock = []
for name in ("mamba_selective_scan", "causal_conv1d_fn"):  # count calls that reach transformers' own path
    hooked = getattr(modeling_mamba, name)
    original = getattr(hooked, "__wrapped__", hooked)
    hooked.__wrapped__ = lambda *a, _original=original, **k: stock.append(1) or _original(*a, **k)
ids = torch.randint(0, 11, (2, 24))
loss = model(ids, labels=ids).loss
loss.backward()
nodes, seen, todo = collections.Counter(), set(), [loss.grad_fn]
while todo:  # the backward graph: transformers' loop leaves one SelectBackward0 per step
    node = todo.pop()
    if node is not None and node not in seen:
        seen.add(node)
        nodes[type(node).__name__] += 1
        todo.extend(f for f, _ in node.next_functions)
print(json.dumps(dict(torch_after_import=torch_after_import, stock_calls=len(stock), nodes=nodes)))
"""

OURS = ("SelectiveScanFnBackward", "CompiledScanFnBackward", "CompiledConvFnBackward")


@pytest.mark.parametrize("before", ["", "import transformers.models.mamba.modeling_mamba"],
                         ids=["mamba loaded after", "mamba loaded before"])
def test_import_hf_statetrack_gives_stock_mamba_our_kernels(before):
    out = subprocess.run([sys.executable, "-c", STEP.format(before=before)], capture_output=True, text=True,
                         check=True).stdout
    result = json.loads(out.splitlines()[-1])
    assert result["torch_after_import"] == bool(before)  # the hook itself imports nothing heavy
    assert result["stock_calls"] == 0
    assert "SelectBackward0" not in result["nodes"], result["nodes"]
    assert sum(result["nodes"].get(name, 0) for name in OURS) >= 2, result["nodes"]  # a scan per layer at least


def test_module_doctests():
    import doctest

    from hf_statetrack.runtime import mamba_hook

    assert doctest.testmod(mamba_hook).attempted > 0 and doctest.testmod(mamba_hook).failed == 0
