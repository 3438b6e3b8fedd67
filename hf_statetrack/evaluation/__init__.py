"""Evaluating checkpoints on tasks, by length: our token checkpoints (`checkpoint`), any causal LM in
context (`incontext`), `dispatch.evaluate_model`, which picks one (`statetrack eval`), and our tasks
exported as lm-evaluation-harness tasks (`lmeval`). Nothing is imported here: `statetrack` reads the
lm-eval defaults without loading torch."""
