"""The ``statetrack`` command (also ``python -m hf_statetrack``).

    statetrack tasks                      # every task, one line each, grouped by family
    statetrack tasks S5                   # what S5 is, with a worked example
    statetrack generate S5 --train-length 2-20 --num-train 10000 --num-test 1000 --out data/S5
    statetrack demo                       # generate a small S5 dataset and show a row
    statetrack train eval_configs/s5-lstm.yaml --set training.learning_rate=3e-4
    statetrack eval --model outputs/s5-lstm --task S5 --test-length 8,16,32
    statetrack eval --model EleutherAI/pythia-160m --task S5 --test-length 2,4,8 --shots 5   # any causal LM
    statetrack probe --model outputs/s5-lstm --task S5 --train-length 2-16
    statetrack sweep eval_configs/quickstart.yaml                    # runs in parallel on the free cores (or GPUs)
    statetrack sweep eval_configs/quickstart.yaml --max-parallel 1   # one run after another in this process
    statetrack sweep eval_configs/quickstart.yaml --launcher ray --max-parallel 2   # runs in parallel on Ray
    statetrack benchmark --models transformer,lstm,arch:rwkv --dry-run   # one scorecard over a task suite
    statetrack lm-eval export lmeval_tasks --tasks S5 A5 parity --test-length 2,4,8,16   # for lm_eval --include_path
    statetrack train my_model.yaml --import my_pkg.modeling   # your own architecture (docs: Your own model)
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from pathlib import Path

from .core import threads
from .core.errors import StateTrackError
from .core.imports import command_line_imports
from .core.yaml_loader import parse_yaml
from .data.params import DEFAULT_LENGTH
from .evaluation.lmeval.configs import DEFAULT_LENGTHS, DEFAULT_TASKS, MODES
from .tasks import TASKS, get_task, list_tasks


def add_generation_args(parser: argparse.ArgumentParser) -> None:
    """The parameters common to every task, spelled as in `load_dataset` and YAML."""
    parser.add_argument("--train-length", default=None,
                        help="an int or an inclusive range, e.g. 20 or 2-20 (default: the task's protocol, else 2-16)")
    parser.add_argument("--test-length", default=None, help="default: the train lengths")
    parser.add_argument("--num-train", type=int, required=True)
    parser.add_argument("--num-test", type=int, required=True)
    parser.add_argument("--num-validation", type=int, default=None, help="default: --num-test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--distinct", action="store_true",
                        help="every input at most once across all splits (one fixed length); a request above the "
                             "number of strings of that length is capped in proportion")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a task parameter, e.g. --param generators=transpositions (repeatable)")


def generation_kwargs(args: argparse.Namespace, with_common: bool = True) -> dict:
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise StateTrackError(f"--param takes KEY=VALUE, got {item!r}")
        params[key] = parse_yaml(value, f"--param {key}")
    if not with_common:
        return params
    return dict(train_length=args.train_length, test_length=args.test_length, num_train=args.num_train,
                num_test=args.num_test, num_validation=args.num_validation, seed=args.seed, distinct=args.distinct,
                **params)


FAMILY_ORDER = ["group_word_problems", "formal_languages", "chomsky_hierarchy", "flip_flop", "text"]


def text_example(task) -> str:
    """One short row of the task in the text format, e.g. S5: "34152 41523 43521 = 13254"."""
    import numpy as np

    from .text import default_answers, render_row

    batch = task.sample(np.random.default_rng(0), task.length_support(4, 12)[:1])
    input_ids, labels, _ = next(batch.rows())
    return render_row(task, input_ids, labels, default_answers(task)).text


def cmd_tasks(args: argparse.Namespace) -> None:
    from .text import default_answers

    if args.name:
        task = get_task(args.name)
        print(task.describe())
        if task.protocol:
            print(f"protocol (used when train_length is omitted): train lengths {task.protocol['train_length']}, "
                  f"test lengths {task.protocol['test_length']}")
        else:
            print(f"lengths when train_length is omitted: {DEFAULT_LENGTH} (no literature protocol)")
        print(f"as text for pretrained LMs (answers={default_answers(task)}): {text_example(task)}")
        return
    by_family = defaultdict(list)
    for name in list_tasks():
        by_family[TASKS.lookup(name).family].append(name)
    if args.family is not None and args.family not in by_family:
        raise StateTrackError(f"unknown family {args.family!r}; families: {', '.join(by_family)}")
    for family, names in sorted(by_family.items(), key=lambda item: FAMILY_ORDER.index(item[0])
                                if item[0] in FAMILY_ORDER else len(FAMILY_ORDER)):
        if args.family in (None, family):
            print(f"{family}:")
            print("\n".join(f"  {get_task(name).one_line()}" for name in names))
    if args.family in (None, "group_word_problems"):
        print("Any group spec also works: Sn, An, Zn, Dn, Q8, perm(...) and products like Z3_x_S3.")
    if args.family in (None, "text"):
        print("Any cups_S<n> with 2 <= n <= 7 also works (cups_S6, cups_S7).")


def cmd_generate(args: argparse.Namespace) -> None:
    from .data.export import write_hub_folder
    from .data.params import GenerationParams

    params = GenerationParams.resolve(args.name, **generation_kwargs(args))
    folder = write_hub_folder(args.out, {args.config_name or args.name: params}, pretty_name=args.name,
                              overwrite=args.overwrite, num_proc=args.num_proc, text=args.text)
    print(f"wrote {folder}: load it with datasets.load_dataset({str(folder)!r}, {args.config_name or args.name!r})")


def cmd_demo(args: argparse.Namespace) -> None:
    from .data import load_dataset

    task = get_task("S5")
    ds = load_dataset("S5", train_length=(2, 8), test_length=16, num_train=2000, num_test=200)
    print(task.describe(), "\n")
    print(ds, "\n")
    row = ds["test"][0]
    print(f"a test row (length {row['length']}), token ids and the elements they stand for:")
    for key, ids in (("input_ids", row["input_ids"]), ("labels", row["labels"])):
        print(f"  {key:<9}  {' '.join(f'{i:>5}' for i in ids)}")
        print(f"  {'':<9}  {' '.join(f'{task.vocab[i]:>5}' for i in ids)}")


def parse_test_lengths(text: str) -> list:
    """``"8,16,20-40"`` -> [8, 16, (20, 40)]."""
    from .data.params import parse_length

    lengths = []
    for item in text.split(","):
        lo, hi = parse_length(item.strip(), "--test-length")
        lengths.append(lo if lo == hi else (lo, hi))
    return lengths


def cmd_train(args: argparse.Namespace) -> None:
    from accelerate import PartialState

    from .experiments.config import load_config
    from .experiments.run import run_experiment
    from .experiments.rundir import check_output_dir
    from .experiments.runlock import run_lock

    cfg = load_config(args.config, [*args.set, *(["overwrite=true"] if args.overwrite else [])])
    threads.use(threads.choose(args.threads, cfg.threads))
    check_output_dir(cfg)  # before the lock creates the folder
    single = PartialState().num_processes == 1  # under accelerate launch, process 0 claims the folder instead
    with run_lock(cfg.output_dir, cfg.output_dir, wait=False) if single else nullcontext():
        run_experiment(cfg)
    if PartialState().is_main_process:
        print(f"\n{(Path(cfg.output_dir) / 'results.md').read_text()}\nresults, model and plot in {cfg.output_dir}/")


def cmd_eval(args: argparse.Namespace) -> None:
    from accelerate import PartialState

    from .evaluation.dispatch import evaluate_model

    params = generation_kwargs(args, with_common=False) if args.param else None
    threads.use(threads.choose(args.threads))
    results = evaluate_model(args.model, args.task, parse_test_lengths(args.test_length), num_test=args.num_test,
                             output_dir=args.output_dir, batch_size=args.batch_size, threshold=args.threshold,
                             seed=args.seed, task_params=params, shots=args.shots, mode=args.mode,
                             max_choices=args.max_choices, log_samples=args.log_samples)
    out = Path(results.output_dir)
    if PartialState().is_main_process:  # under accelerate launch only the main process writes
        print(f"\n{(out / 'results.md').read_text()}\nresults and plot in {out}/")


def cmd_probe(args: argparse.Namespace) -> None:
    from accelerate import PartialState

    from .probing import CONTROLS, run_probe

    controls = CONTROLS if args.control == "both" else (args.control,)
    threads.use(threads.choose(args.threads))
    results = run_probe(args.model, args.task, train_length=args.train_length, test_length=args.test_length,
                        num_train=args.num_train, num_test=args.num_test, seed=args.seed, batch_size=args.batch_size,
                        epochs=args.epochs, controls=controls, task_params=generation_kwargs(args, with_common=False),
                        output_dir=args.output_dir)
    out = Path(results.output_dir)
    if PartialState().is_main_process:  # under accelerate launch only the main process writes
        print(f"\n{(out / 'probe_results.md').read_text()}\nresults and plot in {out}/")


def launch_options(args: argparse.Namespace):
    from .experiments.launchers import LaunchOptions

    return LaunchOptions(launcher=args.launcher, gpus_per_run=args.gpus_per_run, cpus_per_run=args.cpus_per_run,
                         max_parallel=args.max_parallel, address=args.address, threads=args.threads)


def cmd_sweep(args: argparse.Namespace) -> None:
    from .experiments.sweep import run_sweep

    run_sweep(args.config, overwrite_args(args), seeds=args.seeds, output_dir=args.output_dir,
              launch=launch_options(args))
    print_sweep(args.config, args.set, args.output_dir)


def overwrite_args(args: argparse.Namespace) -> list[str]:
    return [*args.set, *(["overwrite=true"] if args.overwrite else [])]


def print_sweep(config: str, overrides: list[str], output_dir: str | None) -> None:
    """The sweep's report (or search table, or summary), then one error line if runs failed or did not finish."""
    import json

    from .experiments.sweep_config import load_sweep

    root = load_sweep(config, overrides, output_dir).root
    shown = [f for f in ("report.md", "search.md", "summary.md") if (root / f).is_file()][0]
    print(f"\n{(root / shown).read_text()}\nsummary, per-run results and plots in {root}/")
    count = sum(len(p.get("failed", ())) for p in json.loads((root / "summary.json").read_text()).values())
    if count:
        raise StateTrackError(f"{count} run{'s' * (count != 1)} failed or did not finish (errors in "
                              f"{root}/summary.json); run the same command again to retry them")


