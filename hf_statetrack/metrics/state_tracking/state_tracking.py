"""state_tracking: token, sequence and final-state accuracy of per-position state predictions.

A thin `evaluate.Metric` over `hf_statetrack.stats.scoring.compute_metrics`; load it with
``hf_statetrack.load_metric()`` or ``evaluate.load(hf_statetrack.metrics.METRIC_PATH)``.
`evaluate` copies this file into its modules cache and imports it from there, so every import
of the package is absolute, and only ``import evaluate`` (never ``from evaluate import Metric``)
appears at the top: the loader takes the first Metric subclass it finds in the module.
"""

import datasets
import evaluate

from hf_statetrack.stats.length_bins import Binning
from hf_statetrack.stats.scoring import check_label_rows, compute_metrics

_DESCRIPTION = """
Scores a model that predicts a state (a class id) at every position of a sequence, as in the
word problems of finite groups (the running product after each prefix) and the formal-language
tasks of the state-tracking literature. References of -100 mark positions that are not scored
(padding, BOS, unscored steps); predictions there are ignored. It reports token accuracy (over
all scored positions), sequence accuracy (rows whose every scored position is right), final-state
accuracy (the last scored position of each row), the same three per sequence length, token
accuracy per position, the unweighted mean over lengths of per-length token accuracy (the score of
Delétang et al. 2023), and the longest length up to which sequence accuracy stays >= a threshold
(the Illusion-of-State criterion, 0.9 by default), and each accuracy corrected for chance, (acc -
chance) / (1 - chance), so that scores compare across tasks. Every accuracy comes with the rows (sequence and
final-state) or scored positions (token) it rests on and a 95 % Wilson interval; lengths are also
pooled into bins of at least `min_rows` rows, over which a longest length that one row cannot move
is computed.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `list` of `int`): predicted class id at each position, one row per
        sequence (take the argmax of the logits first). Rows may have different lengths.
    references (`list` of `list` of `int`): the true class ids, -100 where not scored; row i must
        have as many positions as predictions row i.
    lengths (`list` of `int`, *optional*): the task length of each row (the dataset's `length`
        column), used for the per-length results. Defaults to each row's number of positions up to
        its last scored one. Pass it to `compute`, covering every row added with `add_batch`.
    threshold (`float`, *optional*, defaults to 0.9): the sequence accuracy a length (or bin) must
        reach for `max_length_at_threshold` (and `binned_max_length_at_threshold`).
    min_rows (`int`, *optional*, defaults to 20): rows a length bin needs, to be formed and to count.
    bin_edges (`list` of `int`, *optional*): fixed bins instead, each edge starting one.
    bound (`str`, *optional*, defaults to "point"): what the binned longest length compares with the
        threshold: "point" (the accuracy) or "lower" (its 95 % Wilson lower bound).
    chance (`float` or `dict`, *optional*): the chance levels to correct with: one number for all three
        accuracies (e.g. 1 / classes), or a mapping replacing some of them. Default: computed from the
        references, the accuracy of the best constant predictor (one label everywhere).

Returns:
    token_accuracy (`float`): fraction of scored positions predicted right, in [0, 1].
    sequence_accuracy (`float`): fraction of rows with every scored position right, in [0, 1].
    final_state_accuracy (`float`): fraction of rows whose last scored position is right, in [0, 1].
    length_mean_token_accuracy (`float`): token accuracy within each length, then the unweighted mean
        over the lengths (Delétang et al. 2023's score; token_accuracy pools positions, so there long
        rows weigh more). Pass `lengths` (the input lengths) to average as the paper does.
    token_accuracy_ci, sequence_accuracy_ci, final_state_accuracy_ci (`list`): 95 % Wilson intervals
        [lo, hi]; the token one treats positions as independent, so it is too narrow.
    max_length_at_threshold (`int`): the longest length L such that every length present that is
        <= L has sequence accuracy >= threshold; 0 if the shortest length already fails. One row
        of a sparse length can move it.
    binned_max_length_at_threshold (`int` or None): the same over length bins, counting only bins
        with at least `min_rows` rows, on the point estimate or the lower bound (`bound`); None if
        no bin has `min_rows` rows.
    num_sequences (`int`): rows with at least one scored position (the others are left out).
    num_scored_tokens (`int`): positions whose reference is not -100.
    by_length (`dict`): {length: {token_accuracy, sequence_accuracy, final_state_accuracy, count
        (rows), positions (scored positions), <accuracy>_ci}}, sorted by length.
    by_bin (`list`): the same entries over length bins, each with its `lengths` [first, last].
    binning (`dict`): min_rows, bin_edges, bound, threshold and key used.
    by_position (`dict`): parallel lists `position`, `token_accuracy`, `count` over the positions
        that some row scores.
    chance (`dict`): per accuracy (token_accuracy, sequence_accuracy, final_state_accuracy), its chance
        level: the share of scored positions holding the most frequent label (token), of rows whose
        last scored label is the most frequent one (final state), of rows holding one same label at every
        scored position (sequence); or the levels given.
    chance_corrected_accuracy (`dict`): per accuracy, (accuracy - chance) / (1 - chance): 0 at chance,
        1 when perfect, negative below chance; None where chance is 1 (a single label).

Examples:

    Example 1: three rows; position 0 of row 0 and position 2 of row 1 are not scored.
    Row 0 misses its last scored position, rows 1 and 2 are entirely right.

        >>> import evaluate
        >>> from hf_statetrack.metrics import METRIC_PATH
        >>> metric = evaluate.load(METRIC_PATH, keep_in_memory=True)
        >>> results = metric.compute(predictions=[[9, 1, 2, 0], [0, 4, 7], [2, 2, 2]],
        ...                          references=[[-100, 1, 2, 3], [0, 4, -100], [2, 2, 2]])
        >>> results["token_accuracy"], results["sequence_accuracy"], results["final_state_accuracy"]
        (0.875, 0.6666666666666666, 0.6666666666666666)
        >>> results["num_sequences"], results["num_scored_tokens"]
        (3, 8)
        >>> {k: results["by_length"][4][k] for k in ("sequence_accuracy", "count", "positions")}
        {'sequence_accuracy': 0.0, 'count': 1, 'positions': 3}
        >>> [round(x, 3) for x in results["sequence_accuracy_ci"]]
        [0.208, 0.939]
        >>> results["max_length_at_threshold"]
        3

    Per length (4, 2 and 3 here) token accuracy is 2/3, 1 and 1; Delétang et al.'s score is their mean:

        >>> round(results["length_mean_token_accuracy"], 4)
        0.8889

    Example 2: batches added one at a time, the dataset's `length` column and a lower threshold.

        >>> metric.add_batch(predictions=[[1, 2], [0, 0, 0]], references=[[1, 2], [0, 0, 1]])
        >>> metric.add_batch(predictions=[[5, 5, 5, 5]], references=[[5, 5, 4, 4]])
        >>> results = metric.compute(lengths=[2, 3, 4], threshold=0.5)
        >>> results["sequence_accuracy"], results["max_length_at_threshold"]
        (0.3333333333333333, 2)
        >>> results["by_position"]
        {'position': [0, 1, 2, 3], 'token_accuracy': [1.0, 1.0, 0.0, 0.0], 'count': [3, 3, 2, 1]}

    Example 3: two rows per length 1..20, the two rows of length 5 wrong. Per length the longest
    length is 4; over bins of at least 20 rows (lengths 1-10 with 18 of 20 right, 11-20) it is 20 on
    the point estimate, and 0 on the Wilson lower bound (18 of 20 is not surely >= 0.9).

        >>> refs = [[1, 1]] * 40
        >>> preds = [[1, 1]] * 8 + [[1, 0]] * 2 + [[1, 1]] * 30
        >>> lengths = [n for n in range(1, 21) for _ in range(2)]
        >>> results = metric.compute(predictions=preds, references=refs, lengths=lengths)
        >>> results["max_length_at_threshold"], results["binned_max_length_at_threshold"]
        (4, 20)
        >>> [(b["lengths"], b["count"]) for b in results["by_bin"]]
        [([1, 10], 20), ([11, 20], 20)]
        >>> metric.compute(predictions=preds, references=refs, lengths=lengths,
        ...                bound="lower")["binned_max_length_at_threshold"]
        0

    Example 4: chance. Three of four scored labels are 0, so a model answering 0 everywhere gets 75 %
    of the tokens right: chance 0.75. A model right on 7 of 8 tokens is half way from chance to
    perfect; with chance given as 1 / 2 classes it is three quarters of the way.

        >>> refs = [[0, 0, 1, 0], [0, 0, 0, 1]]
        >>> preds = [[0, 0, 1, 0], [0, 0, 0, 0]]
        >>> results = metric.compute(predictions=preds, references=refs)
        >>> results["chance"]["token_accuracy"], results["chance_corrected_accuracy"]["token_accuracy"]
        (0.75, 0.5)
        >>> metric.compute(predictions=preds, references=refs, chance=0.5)["chance_corrected_accuracy"]
        {'token_accuracy': 0.75, 'sequence_accuracy': 0.0, 'final_state_accuracy': 0.0}
"""

