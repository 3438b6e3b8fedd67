"""The ``local`` launcher's worker processes: ``--max-parallel N`` trains N jobs at once, each in its own process.

    statetrack sweep eval_configs/quickstart.yaml                     # auto: the free cores (a GPU node: its GPUs)
    statetrack sweep eval_configs/quickstart.yaml --max-parallel 2    # two runs at once
    statetrack sweep eval_configs/quickstart.yaml --max-parallel 1    # one after another in this process

A `concurrent.futures.ProcessPoolExecutor` with the spawn context runs the `launchers.Job` list, one job per
task, in submission order; a job (a seed, or a whole minimum-depth search of one point) runs in one worker,
so a search keeps its order while points run side by side. Each worker starts (`start_worker`) by taking a
slot from a queue: its log file (``<output_dir>/logs/worker<k>.log``, where its runs' own output goes, as Ray's
trials keep theirs off the terminal) and, on a GPU node, one GPU id for ``CUDA_VISIBLE_DEVICES`` (set before
anything in it initialises CUDA); then it sets its torch threads (`plan`: 1 per run on CPU unless asked). The
runs' progress events come back through a queue, so the parent prints the same lines as the sequential
launcher; a run that raises fails alone (`grid.attempt`), a job that raises or a worker that dies fails its
unfinished runs.
Ctrl-C (the workers ignore SIGINT) or SIGTERM in the parent stops every worker (`stop`): a run killed while
training has no results.json, so the next invocation trains it again and reads the finished ones back.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..core import threads

POLL_S = 1.0  # how often the parent wakes while waiting for events (Ctrl-C is handled at once regardless)
DIED = "its worker process died (killed, or out of memory); run the same command again to retry it"


@dataclass
class Plan:
    """How the local launcher runs the jobs: `workers` processes (1: in this process), each with `threads`
    torch threads and, on a GPU node, one of `devices` (a ``CUDA_VISIBLE_DEVICES`` value per worker)."""

    workers: int
    threads: threads.Choice
    devices: list[str]
    reason: str

    def line(self) -> str:
        if self.workers == 1:
            return f"[launcher] local: one run at a time in this process ({self.reason})"
        gpus = f", one GPU each (CUDA_VISIBLE_DEVICES {' / '.join(self.devices)})" if self.devices else ""
        return f"[launcher] local: {self.workers} runs at once in worker processes ({self.reason}){gpus}"


def visible_gpus(environ=os.environ) -> list[str]:
    """The GPUs this process may use, as ``CUDA_VISIBLE_DEVICES`` entries ([] without CUDA)."""
    import torch

    if not torch.cuda.is_available():
        return []
    count = torch.cuda.device_count()
    given = [d.strip() for d in environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    return given[:count] if given else [str(i) for i in range(count)]


def plan(requested: int | str, jobs: int, cli_threads=None, config_threads=None, devices: list[str] | None = None,
         measure=threads.free_cores) -> Plan:
    """`requested` runs at once (a number, or "auto": the GPUs in `devices` where there are any, else the free
    cores divided by the threads a run asks for), at most `jobs`. Workers share the GPUs round-robin and the
    free cores evenly (`threads.choose`), unless ``--threads`` / ``threads:`` / OMP_NUM_THREADS says otherwise."""
    devices = visible_gpus() if devices is None else devices
    sampled = []

    def measure_once(cpus):  # one /proc/stat sample serves both the count and the threads
        if not sampled:
            sampled.append(measure(cpus))
        return sampled[0]

    asked = threads.requested(cli_threads, config_threads)
    if requested != "auto":
        count, reason = int(requested), f"--max-parallel {requested}"
    elif devices:
        count, reason = len(devices), f"auto: {len(devices)} GPU{'s' * (len(devices) != 1)}"
    else:
        free = threads.auto(measure=measure_once).threads
        count = max(1, free // (asked.threads if asked else 1))
        reason = f"auto: {free} free core{'s' * (free != 1)}" + (f", {asked.reason}" if asked else "")
    count = max(1, min(count, jobs))
    choice = threads.choose(cli_threads, config_threads, parallel_runs=count, measure=measure_once)
    if count > 1:
        choice = threads.Choice(choice.threads, f"in each of {count} worker processes; {choice.reason}")
    return Plan(count, choice, [devices[i % len(devices)] for i in range(count)] if devices else [], reason)


EVENTS = None  # in a worker: the queue its runs' events go back to the parent through (`start_worker`)


def start_worker(events, slots, torch_threads: int, logs: str | None) -> None:
    """A worker's first act (the pool's initializer): ignore Ctrl-C (the parent stops the workers), take a slot
    (its log file in `logs`, and a GPU, set before torch initialises CUDA here), and set the torch threads."""
    global EVENTS
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    slot, device = slots.get()
    if logs is not None:
        write_output_to(Path(logs) / f"worker{slot}.log")
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device
    threads.prepare_openmp()
    import torch
    from tqdm import tqdm

    torch.set_num_threads(torch_threads)
    # A worker's progress bars go to its own log: a thread lock serves them. tqdm's default, a multiprocessing
    # lock, is a named semaphore, which a worker stopped by SIGTERM would leave for the parent's resource
    # tracker to clean up, with a warning on the terminal.
    tqdm.set_lock(threading.RLock())
    EVENTS = events


def write_output_to(path: Path) -> None:
    """This process's standard output and error (Python's and the libraries' own) appended to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as log:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.reconfigure(line_buffering=True)
    print(f"=== worker process {os.getpid()} ===", flush=True)


