"""Every place hf_statetrack relies on another package's internals, and the check that it still holds.

Public APIs (Trainer, Auto classes, the model classes ``transformers`` exports,
``datasets.ArrowBasedBuilder``, ``Cache.batch_repeat_interleave``) are not listed. These are the things a
release can move without a deprecation (hook: package, what we rely on -> what happens if it moved):

* ``mamba_scan``: transformers, ``modeling_mamba.mamba_selective_scan``, a module attribute the mixer looks
  up at call time, called with (hidden_states, dt, A, B, C, D, z, delta_bias, delta_softplus,
  return_last_state) and options we ignore (use_mambapy, use_associative_scan)
  -> Mamba keeps transformers' own scan (slow on CPU), one warning.
* ``mamba_conv``: transformers, ``modeling_mamba.causal_conv1d_fn``, the same, called with (hidden_states,
  weight, bias, activation) -> Mamba keeps transformers' own causal conv (slower on CPU), one warning.
* ``mamba_mixer``: transformers, ``MambaBlock`` building a ``MambaMixer`` with its parameters (in_proj,
  conv1d, x_proj, dt_proj, A_log, D, out_proj), ``apply_mask_to_padding_states``, and the block passing the
  mask by keyword -> ``mamba_negeig`` refuses to build, one line naming the version.
* ``token_loss``: transformers, ``PreTrainedModel.loss_function`` of token-classification models returns
  summed cross-entropy / num_items_in_batch (every tagging head here uses it; Trainer relies on the
  division) -> one warning at the first `build_model`: losses under accumulation or DDP are mis-scaled.
* ``gated_delta_layers``: transformers, ``modeling_olmo_hybrid.OlmoHybridGatedDeltaNet`` (its q/k/v/a/b/g/o
  projections, conv1d, A_log, dt_bias, o_norm) and ``modeling_qwen3_next.torch_chunk_gated_delta_rule(query, key,
  value, g, beta, chunk_size, use_qk_l2norm_in_kernel)``, used only by tests as an independent reference for the
  ``gated_deltanet`` preset -> those parity tests are skipped with the reason; the preset itself does not use them.
* ``datasets_loader``: datasets, ``datasets.load.dataset_module_factory`` called by
  ``load_dataset_builder``, ``DatasetModule(module_path, hash, builder_kwargs)``
  -> ``datasets.load_dataset("hf_statetrack", ...)`` is off, one warning; ``hf_statetrack.load_dataset`` works.
* ``datasets_builder``: datasets, ``datasets.builder.Key``, ``_create_builder_config(config_name,
  custom_features, config_id=...)`` and the cache locks taken through ``datasets.builder.FileLock`` (left out
  to read a read-only cache) -> generation refuses, one line naming the version.

Each check returns None when the internal is there and behaves as we rely on, else one sentence on what
changed. Checks go by behaviour: they run the internal on a tiny input (the Mamba ones run a tiny stock
mixer and record what it calls, with what), because a release may wrap a function so that its signature
reads ``(*args, **kwargs)`` (transformers 5.25 does, through the ``kernels`` package); a signature is read
only after unwrapping, and new optional parameters are fine. `warn_drift` turns a problem into one warning
naming the package version, so a new release never gives a silently wrong answer. ``tests/core/test_upstream.py``
runs every check: a failing test there is the first sign of drift (``make test-latest`` runs the suite on the
newest releases).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version


@dataclass(frozen=True)
class Hook:
    name: str
    package: str
    check: Callable[..., str | None]  # None: still as we rely on it; else what changed


def package_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "(not installed)"


def drift_message(hook: Hook, problem: str, consequence: str) -> str:
    return f"{hook.package} {package_version(hook.package)}: {problem}; {consequence}"


def warn_drift(name: str, consequence: str, **check_arguments) -> bool:
    """Run hook `name`'s check; warn once (naming the package version) and return False if it fails."""
    hook = HOOKS[name]
    problem = hook.check(**check_arguments)
    if problem is None:
        return True
    warnings.warn(drift_message(hook, problem, consequence), stacklevel=3)
    return False


def require(name: str, consequence: str) -> None:
    """Run hook `name`'s check; where there is no stock behaviour to fall back to, refuse in one line."""
    from .errors import StateTrackError

    hook = HOOKS[name]
    problem = hook.check()
    if problem is not None:
        raise StateTrackError(drift_message(hook, problem, f"{consequence}; install the tested version "
                                                           f"(pip install -c constraints.txt -e .)"))


