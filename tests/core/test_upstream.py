"""Every hook into another package's internals (`hf_statetrack.core.upstream`): it still holds on the installed
versions, and where it moves we fall back or refuse with one message naming the package version."""

import functools
import warnings

import datasets
import datasets.builder
import datasets.load
import pytest
import torch
from transformers import LlamaForTokenClassification
from transformers.models.mamba import modeling_mamba

from hf_statetrack.core import upstream
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.data import registration
from hf_statetrack.data.builder import check_datasets_builder
from hf_statetrack.models import build_model, selective_scan
from hf_statetrack.models.mamba_negeig.modeling_mamba_negeig import check_transformers_mixer
from hf_statetrack.models.presets import check_token_loss


@pytest.mark.parametrize("name", sorted(upstream.HOOKS))
def test_the_internal_still_holds(name):
    hook = upstream.HOOKS[name]
    problem = hook.check()
    assert problem is None, upstream.drift_message(hook, problem, f"update hf_statetrack/core/upstream.py ({name})")


def drifted(version_of):
    return pytest.warns(UserWarning, match=rf"^{version_of} {upstream.package_version(version_of)}: ")


def test_mamba_scan_moved_keeps_transformers_scan_with_one_warning(monkeypatch):
    monkeypatch.delattr(modeling_mamba, "mamba_selective_scan")
    with drifted("transformers"):
        assert selective_scan.install() is False
    assert not hasattr(modeling_mamba, "mamba_selective_scan")


def test_mamba_conv_moved_keeps_transformers_conv_with_one_warning(monkeypatch):
    monkeypatch.delattr(modeling_mamba, "causal_conv1d_fn")
    with drifted("transformers"):
        assert selective_scan.install() is False
    assert not hasattr(modeling_mamba, "causal_conv1d_fn")
    assert getattr(modeling_mamba.mamba_selective_scan, "_hf_statetrack_fast_scan", False)  # the scan hook stays


def test_mamba_conv_no_longer_called_by_the_mixer_is_drift(monkeypatch):
    def forward(self, hidden_states, **kwargs):
        return hidden_states  # computes without the module-level causal_conv1d_fn: our hook would do nothing

    monkeypatch.setattr(modeling_mamba.MambaMixer, "forward", forward)
    assert "no longer calls the module-level causal_conv1d_fn" in upstream.check_mamba_conv()


def test_mamba_scan_no_longer_called_by_the_mixer_is_drift(monkeypatch):
    def forward(self, hidden_states, **kwargs):
        return hidden_states  # no module-level mamba_selective_scan: our hook would do nothing

    monkeypatch.setattr(modeling_mamba.MambaMixer, "forward", forward)
    assert "no longer calls" in upstream.check_mamba_scan()


class Opaque:
    """What transformers 5.25 (through `kernels`) makes of a function: a callable object whose signature reads
    (*args, **kwargs), with no __wrapped__ to follow."""

    def __init__(self, function):
        self.function = function

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs)


SCAN, CONV = "mamba_selective_scan", "causal_conv1d_fn"


def wrap_theirs(monkeypatch, name, change=lambda function: function):
    monkeypatch.setattr(modeling_mamba, name, Opaque(change(upstream.theirs(getattr(modeling_mamba, name)))))


@pytest.mark.parametrize("name, ours", [(SCAN, selective_scan.selective_scan), (CONV, selective_scan.causal_conv1d)])
def test_a_wrapped_internal_that_behaves_the_same_is_not_drift(monkeypatch, name, ours):
    wrap_theirs(monkeypatch, name)
    check = upstream.check_mamba_scan if name == SCAN else upstream.check_mamba_conv
    assert check() is None and check(ours=ours) is None


def test_a_wrapped_mixer_constructor_is_not_drift_and_mamba_negeig_builds(monkeypatch):
    init = modeling_mamba.MambaMixer.__init__  # wrapped as 5.25 wraps it: the signature reads (self, *args, **kwargs)
    monkeypatch.setattr(modeling_mamba.MambaMixer, "__init__", lambda self, *args, **kw: init(self, *args, **kw))
    check_transformers_mixer.cache_clear()
    try:
        assert upstream.check_mamba_mixer() is None
        build_model("mamba_negeig", vocab_size=4, num_labels=4, num_layers=1, hidden_size=8)
    finally:
        check_transformers_mixer.cache_clear()


def test_a_scan_that_computes_something_else_is_drift(monkeypatch):
    wrap_theirs(monkeypatch, SCAN, lambda scan: lambda *args, **kwargs: 2 * scan(*args, **kwargs))
    assert "no longer computes what hf_statetrack's replacement computes" in upstream.check_mamba_scan(
        ours=selective_scan.selective_scan)


