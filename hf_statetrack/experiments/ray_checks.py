"""What the ``ray`` launcher checks before it submits a trial, as pure functions (no Ray import, so they are
tested without the optional extra). Without them Ray waits forever: an address nobody answers is retried
without end, and a trial asking for more than any node has (``--gpus-per-run 1`` on a CPU-only machine,
``--cpus-per-run 64`` on 2 cores) stays pending.

>>> check_request([{"CPU": 2.0}], cpus_per_run=1, gpus_per_run=0)
>>> check_request([{"CPU": 2.0}], cpus_per_run=1, gpus_per_run=1)
Traceback (most recent call last):
...
hf_statetrack.core.errors.StateTrackError: --gpus-per-run 1 but no node of the Ray cluster has a GPU (the largest \
has 2 CPUs and 0 GPUs); use --gpus-per-run 0, or join a cluster with GPUs (--address)
"""

from __future__ import annotations

import math
import socket

from ..core.errors import StateTrackError

CONNECT_TIMEOUT_S = 10
DEFAULT_PORT = 6379  # Ray's GCS port


def check_gpus(gpus_per_run) -> None:
    if gpus_per_run is not None and (isinstance(gpus_per_run, bool) or not isinstance(gpus_per_run, (int, float))
                                     or not math.isfinite(gpus_per_run) or gpus_per_run < 0):
        raise StateTrackError(f"--gpus-per-run must be a number >= 0 (a fraction shares a GPU), got {gpus_per_run!r}")


def check_request(nodes: list[dict], cpus_per_run: int, gpus_per_run: float) -> None:
    """One trial runs on one node: its request must fit the largest alive node's resources (``ray.nodes()``)."""
    check_gpus(gpus_per_run)
    cpus = max((n.get("CPU", 0) for n in nodes), default=0)
    gpus = max((n.get("GPU", 0) for n in nodes), default=0)
    largest = f"the largest has {cpus:g} CPUs and {gpus:g} GPUs"
    if gpus_per_run and gpus_per_run > gpus:
        where = "no node of the Ray cluster has a GPU" if gpus == 0 else "no node of the Ray cluster has that many"
        raise StateTrackError(f"--gpus-per-run {gpus_per_run:g} but {where} ({largest}); use --gpus-per-run "
                              f"{0 if gpus == 0 else f'{gpus:g}'}, or join a cluster with GPUs (--address)")
    if cpus_per_run > cpus:
        raise StateTrackError(f"--cpus-per-run {cpus_per_run} but no node of the Ray cluster has that many CPUs "
                              f"({largest}); use --cpus-per-run {max(1, int(cpus))} or fewer")


def check_address(address: str | None, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """A ``host:port`` address must answer within `timeout` seconds (Ray itself retries forever); ``auto`` and
    None are Ray's to resolve (it fails at once when no cluster runs on this node)."""
    if address in (None, "auto", "local"):
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep:
        host, port = port, str(DEFAULT_PORT)
    if not host or not port.isdigit():
        raise StateTrackError(f"--address must be auto or HOST:PORT of a Ray cluster, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as err:
        raise StateTrackError(f"cannot reach the Ray cluster at {address} within {timeout:g} s ({err}); check "
                              f"--address, or start one with `ray start --head`") from None


def connect_error(address: str | None, err: Exception) -> StateTrackError:
    """ray.init's failure as one line (``--address auto`` with no cluster started on this node)."""
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    hint = "start one with `ray start --head`, or drop --address to run Ray inside this process" if address else \
        "check that this machine can start Ray"
    return StateTrackError(f"cannot start or join Ray{f' at {address}' if address else ''}: {first[:200]}; {hint}")
