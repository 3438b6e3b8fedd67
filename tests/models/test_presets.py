import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForTokenClassification
from transformers.models.auto.modeling_auto import MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES

from hf_statetrack import StateTrackError
from hf_statetrack.models import PRESETS as REGISTRY
from hf_statetrack.models import build_model, list_presets, preset_config
from hf_statetrack.models.preset_spec import FACTS, Preset, grows_with_length

from .tiny import LABELS, VOCAB, random_batch, tiny_model

PRESETS = list_presets()


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_carries_the_facts_its_consumers_read(preset):
    """Reports, tests and benchmarks keep no lists of preset names: they read these facts off the registry, so
    a new preset states each in its own folder. Each is checked the way its consumer uses it."""
    entry = REGISTRY.lookup(preset)
    assert isinstance(entry, Preset) and entry.name == preset
    checked = {"tiny", "recurrent", "eigenvalues", "loads_without_package", "state_size"}
    assert set(FACTS) == checked, "a new fact needs its check here"
    model = tiny_model(preset)  # tiny: the model tests' sizes (every knob accepted, a model of a few thousand weights)
    assert sum(p.numel() for p in model.parameters()) < 20_000
    assert isinstance(entry.recurrent, bool)  # the Illusion-of-State report's verdict
    label = entry.eigenvalue_range(model.config)  # the negative-eigenvalues report's "transition range"
    assert label is None or (isinstance(label, str) and label)
    state = entry.state_record(model.config)  # results.json's state_size (tests/models/test_state_size.py: counts)
    assert set(state) == {"per_layer", "total", "grows_with_length", "how"} and state["how"]
    if entry.loads_without_package:  # tests/models/test_save_load.py loads these in a process without us
        assert type(model)._auto_class == "AutoModelForTokenClassification"


def test_fact_of_the_wrong_kind_fails_naming_the_preset():
    with pytest.raises(TypeError, match="preset 'toy': tiny, recurrent is not"):
        Preset("toy", dict, object, object, tiny={}, recurrent="yes", eigenvalues=None, loads_without_package=False,
               state_size=grows_with_length)
    with pytest.raises(TypeError, match="preset 'toy': state_size is not"):  # a count must say how it counts
        Preset("toy", dict, object, object, tiny={"num_layers": 1}, recurrent=False, eigenvalues=None,
               loads_without_package=False, state_size=lambda config: None)


@pytest.mark.parametrize("preset", PRESETS)
def test_forward_backward_shapes(preset):
    model = tiny_model(preset).train()
    input_ids, labels = random_batch(batch=3, length=12)
    out = model(input_ids, labels=labels)
    assert out.logits.shape == (3, 12, LABELS)
    out.loss.backward()
    unused = [name for name, p in model.named_parameters() if p.grad is None]
    assert not unused, f"parameters without gradient: {unused}"


@pytest.mark.parametrize("preset", PRESETS)
def test_loss_is_mean_over_scored_positions(preset):
    model = tiny_model(preset)
    input_ids, labels = random_batch()
    out = model(input_ids, labels=labels)
    scored = labels != -100
    assert torch.allclose(out.loss, F.cross_entropy(out.logits[scored], labels[scored]))


@pytest.mark.parametrize("preset", PRESETS)
def test_loss_divides_by_num_items_in_batch(preset):
    """What Trainer relies on under gradient accumulation and DDP: summed CE / the global token count."""
    model = tiny_model(preset)
    input_ids, labels = random_batch()
    out = model(input_ids, labels=labels, num_items_in_batch=torch.tensor(100))
    summed = F.cross_entropy(out.logits.flatten(0, 1), labels.flatten(), ignore_index=-100, reduction="sum")
    assert torch.allclose(out.loss, summed / 100)


@pytest.mark.parametrize("preset", PRESETS)
def test_auto_class_builds_the_preset_class_and_leaves_stock_configs_alone(preset):
    """Our own configs map to our classes; a stock Llama / GPT-2 config keeps transformers' own head after
    `import hf_statetrack` (we do not take over a user's AutoModelForTokenClassification), with the same logits."""
    model = tiny_model(preset).eval()
    auto = AutoModelForTokenClassification.from_config(model.config).eval()
    stock = MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES.get(model.config.model_type)  # transformers' own head
    if stock:
        assert type(auto).__name__ == stock and type(auto).__module__.startswith("transformers.")
        auto.load_state_dict(model.state_dict())
        input_ids, _ = random_batch()
        torch.testing.assert_close(auto(input_ids).logits, model(input_ids).logits)
    else:
        assert type(auto) is type(model)


@pytest.mark.parametrize("preset", PRESETS)
def test_no_embedding_row_is_frozen_as_padding(preset):
    assert tiny_model(preset).get_input_embeddings().padding_idx is None


@pytest.mark.parametrize("preset", PRESETS)
def test_cache_is_off(preset):
    assert getattr(tiny_model(preset).config, "use_cache", False) is False


def test_knobs_reach_the_config():
    assert preset_config("gpt2", vocab_size=VOCAB, num_labels=LABELS, n_positions=64).n_positions == 64
    config = preset_config("mamba2", vocab_size=VOCAB, num_labels=LABELS, hidden_size=32, head_dim=8, n_groups=2)
    assert (config.num_heads, config.n_groups) == (8, 2)  # 2 * 32 / 8 heads
    assert preset_config("mamba", vocab_size=VOCAB, num_labels=LABELS, conv_kernel=2).conv_kernel == 2
    assert preset_config("gru", vocab_size=VOCAB, num_labels=LABELS, num_layers=3).num_layers == 3


BAD_INPUT = [
    ("mamba4", {}, "did you mean 'mamba' or 'mamba3' or 'mamba2'"),
    ("lstm", {"hiden_size": 8}, "did you mean 'hidden_size'"),
    ("lstm", {"cell": "gru"}, "available: num_layers, hidden_size, dropout"),
    ("gpt2", {"hidden_size": "64"}, "must be an integer"),
    ("gru", {"dropout": 1.5}, "must be in [0, 1)"),
    ("transformer", {"hidden_size": 40, "num_attention_heads": 3}, "not divisible"),
    ("mamba2", {"hidden_size": 16, "head_dim": 12}, "head_dim to divide"),
    ("mamba", {"state_size": 16.0}, "must be an integer"),
    ("mamba", {"use_mambapy": "yes"}, "use_mambapy"),
]


@pytest.mark.parametrize(("preset", "knobs", "message"), BAD_INPUT,
                         ids=[f"{preset}:{','.join(knobs)}" for preset, knobs, _ in BAD_INPUT])
def test_bad_preset_or_knob_is_one_clear_line(preset, knobs, message):
    with pytest.raises(StateTrackError) as err:
        build_model(preset, vocab_size=VOCAB, num_labels=LABELS, **knobs)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("preset", PRESETS)
def test_hidden_states_of_every_layer_for_probes(preset):
    model = tiny_model(preset)
    input_ids, _ = random_batch(batch=2, length=6)
    hidden_states = model(input_ids, output_hidden_states=True).hidden_states
    assert len(hidden_states) == model.config.num_hidden_layers + 1  # embeddings, then each layer
    assert all(h.shape == (2, 6, model.config.hidden_size) for h in hidden_states)