_CITATION = """
@inproceedings{merrill2024illusion,
  title={The Illusion of State in State-Space Models},
  author={Merrill, William and Petty, Jackson and Sabharwal, Ashish},
  booktitle={Proceedings of the 41st International Conference on Machine Learning},
  year={2024},
  eprint={2404.08819},
  archivePrefix={arXiv}
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class StateTracking(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({
                "predictions": datasets.List(datasets.Value("int32")),
                "references": datasets.List(datasets.Value("int32")),
            }),
            reference_urls=["https://arxiv.org/abs/2404.08819", "https://arxiv.org/abs/2405.17394"],
        )

    # evaluate casts inputs to the int32 features before `_compute` sees them, which would truncate 1.7 to 1:
    # every public entry point checks the values first.
    # evaluate appends the inputs description to these docstrings, so each needs one.
    def add_batch(self, *, predictions=None, references=None, **kwargs):
        """Add a batch of rows (integer label ids only)."""
        check_inputs(predictions, references)
        return super().add_batch(predictions=predictions, references=references, **kwargs)

    def add(self, *, prediction=None, reference=None, **kwargs):
        """Add one row (integer label ids only)."""
        check_inputs(None if prediction is None else [prediction], None if reference is None else [reference])
        return super().add(prediction=prediction, reference=reference, **kwargs)

    def compute(self, *, predictions=None, references=None, **kwargs):
        """Score the given rows, or those added so far (integer label ids only)."""
        check_inputs(predictions, references)
        return super().compute(predictions=predictions, references=references, **kwargs)

    def _compute(self, predictions, references, lengths=None, threshold=0.9, min_rows=None, bin_edges=None,
                 bound=None, chance=None):
        return compute_metrics(predictions, references, lengths=lengths, threshold=threshold,
                               binning=Binning.of(min_rows, bin_edges, bound), chance=chance)


def check_inputs(predictions, references) -> None:
    check_label_rows(predictions, "predictions")
    check_label_rows(references, "references")
