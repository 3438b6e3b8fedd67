"""The ray launcher's checks, without Ray: requests no node can meet and addresses nobody answers are one line
(Ray itself leaves such trials pending, and retries such addresses, forever)."""

import doctest
import signal
import socket
import time

import pytest

from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.experiments import ray_checks
from hf_statetrack.experiments.ray_checks import check_address, check_request, connect_error

CPU_ONLY = [{"CPU": 2.0, "memory": 1e9}]


@pytest.mark.parametrize("cpus, gpus, message", [
    (1, 1, "--gpus-per-run 1 but no node of the Ray cluster has a GPU"),
    (1, -1, "--gpus-per-run must be a number >= 0"),
    (1, float("nan"), "--gpus-per-run must be a number >= 0"),
    (64, 0, "--cpus-per-run 64 but no node of the Ray cluster has that many CPUs (the largest has 2 CPUs"),
], ids=["gpu_on_cpu_only", "negative_gpus", "nan_gpus", "more_cpus_than_any_node"])
def test_requests_no_node_can_meet_are_refused(cpus, gpus, message):
    with pytest.raises(StateTrackError, match=message.replace("(", r"\(")):
        check_request(CPU_ONLY, cpus_per_run=cpus, gpus_per_run=gpus)


def test_a_request_one_node_meets_passes_even_if_only_the_sum_would():
    nodes = [{"CPU": 4.0, "GPU": 1.0}, {"CPU": 4.0, "GPU": 1.0}]
    check_request(nodes, cpus_per_run=4, gpus_per_run=0.5)
    with pytest.raises(StateTrackError, match="--cpus-per-run 8"):
        check_request(nodes, cpus_per_run=8, gpus_per_run=0)


def test_an_address_nobody_answers_fails_within_the_timeout():
    with socket.socket() as s:  # a port that was just free: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.perf_counter()
    for address in (f"127.0.0.1:{port}", "bogus:1", f"ray://127.0.0.1:{port}"):
        with pytest.raises(StateTrackError, match="cannot reach the Ray cluster at") as err:
            check_address(address, timeout=2)
        assert "\n" not in str(err.value)
    assert time.perf_counter() - start < 30
    with pytest.raises(StateTrackError, match="HOST:PORT"):
        check_address("host:port")
    check_address("auto")  # Ray's to resolve; it fails at once without a cluster (connect_error)


def test_ray_init_failure_is_one_line_with_the_fix():
    err = connect_error("auto", ConnectionError("Could not find any running Ray instance.\nPlease specify ..."))
    assert str(err) == ("cannot start or join Ray at auto: Could not find any running Ray instance.; start one with "
                        "`ray start --head`, or drop --address to run Ray inside this process")


@pytest.fixture
def fresh_ray():
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("Ray is already running in this process")
    yield ray
    ray.shutdown()


def test_auto_without_a_cluster_is_one_line(fresh_ray, monkeypatch):
    from hf_statetrack.experiments.ray_launcher import start_ray

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(StateTrackError, match="cannot start or join Ray at auto: .*ray start --head") as err:
        start_ray("auto")
    assert "\n" not in str(err.value)


def test_starting_ray_keeps_the_cli_s_sigterm_handler(fresh_ray):
    """ray.init installs its own SIGTERM handler (exit 1 with Ray's dump); the CLI's turns SIGTERM into the
    Ctrl-C path, as under the local launcher."""
    from hf_statetrack.experiments.ray_launcher import start_ray

    def ours(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, ours)
    try:
        start_ray(None)
        assert signal.getsignal(signal.SIGTERM) is ours
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_module_doctests():
    assert doctest.testmod(ray_checks).failed == 0