def cmd_reproduce(args: argparse.Namespace) -> None:
    from .experiments import reproduce

    if args.list:
        print(reproduce.list_reproductions())
    elif not args.name:
        raise StateTrackError("name a reproduction (statetrack reproduce --list shows them)")
    elif args.dry_run:
        print(reproduce.plan(args.name, args.scale, args.seeds, overwrite_args(args), args.output_dir))
    else:
        reproduce.reproduce(args.name, args.scale, args.seeds, overwrite_args(args), args.output_dir,
                            launch_options(args))
        print_sweep(str(reproduce.config_path(args.name, args.scale)), args.set, args.output_dir)


def cmd_benchmark(args: argparse.Namespace) -> None:
    from .experiments import benchmark

    plan = benchmark.make_plan(args.suite, args.scale, args.models, args.seeds, overwrite_args(args), args.output_dir)
    if args.dry_run:
        print(benchmark.dry_run(plan))
        return
    card = benchmark.run_benchmark(plan, launch_options(args))
    print(f"\n{(plan.root / 'scorecard.md').read_text()}\nscorecard (.md, .json, .png), score_by_state_size.png, the "
          f"sweep's summary and every run in {plan.root}/")
    count = benchmark.failed_runs(card)
    if count:
        raise StateTrackError(f"{count} run{'s' * (count != 1)} failed or did not finish (errors in "
                              f"{plan.root}/scorecard.md); run the same command again to retry them")