def _attribute(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _call_problem(fn, names: list[str]) -> str | None:
    """Whether a call passing `names` by keyword still fits `fn`'s signature, read after unwrapping decorators
    (``__wrapped__``). Added optional parameters are fine; a name it lost, or a new required one, is not. A
    signature with ``**kwargs`` (what a wrapper such as transformers 5.25's kernel hooks shows) cannot say:
    None here, and the check calls the function instead."""
    try:
        params = inspect.signature(inspect.unwrap(fn)).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    missing = [n for n in names if n not in params]
    required = [n for n, p in params.items() if n not in names and n != "self" and p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if missing:
        return f"no longer takes {', '.join(missing)}"
    return f"now requires {', '.join(required)}" if required else None


def _calls_global(fn, name: str) -> bool:
    """Whether `fn` (decorators unwrapped) reads the module-level name `name` when it runs."""
    return name in inspect.unwrap(fn).__code__.co_names


@contextlib.contextmanager
def _quiet_transformers():
    """A check calls transformers' PyTorch fallbacks, which log "falling back ... much slower" once: not the
    user's concern when hf_statetrack replaces them."""
    from transformers.utils import logging

    level = logging.get_verbosity()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(level)


MAMBA = "transformers.models.mamba.modeling_mamba"
OURS = "_hf_statetrack_fast_scan"  # set on hf_statetrack's dispatchers (models/selective_scan)
# What our scan and conv read, in transformers' positional order; the rest of a call must be in IGNORED.
SCAN_ARGS = ["hidden_states", "dt", "A", "B", "C", "D", "z", "delta_bias", "delta_softplus", "return_last_state"]
CONV_ARGS = ["hidden_states", "weight", "bias", "activation"]
IGNORED = {"use_mambapy", "use_associative_scan"}  # choices among transformers' own PyTorch paths
MIXER_PARAMETERS = ["in_proj", "conv1d", "x_proj", "dt_proj", "A_log", "D", "out_proj"]


def _tiny_mamba_block():
    """A MambaBlock as MambaModel builds it (hidden 4, inner 8, state 2) and an input (1, 3, 4)."""
    import torch
    from transformers import MambaConfig

    config = MambaConfig(hidden_size=4, state_size=2, num_hidden_layers=1, use_cache=False)
    with torch.random.fork_rng(devices=[]):  # a check must not move the caller's seeded RNG
        torch.manual_seed(0)
        block = importlib.import_module(MAMBA).MambaBlock(config, layer_idx=0)
        # A bare block is never initialised (transformers 5 fills A_log and D in the model's post_init): its
        # torch.empty memory made the comparison read garbage and report drift in about 1 process in 18.
        with torch.no_grad():
            for parameter in block.parameters():
                parameter.uniform_(-0.5, 0.5)
        return block, torch.randn(1, 3, 4)


def theirs(fn):
    """transformers' own function behind any hf_statetrack dispatcher (they keep it as ``__wrapped__``)."""
    return inspect.unwrap(fn, stop=lambda f: not getattr(f, OURS, False))


def mixer_calls(name: str) -> list[tuple[tuple, dict]]:
    """The (args, kwargs) of every call MambaMixer's forward makes to modeling_mamba.`name` on a tiny input,
    found by running it with that module attribute replaced by a recorder (so: looked up at call time)."""
    import torch

    module, calls = importlib.import_module(MAMBA), []
    current = getattr(module, name)

    def recorder(*args, **kwargs):
        calls.append((args, kwargs))
        return current(*args, **kwargs)

    block, hidden = _tiny_mamba_block()
    setattr(module, name, recorder)
    try:
        with torch.no_grad(), _quiet_transformers():
            block.mixer(hidden)
    finally:
        setattr(module, name, current)
    return calls


def _mixer_function(name: str, arguments: list[str], ours=None) -> str | None:
    """modeling_mamba.`name` is looked up by MambaMixer at call time, called with arguments we read, and
    (given `ours`, the function we put in its place) transformers' own gives what ours gives on that call."""
    if _attribute(MAMBA, name) is None or _attribute(MAMBA, "MambaMixer") is None:
        return f"modeling_mamba.{name} or MambaMixer is gone"
    try:
        calls = mixer_calls(name)
    except Exception as error:  # any failure of the stock forward on a tiny input is the news
        return f"MambaMixer's forward failed on a tiny input ({type(error).__name__}: {error})"
    if not calls:
        return f"MambaMixer.forward no longer calls the module-level {name}"
    args, kwargs = calls[0]
    unknown = sorted(set(kwargs) - set(arguments[len(args):]) - IGNORED)
    if len(args) > len(arguments):
        unknown.append(f"{len(args)} positional arguments")
    if unknown:
        return f"MambaMixer now passes {', '.join(unknown)} to {name}, which hf_statetrack does not read"
    return None if ours is None else _same_results(name, theirs(getattr(importlib.import_module(MAMBA), name)),
                                                   ours, args, kwargs)


def _same_results(name: str, original, ours, args, kwargs) -> str | None:
    import torch

    with torch.no_grad(), _quiet_transformers():
        expected, got = original(*args, **kwargs), ours(*args, **kwargs)
    expected, got = ((x,) if torch.is_tensor(x) else tuple(x) for x in (expected, got))
    if len(expected) != len(got) or not all(
            a.shape == b.shape and torch.allclose(a.float(), b.float(), rtol=1e-4, atol=1e-5)
            for a, b in zip(expected, got)):
        return f"{name} no longer computes what hf_statetrack's replacement computes on MambaMixer's call"
    return None


def check_mamba_scan(ours=None) -> str | None:
    return _mixer_function("mamba_selective_scan", SCAN_ARGS, ours)


def check_mamba_conv(ours=None) -> str | None:
    return _mixer_function("causal_conv1d_fn", CONV_ARGS, ours)


def check_mamba_mixer() -> str | None:
    """mamba_negeig keeps the mixer MambaBlock builds and changes its forward: the block must build a
    MambaMixer with the parameters our forward reads and pass it the mask by keyword."""
    names = ("MambaMixer", "MambaBlock", "apply_mask_to_padding_states")
    found = {n: _attribute(MAMBA, n) for n in names}
    gone = [n for n, v in found.items() if v is None]
    if gone:
        return f"modeling_mamba no longer has {', '.join(gone)}"
    import torch

    block, hidden = _tiny_mamba_block()
    if not isinstance(block.mixer, found["MambaMixer"]):
        return "MambaBlock.mixer is no longer a MambaMixer"
    missing = [n for n in MIXER_PARAMETERS + ["time_step_rank", "ssm_state_size", "activation"]
               if not hasattr(block.mixer, n)]
    if missing:
        return f"MambaMixer no longer has {', '.join(missing)}"
    seen, mask = {}, torch.ones(1, 3, dtype=torch.long)

    class Recorder(torch.nn.Module):  # stands in for the mixer and keeps the keywords it is called with
        def forward(self, hidden_states, *args, **kwargs):
            seen.update(kwargs)
            return hidden_states

    block.mixer = Recorder()
    block(hidden, attention_mask=mask)
    if seen.get("attention_mask") is not mask:
        return "MambaBlock no longer passes attention_mask to its mixer by keyword"
    return None


def check_token_loss() -> str | None:
    """Behaviour, not a signature: `model.loss_function(..., num_items_in_batch=n)` must be sum / n."""
    import torch
    from transformers import LlamaConfig, LlamaForTokenClassification

    config = LlamaConfig(vocab_size=4, hidden_size=8, intermediate_size=8, num_hidden_layers=1,
                         num_attention_heads=1, num_labels=3)
    logits, labels = torch.linspace(-1, 1, 12).reshape(1, 4, 3), torch.tensor([[0, 2, -100, 1]])
    with torch.random.fork_rng(devices=[]):  # a check must not move the caller's seeded RNG
        model = LlamaForTokenClassification(config)
    loss = model.loss_function(logits, labels, config, num_items_in_batch=torch.tensor(7))
    expected = torch.nn.functional.cross_entropy(logits[0], labels[0], ignore_index=-100, reduction="sum") / 7
    if not torch.allclose(loss, expected):
        return "the token-classification loss_function no longer divides the summed loss by num_items_in_batch"
    return None


OLMO_HYBRID = "transformers.models.olmo_hybrid.modeling_olmo_hybrid"
OLMO_GDN_PARTS = ["q_proj", "k_proj", "v_proj", "a_proj", "b_proj", "g_proj", "o_proj", "conv1d", "A_log", "dt_bias",
                  "o_norm"]


def check_gated_delta_layers() -> str | None:
    layer = _attribute(OLMO_HYBRID, "OlmoHybridGatedDeltaNet")
    kernel = _attribute("transformers.models.qwen3_next.modeling_qwen3_next", "torch_chunk_gated_delta_rule")
    if layer is None or kernel is None:
        return "OlmoHybridGatedDeltaNet or qwen3_next's torch_chunk_gated_delta_rule is gone"
    problem = _call_problem(kernel, ["query", "key", "value", "g", "beta", "chunk_size", "use_qk_l2norm_in_kernel"])
    if problem:
        return f"torch_chunk_gated_delta_rule {problem}"
    import torch
    from transformers import OlmoHybridConfig

    q = torch.linspace(-1, 1, 12).reshape(1, 3, 1, 4)  # (B, T, H, D); a wrapper's signature says nothing: call it
    try:
        with _quiet_transformers():
                out = kernel(q, q.flip(1), q, g=-q[..., 0].abs(), beta=q[..., 0].sigmoid(), chunk_size=2,
                         use_qk_l2norm_in_kernel=True)[0]
    except Exception as error:
        return f"torch_chunk_gated_delta_rule failed on a tiny call ({type(error).__name__}: {error})"
    if out.shape != q.shape:
        return f"torch_chunk_gated_delta_rule returned shape {tuple(out.shape)} for {tuple(q.shape)}"

    config = OlmoHybridConfig(hidden_size=8, num_hidden_layers=2, layer_types=["linear_attention", "full_attention"],
                              linear_num_key_heads=1, linear_num_value_heads=1, linear_key_head_dim=8,
                              linear_value_head_dim=8)
    with torch.random.fork_rng(devices=[]):  # a check must not move the caller's seeded RNG
        module = layer(config, layer_idx=0)
    gone = [n for n in OLMO_GDN_PARTS if not hasattr(module, n)]
    return f"OlmoHybridGatedDeltaNet no longer has {', '.join(gone)}" if gone else None


def check_datasets_loader() -> str | None:
    import datasets.load

    factory, builder_fn = (getattr(datasets.load, n, None) for n in ("dataset_module_factory", "load_dataset_builder"))
    if factory is None or builder_fn is None:
        return "datasets.load.dataset_module_factory or load_dataset_builder is gone"
    if "dataset_module_factory(" not in inspect.getsource(builder_fn):
        return "load_dataset_builder no longer calls dataset_module_factory"
    module = getattr(datasets.load, "DatasetModule", None)
    if module is None or _call_problem(module, ["module_path", "hash", "builder_kwargs"]):
        return "datasets.load.DatasetModule no longer takes (module_path, hash, builder_kwargs)"
    return None


def check_datasets_builder() -> str | None:
    import datasets

    if _attribute("datasets.builder", "Key") is None:
        return "datasets.builder.Key is gone"
    create = getattr(datasets.ArrowBasedBuilder, "_create_builder_config", None)
    if create is None or _call_problem(create, ["config_name", "custom_features", "config_id"]):
        return "DatasetBuilder._create_builder_config no longer takes (config_name, custom_features, config_id)"
    lock_users = (datasets.DatasetBuilder.__init__, datasets.DatasetBuilder.download_and_prepare)
    if _attribute("datasets.builder", "FileLock") is None or not all(_calls_global(f, "FileLock") for f in lock_users):
        return "DatasetBuilder no longer takes its cache locks through datasets.builder.FileLock"
    return None


HOOKS = {hook.name: hook for hook in (
    Hook("mamba_scan", "transformers", check_mamba_scan),
    Hook("mamba_conv", "transformers", check_mamba_conv),
    Hook("mamba_mixer", "transformers", check_mamba_mixer),
    Hook("token_loss", "transformers", check_token_loss),
    Hook("gated_delta_layers", "transformers", check_gated_delta_layers),
    Hook("datasets_loader", "datasets", check_datasets_loader),
    Hook("datasets_builder", "datasets", check_datasets_builder),
)}
