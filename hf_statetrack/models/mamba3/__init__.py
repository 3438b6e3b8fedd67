"""Mamba-3 (preset "mamba3"): complex state by data-dependent rotations, exponential-trapezoidal discretisation,
registered with the Auto classes. Checkpoints load with hf_statetrack installed (the blocks are DeltaNet's, so the
modeling code is not copied as remote code). `PRESET` is registered here; `use_rope: false` is the real-valued
ablation, `use_trapezoidal: false` Mamba-2's exponential-Euler rule.
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..preset_spec import Preset, register_preset
from .chunked import mamba3_chunked
from .configuration_mamba3 import Mamba3Config, state_size_per_layer
from .modeling_mamba3 import Mamba3ForTokenClassification, Mamba3Model
from .naive import mamba3_reference

AutoConfig.register(Mamba3Config.model_type, Mamba3Config, exist_ok=True)
AutoModel.register(Mamba3Config, Mamba3Model, exist_ok=True)
AutoModelForTokenClassification.register(Mamba3Config, Mamba3ForTokenClassification, exist_ok=True)


def mamba3(num_layers=2, hidden_size=64, dropout=0.0, state_size=16, expand=2, head_dim=16, n_groups=1,
           intermediate_size=None, chunk_size=64):
    """Mamba-3 (SISO) mixer + SwiGLU MLP blocks: inner width expand*hidden_size in heads of head_dim channels
    sharing B and C in n_groups groups, a state of state_size per channel whose first half rotates (complex) by
    data-dependent angles; MLP width 4*hidden_size unless intermediate_size is given."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout, state_size=state_size,
                expand=expand, head_dim=head_dim, n_groups=n_groups,
                intermediate_size=intermediate_size or 4 * hidden_size, chunk_size=chunk_size)


def eigenvalues(config: Mamba3Config) -> str:
    """alpha e^{+-i theta} with alpha in (0, 1) where the state rotates; real decays only with use_rope false."""
    return "complex, |z| < 1" if config.use_rope else "[0, 1]"


PRESET = Preset(name="mamba3", knobs_to_config=mamba3, config_class=Mamba3Config,
                model_class=Mamba3ForTokenClassification,
                tiny=dict(num_layers=2, hidden_size=16, state_size=8, head_dim=8, chunk_size=4),
                recurrent=False, eigenvalues=eigenvalues, loads_without_package=False,
                state_size=state_size_per_layer)
register_preset(PRESET)

__all__ = ["PRESET", "Mamba3Config", "Mamba3ForTokenClassification", "Mamba3Model", "mamba3", "mamba3_chunked",
           "mamba3_reference", "state_size_per_layer"]