def cmd_lmeval_export(args: argparse.Namespace) -> None:
    from .evaluation.lmeval.export import ExportSettings, export_tasks

    settings = ExportSettings(num_test=args.num_test, shots=args.shots, seed=args.seed, mode=args.mode,
                              max_choices=args.max_choices)
    out = export_tasks(args.out, args.tasks, parse_test_lengths(args.test_length), settings=settings,
                       tokenizer=args.tokenizer, overwrite=args.overwrite)
    print(f"wrote {out}: lm_eval --model hf --model_args pretrained=<model> --include_path {out} --tasks statetrack")


def add_lmeval_parser(sub) -> None:
    """``statetrack lm-eval export DIR ...``: a subcommand group, so later lm-eval tools sit beside export."""
    p = sub.add_parser("lm-eval", help="our tasks as EleutherAI lm-evaluation-harness tasks",
                       description="example: statetrack lm-eval export lmeval_tasks --tasks S5 A5 --test-length 2,4,8")
    lsub = p.add_subparsers(dest="lmeval_command", required=True)
    e = lsub.add_parser("export", help="write tasks as a folder that lm_eval reads with --include_path",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="examples: statetrack lm-eval export lmeval_tasks --tasks S5 A5 parity "
                                    "--test-length 2,4,8,16\n  lm_eval --model hf --model_args pretrained="
                                    "EleutherAI/pythia-160m --include_path lmeval_tasks --tasks statetrack")
    e.add_argument("out", metavar="DIR", help="output folder (must not exist, or pass --overwrite)")
    e.add_argument("--tasks", nargs="+", default=list(DEFAULT_TASKS), metavar="TASK",
                   help=f"task names or group specs (default: {' '.join(DEFAULT_TASKS)})")
    e.add_argument("--test-length", default=",".join(map(str, DEFAULT_LENGTHS)),
                   help="comma-separated lengths or ranges, one lm-eval task each (default: %(default)s)")
    e.add_argument("--num-test", type=int, default=1000, help="rows per length, as statetrack eval's --num-test")
    e.add_argument("--shots", type=int, default=3, help="solved rows written before each query (default: 3)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--mode", choices=MODES, default="generate",
                   help="generate: greedy answer, exact match on its first line; choice: likeliest state (acc)")
    e.add_argument("--max-choices", type=int, default=128, help="--mode choice refuses tasks with more states")
    e.add_argument("--tokenizer", default=None,
                   help="a Hub id or folder: refuse, at export, tasks this tokenizer cannot write")
    e.add_argument("--overwrite", action="store_true")
    e.set_defaults(func=cmd_lmeval_export)


