"""Experiments: the YAML schema (`config`), training from scratch (`pipeline`), fine-tuning pretrained
causal LMs (`finetune`), the dispatcher between them (`run`) and grids of runs (`sweep`)."""