def test_a_scan_with_a_new_required_argument_is_drift(monkeypatch):
    wrap_theirs(monkeypatch, SCAN, lambda scan: lambda *args, initial_state, **kwargs: scan(*args, **kwargs))
    assert "initial_state" in upstream.check_mamba_scan()


def test_a_mixer_passing_an_argument_we_do_not_read_is_drift(monkeypatch):
    def forward(self, hidden_states, **kwargs):  # starts passing a state that our scan would drop
        return modeling_mamba.mamba_selective_scan(hidden_states, initial_state=None)

    monkeypatch.setattr(modeling_mamba, SCAN, lambda hidden_states, *args, **kwargs: hidden_states)
    monkeypatch.setattr(modeling_mamba.MambaMixer, "forward", forward)
    assert "passes initial_state to mamba_selective_scan" in upstream.check_mamba_scan()


def optional_added(a, b, c=None, extra=1): ...


def required_added(a, b, c=None, *, extra): ...


def b_gone(a, c=None): ...


@pytest.mark.parametrize("function, problem", [
    (optional_added, None), (functools.wraps(optional_added)(lambda *args, **kwargs: None), None),
    (required_added, "now requires extra"), (b_gone, "no longer takes b"), (lambda *args, **kwargs: None, None),
], ids=["optional added", "wrapped", "required added", "parameter gone", "signature says nothing"])
def test_a_signature_is_read_after_unwrapping_and_new_optional_parameters_are_fine(function, problem):
    assert upstream._call_problem(function, ["a", "b", "c"]) == problem


def test_mamba_mixer_moved_refuses_mamba_negeig_in_one_line(monkeypatch):
    monkeypatch.delattr(modeling_mamba, "apply_mask_to_padding_states")
    check_transformers_mixer.cache_clear()
    try:
        with pytest.raises(StateTrackError, match=r"^transformers [\d.]+\S*: .*apply_mask_to_padding_states.*"
                                                  r"mamba_negeig cannot be built"):
            build_model("mamba_negeig", vocab_size=4, num_labels=4, num_layers=1, hidden_size=8)
    finally:
        check_transformers_mixer.cache_clear()


def test_token_loss_that_ignores_num_items_is_caught(monkeypatch):
    def mean_loss(self):
        return lambda logits, labels, config, **kw: torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), labels.flatten(), ignore_index=-100)

    monkeypatch.setattr(LlamaForTokenClassification, "loss_function", property(mean_loss))
    check_token_loss.cache_clear()
    try:
        with drifted("transformers"):
            assert check_token_loss() is False
    finally:
        check_token_loss.cache_clear()


def test_datasets_loader_moved_leaves_hf_statetrack_load_dataset_working(monkeypatch):
    monkeypatch.delattr(datasets.load, "dataset_module_factory")
    with drifted("datasets"):
        assert registration.install_datasets_hook() is False


def test_datasets_builder_moved_refuses_in_one_line(monkeypatch):
    monkeypatch.delattr(datasets.builder, "Key")
    check_datasets_builder.cache_clear()
    try:
        with pytest.raises(StateTrackError, match=r"^datasets \S+: datasets.builder.Key is gone"):
            check_datasets_builder()
    finally:
        check_datasets_builder.cache_clear()


def test_importing_the_package_gives_no_drift_warning():
    import subprocess
    import sys

    code = ("import warnings\nwith warnings.catch_warnings(record=True) as seen:\n    warnings.simplefilter('always')\n"
            "    import hf_statetrack\nprint([str(w.message) for w in seen])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "transformers " not in out and "datasets " not in out, out


def test_a_hook_that_holds_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert upstream.warn_drift("datasets_loader", "unused") is True


@pytest.mark.parametrize("name", sorted(upstream.HOOKS))
def test_a_check_leaves_the_seeded_rng_alone(name):
    """Checks run inside build_model: they must not change the initialisation a seed gives."""
    torch.manual_seed(0)
    upstream.HOOKS[name].check()
    after = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(after, torch.rand(3))


def test_the_check_block_is_fully_initialised_whatever_memory_torch_empty_returns(monkeypatch):
    """transformers 5 leaves a bare MambaBlock's A_log and D as torch.empty (its model's post_init fills them):
    reading that memory made the scan comparison see 1e27s and call it drift in about 1 process in 18."""
    real_empty = torch.empty
    monkeypatch.setattr(torch, "empty", lambda *a, **k: real_empty(*a, **k).fill_(float("nan")))
    block, hidden = upstream._tiny_mamba_block()
    assert all(torch.isfinite(p).all() and p.abs().max() <= 0.5 for p in block.parameters())
    assert torch.isfinite(hidden).all()