def add_model_args(parser: argparse.ArgumentParser, command: str) -> None:
    """--model, --task, --output-dir, --seed and --param: the same for eval and probe."""
    parser.add_argument("--model", required=True,
                        help="a statetrack train output_dir, or any causal LM: Hub id or folder")
    parser.add_argument("--task", required=True, help="task name or group spec")
    parser.add_argument("--output-dir", default=None, help=f"default: <model>/{command}-<task> for folders, "
                        f"outputs/{command}/<model name>-<task> for Hub ids")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="task parameter (repeatable)")
    add_threads_arg(parser)
    add_import_arg(parser)


def add_import_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="import MODULE first (repeatable), e.g. your package that registers a model_type with "
                        "AutoConfig / AutoModel; training runs list it in model.import. Importing runs its code")


def add_sweep_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, default=None, help="train every point with N seeds (data and init "
                        "vary together; default: the config's seeds:, else 1; reproduce --scale paper: 3)")
    parser.add_argument("--output-dir", default=None, help="default: the config's output_dir")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override (repeatable)")
    parser.add_argument("--overwrite", action="store_true", help="clear each run's folder and retrain every run")
    parser.add_argument("--launcher", choices=["local", "ray"], default="local", help="local: runs on this machine, "
                        "--max-parallel at once in worker processes (default); ray: runs in parallel as Ray Tune "
                        "trials, on this machine or a Ray cluster (pip install 'hf-statetrack[ray]')")
    parser.add_argument("--gpus-per-run", type=float, default=None,
                        help="ray: GPUs of each run (default: 1 where the cluster has GPUs, else 0)")
    parser.add_argument("--cpus-per-run", type=int, default=1, help="ray: CPU cores Ray reserves for each run, "
                        "the most torch threads auto gives it (default 1)")
    parser.add_argument("--max-parallel", default="auto", metavar="N",
                        help="runs at once: a number or auto (default). local: auto = the free cores on CPU (1 "
                        "torch thread per run), the visible GPUs on a GPU node (one per run); 1 = one after another "
                        "in this process. ray: auto = as many as the resources allow")
    parser.add_argument("--address", default=None, help="ray: default starts Ray inside this process; 'auto' joins "
                        "the cluster started on this node with `ray start`")
    add_threads_arg(parser)
    add_import_arg(parser)


