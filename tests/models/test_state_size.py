"""The recurrent state size every preset and architecture reports: each count against a hand count for a small
config, the architectures that keep a cache against what transformers' cache actually holds, and the record's
schema (which results.json and the benchmarks read)."""

import pytest
import torch
from transformers import AutoConfig, AutoModel

from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.models import PRESETS, list_presets, state_size_of
from hf_statetrack.models.architectures import backbone_fields, build_architecture
from hf_statetrack.models.state_size import of_architecture, of_module, record

from .tiny import LABELS, TINY, VOCAB, tiny_model

# Each preset's count for its `tiny` knobs (tests/models/tiny.py), worked out by hand from the equations in its
# modeling file. None: attention, grows with length.
HAND = {
    "transformer": None,
    "gpt2": None,
    # d_inner = 2 x 16 = 32, d_state 4, conv_kernel 4: SSM 32 x 4 + conv window 32 x 3
    "mamba": [32 * 4 + 32 * 3] * 2,
    "mamba_negeig": [32 * 4 + 32 * 3] * 2,
    # 4 heads of 8 (d_inner 32), d_state 4: SSM 4 x 8 x 4; conv over x, B, C = 32 + 2 x 4 channels, 3 past steps
    "mamba2": [4 * 8 * 4 + (32 + 2 * 4) * 3] * 2,
    "lstm": [16 + 16] * 2,  # h and c
    "gru": [16] * 2,
    "rnn": [16] * 2,
    # 2 heads of width 8: 2 x 8 x 8; conv_size 4 over q, k, v (3 x 16 channels): 3 past steps
    "deltanet": [2 * 8 * 8 + 3 * (3 * 16)] * 2,
    "gated_deltanet": [2 * 8 * 8 + 3 * (3 * 16)] * 2,
    # 2 Householder steps per token: q, 2 keys, 2 values = 5 x 16 conv channels
    "deltaproduct": [2 * 8 * 8 + 3 * (5 * 16)] * 2,
    "ids4": [2 * 4] * 2,  # 2 heads of 4 slots
    "stack_rnn": [16 + 1 * 6 * 4] * 2,  # hidden 16 + one stack of 6 cells of 4 numbers
    "tape_rnn": [16 + 1 * 6 * 4] * 2,  # hidden 16 + one tape of 6 cells of 4 numbers
    # 2 heads of 8: 2 x 8 x 8 wkv state; the previous token's input to the time and channel token shifts: 2 x 16
    "rwkv7": [2 * 8 * 8 + 2 * 16] * 2,
    # inner 2 x 16 = 32 in 4 heads of 8, N = 8: 4 x 8 x 8; the trapezoid keeps the previous k (8 per head) and x (32)
    "mamba3": [4 * 8 * 8 + 4 * 8 + 32] * 2,
    "pd_ssm": [2 * 4] * 2,  # N = 4 complex entries
}


def test_every_preset_has_a_hand_count():
    """A new preset adds its hand count above (and its `state_size` fact in its folder)."""
    assert set(list_presets()) <= set(HAND), f"no hand count for {sorted(set(list_presets()) - set(HAND))}"


@pytest.mark.parametrize("preset", list_presets())
def test_preset_count_matches_the_hand_count(preset):
    model = tiny_model(preset)
    found = state_size_of(model, PRESETS.lookup(preset))
    assert found["per_layer"] == HAND[preset]
    assert found["grows_with_length"] == (HAND[preset] is None)
    assert found["total"] == (None if HAND[preset] is None else sum(HAND[preset]))
    assert isinstance(found["how"], str) and 10 < len(found["how"]) < 240 and "\n" not in found["how"]


def test_a_knob_changes_the_count():
    """Counted from the built config, not from the defaults: a wider state or a conv switched off shows."""
    wide = PRESETS.lookup("mamba").state_record(PRESETS.lookup("mamba")(vocab_size=VOCAB, num_labels=LABELS,
                                                                        **{**TINY["mamba"], "state_size": 8}))
    assert wide["per_layer"] == [32 * 8 + 32 * 3] * 2
    deltanet = PRESETS.lookup("deltanet")
    plain = deltanet.state_record(deltanet(vocab_size=VOCAB, num_labels=LABELS, **TINY["deltanet"],
                                           use_short_conv=False))
    assert plain["per_layer"] == [2 * 8 * 8] * 2


