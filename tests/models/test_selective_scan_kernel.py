"""The compiled CPU kernels (selective_scan/kernel.py) against the plain float64 loop and F.conv1d; the build
cache; the fallback to the PyTorch scan (HF_STATETRACK_SCAN=torch, no compiler)."""

import warnings

import pytest
import torch
from transformers import MambaConfig, MambaForCausalLM
from transformers.models.mamba import modeling_mamba

import hf_statetrack  # noqa: F401  (installs the hooks)
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.models.selective_scan import (
    causal_conv1d,
    causal_conv1d_reference,
    compiled,
    dispatch,
    kernel,
    selective_scan,
    selective_scan_reference,
)

from .test_selective_scan import scan_inputs

LIB = compiled.library() if compiled.mode() != "torch" else None
needs_kernel = pytest.mark.skipif(LIB is None, reason="the C++ kernel could not be built (no g++?)")


def compare_gradients(fast: dict, slow: dict, rtol: float, atol: float) -> None:
    for name, tensor in slow.items():
        expected = tensor.grad
        scale = expected.abs().max().item()
        torch.testing.assert_close(fast[name].grad.double(), expected, rtol=rtol, atol=atol * scale,
                                   msg=f"gradient of {name}")


def run_both(base: dict, dtype=torch.float64, **flags):
    """Kernel (in `dtype`) and reference (float64) on the same inputs; backward of one random projection."""
    fast = {k: v.detach().to(dtype).requires_grad_() for k, v in base.items()}
    slow = {k: v.detach().clone().requires_grad_() for k, v in base.items()}
    y_fast, last_fast = kernel.selective_scan_compiled(LIB, **fast, return_last_state=True, **flags)
    y_slow, last_slow = selective_scan_reference(**slow, return_last_state=True, **flags)
    weights = torch.randn(y_slow.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    (y_fast * weights.to(dtype)).sum().backward()
    (y_slow * weights).sum().backward()
    return (y_fast, last_fast, fast), (y_slow, last_slow, slow)


@needs_kernel
@pytest.mark.parametrize("negative", [False, True], ids=["decay(0,1)", "decay(-1,1)"])
@pytest.mark.parametrize("batch,width,length", [(1, 16, 1), (1, 19, 31), (3, 32, 33), (2, 21, 70)],
                         ids=["b1-L1", "b1-tail-L31", "b3-blocks-L33", "b2-block+tail-L70"])
@pytest.mark.parametrize("optional", ["all", "no-D-z-bias", "no-softplus"])
def test_kernel_in_float64_matches_the_loop_exactly(negative, batch, width, length, optional):
    """Every input's gradient, lengths around the 32-step checkpoints, block (16 channels) and tail channels."""
    base = scan_inputs(batch=batch, width=width, state=5, length=length)
    if optional == "no-D-z-bias":
        base = {k: v for k, v in base.items() if k not in ("D", "z", "delta_bias")}
    (y_fast, last_fast, fast), (y_slow, last_slow, slow) = run_both(
        base, delta_softplus=optional != "no-softplus", negative_eigenvalues=negative)
    assert y_fast.dtype == torch.float64 and last_fast.shape == (batch, width, 5)
    torch.testing.assert_close(y_fast, y_slow, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(last_fast, last_slow, rtol=1e-10, atol=1e-12)
    compare_gradients(fast, slow, rtol=1e-9, atol=1e-12)


@needs_kernel
@pytest.mark.parametrize("threads", [1, 3])
def test_channel_groups_for_more_threads_than_rows_sum_to_the_same_gradients(threads):
    """batch 1 with 3 threads splits the channels into groups whose dB, dC partial sums are added."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        (y_fast, _, fast), (y_slow, _, slow) = run_both(scan_inputs(batch=1, width=40, length=45),
                                                        delta_softplus=True)
    finally:
        torch.set_num_threads(before)
    torch.testing.assert_close(y_fast, y_slow, rtol=1e-10, atol=1e-12)
    compare_gradients(fast, slow, rtol=1e-9, atol=1e-12)


@needs_kernel
def test_float32_kernel_accepts_strided_views_and_half_precision_inputs():
    """Mamba hands over transposed views (B and C are slices of x_proj's output); bfloat16 computes in float32."""
    base = scan_inputs(batch=2, width=16, state=4, length=20)
    wide = torch.cat([base["B"], base["C"]], dim=1).transpose(1, 2).contiguous().transpose(1, 2)  # (b, 2N, L) view
    strided = base | {"B": wide[:, :4], "C": wide[:, 4:]}
    ours = selective_scan(**{k: v.float() for k, v in strided.items()}, delta_softplus=True)
    expected = selective_scan_reference(**base, delta_softplus=True)
    torch.testing.assert_close(ours.double(), expected, rtol=1e-5, atol=1e-5 * expected.abs().max().item())
    half = selective_scan(**{k: v.bfloat16() for k, v in base.items()}, delta_softplus=True)
    assert half.dtype == torch.bfloat16


def conv_inputs(batch=2, width=19, length=17, kernel_size=4, dtype=torch.float64):
    g = torch.Generator().manual_seed(5)
    projected = torch.randn(batch, length, 2 * width, generator=g, dtype=dtype).transpose(1, 2)  # as in_proj gives it
    x, _ = projected.chunk(2, dim=1)  # (b, d, L), a strided view
    return x, torch.randn(width, kernel_size, generator=g, dtype=dtype), torch.randn(width, generator=g, dtype=dtype)


@needs_kernel
@pytest.mark.parametrize("activation", [None, "silu"])
@pytest.mark.parametrize("length", [1, 3, 17])
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
def test_conv_kernel_matches_f_conv1d_values_and_gradients(activation, length, with_bias):
    x, weight, bias = conv_inputs(length=length)
    bias = bias if with_bias else None
    inputs = [t.detach().clone().requires_grad_() for t in (x, weight) + ((bias,) if with_bias else ())]
    theirs = [t.detach().clone().requires_grad_() for t in inputs]
    ours = kernel.causal_conv1d_compiled(LIB, *inputs[:2], inputs[2] if with_bias else None, activation)
    expected = causal_conv1d_reference(*theirs[:2], theirs[2] if with_bias else None, activation)
    torch.testing.assert_close(ours, expected, rtol=1e-12, atol=1e-12)
    weights = torch.randn(expected.shape, dtype=torch.float64)
    (ours * weights).sum().backward()
    (expected * weights).sum().backward()
    for mine, reference in zip(inputs, theirs):
        torch.testing.assert_close(mine.grad, reference.grad, rtol=1e-12, atol=1e-12)


@needs_kernel
def test_stock_mamba_runs_both_kernels_after_import(monkeypatch):
    """A MambaForCausalLM built from a config goes through the compiled scan and conv, and agrees with
    transformers' own functions."""
    calls = []
    for name in ("CompiledScanFn", "CompiledConvFn"):
        function = getattr(kernel, name)
        monkeypatch.setattr(function, "apply", lambda *a, _f=function.apply, _n=name: calls.append(_n) or _f(*a))
    torch.manual_seed(0)
    model = MambaForCausalLM(MambaConfig(vocab_size=11, hidden_size=16, num_hidden_layers=2, state_size=4,
                                         use_cache=False))
    ids = torch.randint(0, 11, (2, 40))
    ours = model(ids, labels=ids).loss
    assert sorted(calls) == ["CompiledConvFn"] * 2 + ["CompiledScanFn"] * 2
    for name in ("mamba_selective_scan", "causal_conv1d_fn"):
        monkeypatch.setattr(modeling_mamba, name, getattr(modeling_mamba, name).__wrapped__)
    torch.testing.assert_close(ours, model(ids, labels=ids).loss, rtol=1e-5, atol=1e-6)


def test_env_torch_forces_the_pytorch_scan(monkeypatch):
    monkeypatch.setenv("HF_STATETRACK_SCAN", "torch")
    used = []
    monkeypatch.setattr(dispatch, "selective_scan_torch", lambda *a, **k: used.append("torch"))
    monkeypatch.setattr(dispatch, "causal_conv1d_reference", lambda *a, **k: used.append("conv"))
    base = scan_inputs(length=5)
    selective_scan(**{k: v.float() for k, v in base.items()})
    causal_conv1d(*conv_inputs(dtype=torch.float32), activation="silu")
    assert compiled.library() is None and used == ["torch", "conv"]


def test_unknown_env_value_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv("HF_STATETRACK_SCAN", "fast")
    with pytest.raises(StateTrackError, match=r"^HF_STATETRACK_SCAN='fast' is not one of auto, torch, compiled"):
        compiled.library()


@pytest.fixture
def fresh_build_state():
    compiled._load.cache_clear()
    compiled._warn_once.cache_clear()
    yield
    compiled._load.cache_clear()
    compiled._warn_once.cache_clear()


def test_without_a_compiler_one_warning_and_the_pytorch_scan(monkeypatch, fresh_build_state):
    monkeypatch.setenv("HF_STATETRACK_SCAN", "auto")
    monkeypatch.setenv("CXX", "no-such-compiler-hf-statetrack")
    base = {k: v.float() for k, v in scan_inputs(length=9).items()}
    with pytest.warns(UserWarning, match=r"^hf_statetrack: the compiled CPU scan is unavailable \(no C\+\+ "):
        y = selective_scan(**base, delta_softplus=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # only once per process
        selective_scan(**base, delta_softplus=True)
    expected = selective_scan_reference(**scan_inputs(length=9), delta_softplus=True)
    torch.testing.assert_close(y.double(), expected, rtol=1e-5, atol=1e-5 * expected.abs().max().item())
    monkeypatch.setenv("HF_STATETRACK_SCAN", "compiled")
    with pytest.raises(StateTrackError, match="HF_STATETRACK_SCAN=compiled but the CPU scan kernel is unavailable"):
        compiled.library()


@needs_kernel
def test_the_build_lands_in_the_cache_by_rename_and_is_reused(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))
    path = compiled.build("g++")
    assert path.parent == tmp_path / "hf_statetrack" and path.suffix == ".so"
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, path.name + ".lock"])
    stamp = path.stat().st_mtime_ns
    assert compiled.build("g++") == path and path.stat().st_mtime_ns == stamp
