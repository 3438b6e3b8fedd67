"""Numbers from predictions, in numpy only: Wilson intervals (`intervals`), length bins and the binned longest
length (`length_bins`), and the pure scoring functions the Trainer, the metric and the CLI share (`scoring`,
also importable as `hf_statetrack.scoring`)."""