SIZES = dict(num_layers=2, hidden_size=32)  # heads of 16 (architectures.HEAD_WIDTH): 2 heads
# model_type -> the count of each of its 2 layers at hidden 32 by hand (None: grows), or "unknown"
ARCHITECTURES = {
    # MambaConfig: expand 2 -> d_inner 64, d_state 16, conv_kernel 4
    "mamba": [64 * 16 + 64 * 3] * 2,
    "falcon_mamba": [64 * 16 + 64 * 3] * 2,
    # 4 heads of 16 (d_inner 64), d_state 128 (transformers' default), one group: conv over 64 + 2 x 128 channels
    "mamba2": [4 * 16 * 128 + (64 + 2 * 128) * 3] * 2,
    "rwkv": [3 * 32 + 2 * 32] * 2,  # WKV numerator, denominator, maximum; the last x into time and channel mixing
    # 2 heads; qk width 32 x 0.5 and v width 32 rounded up to 64, so 32 per head: C 32 x 32, n 32, m 1
    "xlstm": [2 * (32 * 32 + 32 + 1)] * 2,
    "recurrent_gemma": [32 + 32 * 3] * 2,  # two recurrent blocks: RG-LRU state of width 32 + conv window of 3
    # two Gated DeltaNet layers, 2 key and 2 value heads of 16: state 2 x 16 x 16; conv over 2 x 32 + 32 channels
    "qwen3_next": [2 * 16 * 16 + (2 * 32 + 32) * 3] * 2,
    "gemma3_text": [2 * 4095 * 2 * 16] * 2,  # sliding window 4096: keys and values of 4095 past tokens, 2 kv heads
    "llama": None, "gpt2": None, "gpt_neox": None, "bert": None,
    "lfm2": None, "olmo_hybrid": None, "minimax": None, "zamba": None,  # a full attention (or hybrid) layer
    "jamba": "unknown", "kimi_linear": "unknown",  # recurrent layers no rule counts
}


@pytest.mark.parametrize("model_type", ARCHITECTURES)
def test_architecture_count_matches_the_hand_count(model_type):
    config = AutoConfig.for_model(**backbone_fields(model_type, VOCAB, **SIZES))
    found, expected = of_architecture(config), ARCHITECTURES[model_type]
    if expected == "unknown":
        assert found["per_layer"] is None and not found["grows_with_length"]
        assert found["how"].startswith("not known for architecture")
    else:
        assert found["per_layer"] == expected and found["grows_with_length"] == (expected is None)
    assert found["how"]


def test_a_third_recurrent_gemma_layer_is_its_sliding_window_attention():
    config = AutoConfig.for_model(**backbone_fields("recurrent_gemma", VOCAB, num_layers=3, hidden_size=32))
    assert of_architecture(config)["per_layer"] == [32 * 4, 32 * 4, 2 * 2047 * 2 * 16]  # window 2048, 2 kv heads


def tensors_in(value) -> list:
    """Every tensor inside a cache object (its layers, lists, dicts, attributes)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensors_in(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors_in(v)]
    return tensors_in(vars(value)) if hasattr(value, "__dict__") else []


def cache_numbers(model_type: str, length: int) -> int:
    """Slow reference: the numbers transformers' own cache holds after `length` tokens of one row (counters
    excluded), read off a real forward."""
    config = AutoConfig.for_model(**{**backbone_fields(model_type, VOCAB, **SIZES), "use_cache": True})
    model = AutoModel.from_config(config).eval()
    with torch.no_grad():
        out = model(input_ids=torch.arange(length).reshape(1, length) % VOCAB, use_cache=True)
    return sum(t.numel() for t in tensors_in(out.state if model_type == "rwkv" else out.cache) if t.dim() > 0)


@pytest.mark.parametrize("model_type, conv_channels", [("rwkv", 0), ("mamba", 64), ("mamba2", 64 + 2 * 128)])
def test_counts_agree_with_what_the_cache_holds(model_type, conv_channels):
    """transformers keeps the whole conv kernel's window (4 inputs per channel); the next step needs only the last
    3 of them, which is what we count. The cache's size does not change with length."""
    held = cache_numbers(model_type, 5)
    assert held == cache_numbers(model_type, 9)
    config = AutoConfig.for_model(**backbone_fields(model_type, VOCAB, **SIZES))
    assert of_architecture(config)["total"] == held - 2 * conv_channels


def test_attention_cache_grows_where_we_say_it_grows():
    assert cache_numbers("llama", 9) > cache_numbers("llama", 5)


def test_built_architecture_and_pretrained_config_are_counted_alike():
    model = build_architecture("rwkv", vocab_size=VOCAB, num_labels=LABELS, **SIZES)
    assert state_size_of(model) == of_architecture(model.backbone.config)
    assert state_size_of(model)["total"] == 2 * (3 * 32 + 2 * 32)


class Counted(torch.nn.Module):
    def __init__(self, counts):
        super().__init__()
        self.counts = counts

    def state_size(self):
        """Two GRU layers: h."""
        return self.counts


def test_an_own_module_counts_itself_or_is_not_known():
    assert of_module(Counted([8, 8])) == record([8, 8], "Two GRU layers: h")
    assert of_module(Counted(None))["grows_with_length"] is True
    unknown = of_module(torch.nn.Linear(2, 2))
    assert unknown == {"per_layer": None, "total": None, "grows_with_length": False,
                       "how": "not known: Linear defines no state_size()"}


@pytest.mark.parametrize("counts", [[8, -1], "8", [8.0], [], [True]])
def test_a_wrong_own_count_is_one_line(counts):
    with pytest.raises(StateTrackError, match=r"Counted.state_size\(\) returned .*; return a list of whole numbers"):
        of_module(Counted(counts))
