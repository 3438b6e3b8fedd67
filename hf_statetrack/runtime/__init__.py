"""What running a model needs, shared by experiments, evaluation and probing: token tagging with the Trainer
(`tagging`), loading checkpoints and symbol maps (`checkpoints`), and the hook that gives transformers' Mamba our
fast CPU scan when it loads (`mamba_hook`). Importing this package imports nothing."""