def add_threads_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", default=None, metavar="N", help="torch threads on CPU (of each run): a number "
                        "or auto; default: the config's threads:, else OMP_NUM_THREADS, else auto (the cores free of "
                        "other processes, shared by the runs at once); printed at start")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="statetrack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("tasks", help="list tasks, or describe one", description="example: statetrack tasks S5")
    p.add_argument("name", nargs="?", help="a task name or group spec")
    p.add_argument("--family", help="only this family")
    p.set_defaults(func=cmd_tasks)

    p = sub.add_parser("generate", help="write a task as a Hub-ready parquet folder with a dataset card",
                       description="example: statetrack generate S5 --train-length 2-20 --test-length 40 "
                                   "--num-train 10000 --num-test 1000 --out data/S5")
    p.add_argument("name", help="task name or group spec")
    add_generation_args(p)
    p.add_argument("--out", required=True, help="output folder (must not exist, or pass --overwrite)")
    p.add_argument("--config-name", help="config name in the folder (default: the task name)")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--num-proc", type=int, default=None)
    p.add_argument("--text", action="store_true", help="also write each row in the text format for language models")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("train", help="train from scratch, or fine-tune a pretrained LM, as a YAML experiment says",
                       description="example: statetrack train eval_configs/s5-lstm.yaml "
                                   "--set training.learning_rate=3e-4 --set output_dir=outputs/run1")
    p.add_argument("config", help="experiment YAML (sections task, model, training, evaluation)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value by dotted key, e.g. training.num_train_epochs=3 (repeatable)")
    p.add_argument("--overwrite", action="store_true",
                   help="clear output_dir first (a folder holding another run is refused otherwise)")
    add_threads_arg(p)
    add_import_arg(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="evaluate a statetrack checkpoint or any causal LM (in context) on any lengths",
                       description="examples: statetrack eval --model outputs/s5-lstm --task S5 --test-length 8,16,32\n"
                                   "  statetrack eval --model EleutherAI/pythia-160m --task S5 --test-length 2,4,8 "
                                   "--shots 5 --mode choice", formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(p, "eval")
    p.add_argument("--test-length", required=True, help="comma-separated lengths or ranges, e.g. 8,16,20-40")
    p.add_argument("--num-test", type=int, default=1000, help="rows per test length")
    p.add_argument("--batch-size", type=int, default=None,
                   help="default: 256 for statetrack token checkpoints, 16 sequences for causal LMs")
    p.add_argument("--shots", type=int, default=None,
                   help="causal LMs: solved rows before each query (default: 3; 0 for checkpoints fine-tuned as text)")
    p.add_argument("--mode", choices=["generate", "choice"], default=None,
                   help="causal LMs: generate the answer greedily (default), or choose the likeliest class")
    p.add_argument("--max-choices", type=int, default=128, help="--mode choice refuses tasks with more classes")
    p.add_argument("--log-samples", action="store_true", help="causal LMs: also write samples.jsonl")
    p.add_argument("--threshold", type=float, default=0.9)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("probe", help="linear probes for the task state on every layer of a frozen model",
                       description="examples: statetrack probe --model outputs/s5-lstm --task S5 --train-length 2-16\n"
                                   "  statetrack probe --model EleutherAI/pythia-160m --task S5 --train-length 2-16 "
                                   "--batch-size 64", formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(p, "probe")
    p.add_argument("--train-length", default=None,
                   help="lengths of the probe's train rows, e.g. 2-16 (default: the task's protocol, else 2-16)")
    p.add_argument("--test-length", default=None, help="lengths of the probe's test rows (default: --train-length)")
    p.add_argument("--num-train", type=int, default=2000, help="rows whose features train the probes")
    p.add_argument("--num-test", type=int, default=500, help="rows whose features score the probes")
    p.add_argument("--batch-size", type=int, default=32, help="rows per forward pass")
    p.add_argument("--epochs", type=int, default=50, help="epochs of each probe (logistic regression)")
    p.add_argument("--control", choices=["random_init", "shuffled", "both"], default="both",
                   help="random_init: the architecture freshly initialised; shuffled: train labels permuted")
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("sweep", help="run every combination of a config's sweep: section and summarise",
                       description="example: statetrack sweep eval_configs/quickstart.yaml")
    p.add_argument("config", help="experiment YAML with a sweep: section")
    add_sweep_args(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("reproduce", help="a paper's headline experiment (statetrack reproduce --list names them)",
                       description="examples: statetrack reproduce --list; statetrack reproduce illusion_of_state "
                                   "--dry-run; statetrack reproduce negative_eigenvalues --seeds 3")
    p.add_argument("name", nargs="?", help="the reproduction (see --list)")
    p.add_argument("--list", action="store_true", help="list the reproductions")
    p.add_argument("--scale", default="cpu", help="cpu (default: minutes on a laptop), paper (the paper's "
                   "protocol, for GPUs), or an ablation that --list names (CPU-sized)")
    p.add_argument("--dry-run", action="store_true", help="print every run, their count and the time estimate")
    add_sweep_args(p)
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("benchmark", help="train models on a suite of state-tracking tasks: one scorecard",
                       description="examples: statetrack benchmark --dry-run; statetrack benchmark --max-parallel 2; "
                                   "statetrack benchmark --models transformer,lstm,arch:rwkv,my_model.yaml --seeds 1")
    p.add_argument("--suite", default=None, help="a suite YAML: tasks, their protocol, default models and budget "
                   "(default: the shipped suite, docs/benchmark.md)")
    p.add_argument("--models", default=None, help="comma-separated: presets (lstm), arch:<model_type> for any "
                   "transformers architecture (arch:rwkv), model YAML files; default: the suite's models")
    p.add_argument("--scale", default=None, help="one of the suite's scales: cpu (the default where it has one) "
                   "or paper (GPUs)")
    p.add_argument("--dry-run", action="store_true", help="print every run, the widths, the count and the time "
                   "estimate; train nothing")
    add_sweep_args(p)
    p.set_defaults(func=cmd_benchmark)

    add_lmeval_parser(sub)

    p = sub.add_parser("demo", help="the quick demonstration that `make demo` runs", description="example: "
                       "statetrack demo")
    p.set_defaults(func=cmd_demo)
    return parser


@contextmanager
def sigterm_as_interrupt():
    """SIGTERM (`kill`, a scheduler stopping a job) takes the Ctrl-C path while a command runs, so the same
    cleanup runs (partial output folders, temporary caches). Worker processes forked meanwhile just end."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    main_pid = os.getpid()

    def handler(signum, frame):
        if os.getpid() != main_pid:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    threads.prepare_openmp()  # before anything imports torch (importing this module does not)
    args = make_parser().parse_args(argv)
    try:
        with sigterm_as_interrupt(), command_line_imports(getattr(args, "imports", [])):
            args.func(args)
    except StateTrackError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `statetrack tasks | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
