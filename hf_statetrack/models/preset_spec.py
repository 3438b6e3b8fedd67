"""What a preset is: a name, a function from its knobs to config fields, a config class and a model class,
plus the facts that reports, tests and benchmarks read instead of keeping their own lists of names.

Every architecture folder defines its own `Preset` (``PRESET = Preset(name=..., ...)``) beside its modeling
code and registers it in `PRESETS` (``register_preset(PRESET)``); `presets` registers the built-in ones and
imports the folders. Calling a preset validates the knobs (did-you-mean for unknown names, integers >= 1,
dropout in [0, 1)) and returns the config of a model trained from scratch.

>>> preset = Preset("toy", lambda num_layers=1: {}, PreTrainedConfig, PreTrainedModel, tiny={"num_layers": 1},
...                 recurrent=False, eigenvalues=allow_negative_eigenvalues, loads_without_package=False,
...                 state_size=grows_with_length)
>>> preset.eigenvalue_range(PreTrainedConfig(allow_negative_eigenvalues=False))
'[0, 1]'
>>> preset.state_record(PreTrainedConfig())["grows_with_length"]
True
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

from huggingface_hub.errors import StrictDataclassError
from transformers import PreTrainedConfig, PreTrainedModel

from ..core.errors import StateTrackError
from ..core.registry import Registry
from .state_size import how_of, record

# Trained from scratch: no special-token ids (so no embedding row is frozen as padding) and no KV/SSM cache.
FROM_SCRATCH = {"pad_token_id": None, "bos_token_id": None, "eos_token_id": None, "use_cache": False}


def allow_negative_eigenvalues(config: PreTrainedConfig) -> str:
    """The `eigenvalues` fact of a config with an ``allow_negative_eigenvalues`` field (the delta-rule models)."""
    return "[-1, 1]" if config.allow_negative_eigenvalues else "[0, 1]"


def grows_with_length(config: PreTrainedConfig) -> None:
    """Attention: every past key and value is kept, so the state grows with length."""
    return None


def _fact(text: str):
    """A fact about a preset: keyword-only, no default (a new preset states each one), with its help text."""
    return dataclasses.field(kw_only=True, metadata={"help": text})


@dataclasses.dataclass(frozen=True)
class Preset:
    name: str
    knobs_to_config: Callable[..., dict]  # knobs -> config kwargs
    config_class: type[PreTrainedConfig]
    model_class: type[PreTrainedModel]
    tiny: dict = _fact("knobs of a model small enough that every model test runs in well under a second on CPU")
    recurrent: bool = _fact("one layer tracks any group at any length (a non-linear or non-diagonal recurrence, "
                            "as LSTM or IDS4): the Illusion-of-State report expects depth 1 everywhere")
    eigenvalues: str | Callable[[PreTrainedConfig], str] | None = _fact(
        "range of the state transition's eigenvalues as the reports print it, e.g. '[0, 1]' or '[-1, 1]' (or a "
        "function of the built config where a config field picks it); None without a linear state transition "
        "(attention, LSTM)")
    loads_without_package: bool = _fact("save_pretrained copies the modeling code next to the weights, so a "
                                        "checkpoint loads with trust_remote_code=True where hf_statetrack is absent")
    state_size: Callable[[PreTrainedConfig], list[int] | None] = _fact(
        "the recurrent state of the built config: a function returning the numbers each layer carries from one token "
        "to the next (None: grows with length, as attention; `grows_with_length`), whose docstring's first line says "
        "what it counts (models/state_size.py; results.json's state_size)")

    def __post_init__(self):
        """A fact of the wrong kind (an empty `tiny`, a string for a bool) fails at import, naming the preset."""
        eigenvalues = self.eigenvalues
        ok = {"tiny": isinstance(self.tiny, dict) and bool(self.tiny),
              "recurrent": isinstance(self.recurrent, bool),
              "eigenvalues": eigenvalues is None or callable(eigenvalues) or isinstance(eigenvalues, str),
              "loads_without_package": isinstance(self.loads_without_package, bool),
              "state_size": callable(self.state_size) and bool(how_of(self.state_size))}
        wrong = [name for name, good in ok.items() if not good]
        if wrong:
            raise TypeError(f"preset {self.name!r}: {', '.join(wrong)} is not what Preset's help says "
                            "(hf_statetrack/models/preset_spec.py)")

    def eigenvalue_range(self, config: PreTrainedConfig) -> str | None:
        """The `eigenvalues` fact for a config this preset built (e.g. one with allow_negative_eigenvalues false)."""
        return self.eigenvalues(config) if callable(self.eigenvalues) else self.eigenvalues

    def state_record(self, config: PreTrainedConfig) -> dict:
        """The `state_size.record` of a config this preset built: per-layer counts, total, and how they were counted."""
        return record(self.state_size(config), how_of(self.state_size))

    @property
    def defaults(self) -> dict:
        """The preset's own knobs and their defaults."""
        return {k: p.default for k, p in inspect.signature(self.knobs_to_config).parameters.items()}

    def pass_through_fields(self) -> list[str]:
        """Config fields a knob may set directly: the config class's own, minus those the preset derives."""
        taken = {f.name for f in dataclasses.fields(PreTrainedConfig)} | {"vocab_size", *FROM_SCRATCH}
        taken |= {*self.defaults, *self.knobs_to_config()}
        return [f.name for f in dataclasses.fields(self.config_class) if f.name not in taken]

    def check_knobs(self, knobs: dict) -> None:
        """Unknown names fail with did-you-mean; the preset's own knobs must be numbers (the config checks the rest)."""
        valid = Registry(f"{self.name} knob")
        for name in [*self.defaults, *self.pass_through_fields()]:
            valid.register(name, self.knobs_to_config)
        for name, value in knobs.items():
            valid.lookup(name)
            if name in self.defaults:
                self._check_number(name, value)

    def _check_number(self, name: str, value) -> None:
        default = self.defaults[name]
        if value is None and default is None:  # None = derive it from the other knobs
            return
        real = isinstance(default, float)
        if isinstance(value, bool) or not isinstance(value, (int, float) if real else int):
            raise StateTrackError(f"{self.name} knob {name!r} must be {'a number' if real else 'an integer'}, "
                                  f"got {value!r}")
        if name == "dropout" and not 0 <= value < 1:
            raise StateTrackError(f"{self.name} knob 'dropout' must be in [0, 1), got {value!r}")
        if not real and value < 1:  # every integer knob is a count or a size
            raise StateTrackError(f"{self.name} knob {name!r} must be >= 1, got {value!r}")

    def __call__(self, *, vocab_size: int, num_labels: int, **knobs) -> PreTrainedConfig:
        self.check_knobs(knobs)
        own = {k: v for k, v in knobs.items() if k in self.defaults}
        fields = {f.name for f in dataclasses.fields(self.config_class)}
        kwargs = {k: v for k, v in FROM_SCRATCH.items() if k in fields}
        kwargs |= self.knobs_to_config(**own) | {k: v for k, v in knobs.items() if k not in own}
        try:
            return self.config_class(vocab_size=vocab_size, num_labels=num_labels, **kwargs)
        except (ValueError, TypeError, StrictDataclassError) as err:
            raise StateTrackError(f"model preset {self.name!r}: {' '.join(str(err).split())}") from None


PRESETS = Registry("model preset")


def register_preset(preset: Preset) -> None:
    """Makes `preset` known by its name: `model: {preset: NAME}`, `build_model(NAME, ...)`, `list_presets()`."""
    PRESETS.register(preset.name, preset)


# What a preset states besides how to build it; tests/models/test_presets.py checks each registered one.
FACTS = [f.name for f in dataclasses.fields(Preset) if f.kw_only]
