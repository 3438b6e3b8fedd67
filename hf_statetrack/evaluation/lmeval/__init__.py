"""Our tasks as EleutherAI lm-evaluation-harness tasks (``statetrack lm-eval export``): `configs` writes the
YAML, `export` the rows and the folder (`export.export_tasks`). lm-eval itself is only needed to run them
(``pip install 'hf-statetrack[lmeval]'``). Nothing is imported here, so the CLI reads the defaults cheaply."""
