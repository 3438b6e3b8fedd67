"""What a preset is: a name, a function from its knobs to config fields, a config class and a model class.

Every architecture folder defines its own `Preset` (``PRESET = Preset(name=..., ...)``) beside its modeling
code; `presets` registers them with the built-in ones. Calling a preset validates the knobs (did-you-mean
for unknown names, integers >= 1, dropout in [0, 1)) and returns the config of a model trained from scratch.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

from huggingface_hub.errors import StrictDataclassError
from transformers import PreTrainedConfig, PreTrainedModel

from ..errors import StateTrackError
from ..registry import Registry

# Trained from scratch: no special-token ids (so no embedding row is frozen as padding) and no KV/SSM cache.
FROM_SCRATCH = {"pad_token_id": None, "bos_token_id": None, "eos_token_id": None, "use_cache": False}


@dataclasses.dataclass(frozen=True)
class Preset:
    name: str
    knobs_to_config: Callable[..., dict]  # knobs -> config kwargs
    config_class: type[PreTrainedConfig]
    model_class: type[PreTrainedModel]

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