def run_job(index: int, job) -> tuple[int, str | None]:
    """In a worker: run job number `index` (a `launchers.Job`), its events tagged with the index; return how
    many it sent and, if the job itself raised (not one of its runs: `grid.attempt` catches those), the error."""
    sent = 0

    def report(event: dict) -> None:
        nonlocal sent
        EVENTS.put({**event, "job": index})
        sent += 1

    try:
        job.work(report)
    except Exception as err:  # the job's own error is recorded for its unfinished runs
        return sent, f"{type(err).__name__}: {err}".splitlines()[0]
    return sent, None


def run_in_workers(jobs: list, progress, how: Plan, logs: Path | None = None) -> None:
    """Run `jobs` in `how.workers` spawned processes, their output in `logs`/worker<k>.log (None: this process's
    terminal); `progress` (a `launchers.Progress`) gets every event, then each job's end, in this process."""
    context = multiprocessing.get_context("spawn")
    events, slots = context.Queue(), context.Queue()
    for slot in range(how.workers):
        slots.put((slot, how.devices[slot] if how.devices else None))
    others = {process.pid for process in multiprocessing.active_children()}  # not ours to stop
    pool = ProcessPoolExecutor(how.workers, mp_context=context, initializer=start_worker,
                               initargs=(events, slots, how.threads.threads, None if logs is None else str(logs)))
    try:
        futures = [pool.submit(run_job, index, job) for index, job in enumerate(jobs)]
        for index, future in enumerate(futures):
            future.add_done_callback(lambda _, index=index: events.put({"ended": index}))
        follow(jobs, futures, events, progress)
    except BaseException:  # Ctrl-C, SIGTERM (the CLI raises KeyboardInterrupt for it), or a bug here
        stop(pool, events, others)
        raise
    pool.shutdown()


def follow(jobs: list, futures: list[Future], events, progress) -> None:
    """Print the events as they come; end a job once all the events it sent have arrived (its result can
    overtake them: the two travel on different pipes)."""
    received, ended, left = [0] * len(jobs), {}, set(range(len(jobs)))
    while left:
        try:
            message = events.get(timeout=POLL_S)
        except queue.Empty:
            continue
        if "ended" in message:
            ended[message["ended"]] = outcome(futures[message["ended"]])
        elif message["job"] in left:  # (a late event of a job whose worker died is dropped)
            received[message.pop("job")] += 1
            progress.report(message)
        for index in sorted(i for i in left if i in ended and received[i] >= ended[i][0]):
            progress.job_ended(jobs[index], ended[index][1])
            left.discard(index)


def outcome(future: Future) -> tuple[int, str | None]:
    """(events the job sent, its error or None); a job whose worker died sent an unknown number: 0."""
    try:
        return future.result()
    except Exception:  # BrokenProcessPool: a worker died (killed, out of memory, a crash)
        return 0, DIED


def stop(pool: ProcessPoolExecutor, events, others: set[int]) -> None:
    """Cancel the jobs not started and end every worker now, also one still starting (SIGTERM: a run in
    training dies unfinished). `others`: child processes that are not the pool's."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in multiprocessing.active_children():
        if process.pid not in others:
            process.terminate()
    events.cancel_join_thread()
    pool.shutdown(wait=True)  # the pool reaps its killed workers
