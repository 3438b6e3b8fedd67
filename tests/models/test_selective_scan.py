"""Both fast scans (the compiled kernel and the PyTorch one) against the plain float64 loop, and the hook into
transformers' own Mamba. The kernel's own tests (float64, conv, build, fallback) are in test_selective_scan_kernel."""

import pytest
import torch
from transformers import MambaConfig, MambaForCausalLM
from transformers.models.mamba import modeling_mamba

import hf_statetrack  # noqa: F401  (installs the hook)
from hf_statetrack.models.selective_scan import selective_scan, selective_scan_reference


def scan_inputs(batch=2, width=8, state=4, length=37, dt_scale=1.0, seed=1):
    g = torch.Generator().manual_seed(seed)
    f64 = dict(generator=g, dtype=torch.float64)
    return {"hidden_states": torch.randn(batch, width, length, **f64),
            "dt": torch.randn(batch, width, length, **f64) * dt_scale,
            "A": -torch.rand(width, state, **f64) * 3, "B": torch.randn(batch, state, length, **f64),
            "C": torch.randn(batch, state, length, **f64), "D": torch.randn(width, **f64),
            "z": torch.randn(batch, width, length, **f64), "delta_bias": torch.randn(width, **f64)}


@pytest.fixture(params=["compiled", "torch"])
def scan_path(request, monkeypatch):
    """HF_STATETRACK_SCAN for the test: the compiled kernel (skipped where it cannot be built) or PyTorch."""
    from hf_statetrack.models.selective_scan import compiled

    if request.param == "compiled" and compiled._load()[0] is None:
        pytest.skip("the C++ kernel could not be built (no g++?)")
    monkeypatch.setenv("HF_STATETRACK_SCAN", request.param)
    return request.param


@pytest.mark.parametrize("negative", [False, True], ids=["decay(0,1)", "decay(-1,1)"])
@pytest.mark.parametrize("dt_scale,length", [(1.0, 37), (30.0, 37), (1e-3, 37), (1.0, 2048)],
                         ids=["dt~1", "dt-large", "dt-tiny", "L2048"])
def test_values_and_all_gradients_match_the_float64_loop(negative, dt_scale, length, scan_path):
    base = scan_inputs(length=length, dt_scale=dt_scale)
    fast = {k: v.float().requires_grad_() for k, v in base.items()}
    slow = {k: v.clone().requires_grad_() for k, v in base.items()}
    y_fast = selective_scan(**fast, delta_softplus=True, negative_eigenvalues=negative)
    y_slow = selective_scan_reference(**slow, delta_softplus=True, negative_eigenvalues=negative)
    weights = torch.randn(y_slow.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    (y_fast * weights.float()).sum().backward()
    (y_slow * weights).sum().backward()
    assert y_fast.dtype == torch.float32
    torch.testing.assert_close(y_fast.double(), y_slow, rtol=1e-5, atol=1e-5 * y_slow.abs().max().item())
    for name in base:
        expected = slow[name].grad
        torch.testing.assert_close(fast[name].grad.double(), expected, rtol=1e-4,
                                   atol=1e-5 * expected.abs().max().item(), msg=f"gradient of {name}")


def test_last_state_is_returned_for_the_cache(scan_path):
    base = scan_inputs(length=12)
    ours, state = selective_scan(**{k: v.float() for k, v in base.items()}, delta_softplus=True,
                                 return_last_state=True)
    _, expected = selective_scan_reference(**base, delta_softplus=True, return_last_state=True)
    assert state.shape == (2, 8, 4)
    torch.testing.assert_close(state.double(), expected, rtol=1e-5, atol=1e-5)


def test_stock_transformers_mamba_uses_the_fast_scan_and_agrees_with_its_own_loop(monkeypatch):
    config = MambaConfig(vocab_size=11, hidden_size=16, num_hidden_layers=2, state_size=4, use_cache=False)
    torch.manual_seed(0)
    model = MambaForCausalLM(config).train()
    ids = torch.randint(0, 11, (2, 24))
    calls = []
    fast = modeling_mamba.mamba_selective_scan
    monkeypatch.setattr(modeling_mamba, "mamba_selective_scan", lambda *a, **k: calls.append(1) or fast(*a, **k))
    loss = model(ids, labels=ids).loss
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    assert len(calls) == 2 and getattr(fast, "_hf_statetrack_fast_scan", False)
    model.zero_grad()
    monkeypatch.setattr(modeling_mamba, "mamba_selective_scan", slow_stock_loop)
    stock_loss = model(ids, labels=ids).loss
    stock_loss.backward()
    torch.testing.assert_close(loss, stock_loss, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(grads, (p.grad for p in model.parameters())):
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-6)


def slow_stock_loop(hidden_states, dt, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                    return_last_state=False, **kwargs):
    """The same recurrence written as transformers' fallback does (per-step indexing, float32)."""
    assert not return_last_state
    return selective_scan_reference(hidden_states, dt, A, B, C, D, z, delta_bias, delta_softplus)


@pytest.mark.gpu
def test_on_cuda_with_mamba_ssm_the_kernel_stays_in_charge(monkeypatch):
    pytest.importorskip("mamba_ssm")
    hooked = modeling_mamba.mamba_selective_scan
    calls = []
    monkeypatch.setattr(hooked, "__wrapped__", lambda *a, **k: calls.append("kernel"))
    base = {k: v.float().cuda() for k, v in scan_inputs(length=8).items()}
    hooked(**base, delta_softplus=True)
    assert calls == ["kernel"]
