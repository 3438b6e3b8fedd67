"""Build the C++ CPU kernels (scan_forward.cpp, scan_backward.cpp, conv.cpp) on first use and load them.

`library()` compiles the sources once per machine with the system C++ compiler (``$CXX`` or g++; -O3
-march=native -fopenmp, about 3 s) into a cache folder: ``$TORCH_EXTENSIONS_DIR/hf_statetrack`` if set,
else ``$XDG_CACHE_HOME/hf_statetrack/kernels`` (``~/.cache/hf_statetrack/kernels``). The file name holds a
hash of the sources, flags, compiler version and CPU flags, so an edited source or another CPU builds
anew. Parallel processes do not race: a file lock lets one build while the others wait, and the library
appears by atomic rename only when complete. It is loaded with ctypes (no pybind11, no ninja); the
kernels take raw pointers of tensors whose layout `kernel.py` checks.

``HF_STATETRACK_SCAN`` picks the path: ``auto`` (default: the kernel, or the PyTorch scan with one warning
if it cannot be built), ``torch`` (always the PyTorch scan), ``compiled`` (the kernel, or an error).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import warnings
from pathlib import Path

from ...core.errors import StateTrackError
from ...core.files import atomic_path

HERE = Path(__file__).parent
SOURCES = ("scan_forward.cpp", "scan_backward.cpp", "conv.cpp")
HEADERS = ("kernel.h", "scan.h")
FLAGS = ("-O3", "-shared", "-fPIC", "-std=c++17")
# Tried in turn: without -march=native the loops vectorise for the baseline ISA; without -fopenmp (Apple clang)
# the kernels run on one thread.
ATTEMPTS = (("-march=native", "-fopenmp"), ("-fopenmp",), ())
MODES = ("auto", "torch", "compiled")


class Seq(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("sb", ctypes.c_int64), ("st", ctypes.c_int64)]


def _fields(ints: str, seqs: str, pointers: str) -> list:
    return ([(n, ctypes.c_int64) for n in ints.split()] + [(n, Seq) for n in seqs.split()]
            + [(n, ctypes.c_void_p) for n in pointers.split()])


class ScanArgs(ctypes.Structure):  # mirrors hfst::ScanArgs in kernel.h
    _fields_ = _fields("batch length width state chunk groups threads softplus negative", "u dt z B C grad_out",
                       "A D bias out last ckpt du ddt dz dB dC dA dD dbias")


class ConvArgs(ctypes.Structure):  # mirrors hfst::ConvArgs in kernel.h
    _fields_ = _fields("batch length width kernel threads silu", "x grad_out", "weight bias out dx dw dbias")


def mode() -> str:
    value = os.environ.get("HF_STATETRACK_SCAN", "auto").strip().lower() or "auto"
    if value not in MODES:
        raise StateTrackError(f"HF_STATETRACK_SCAN={value!r} is not one of {', '.join(MODES)}; unset it or pick one")
    return value


def library() -> ctypes.CDLL | None:
    """The loaded kernels, or None where the PyTorch scan must run (HF_STATETRACK_SCAN=torch, no compiler)."""
    selected = mode()
    if selected == "torch":
        return None
    lib, problem = _load()
    if lib is None and selected == "compiled":
        raise StateTrackError(f"HF_STATETRACK_SCAN=compiled but the CPU scan kernel is unavailable: {problem}")
    if lib is None:
        _warn_once(problem)
    return lib


@functools.cache
def _warn_once(problem: str) -> None:
    warnings.warn(f"hf_statetrack: the compiled CPU scan is unavailable ({problem}); using the PyTorch scan "
                  f"(3-4x slower Mamba training). Install g++ or set HF_STATETRACK_SCAN=torch.", stacklevel=4)


@functools.cache
def _load() -> tuple[ctypes.CDLL | None, str]:
    compiler = os.environ.get("CXX", "g++")
    if shutil.which(compiler) is None:
        return None, f"no C++ compiler {compiler!r} on PATH"
    try:
        path = build(compiler)
        lib = ctypes.CDLL(str(path))
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"{type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else ''}"
    for name in ("scan_forward", "scan_backward", "conv_forward", "conv_backward"):
        for suffix in ("f32", "f64"):
            function = getattr(lib, f"{name}_{suffix}")
            function.argtypes = [ctypes.POINTER(ConvArgs if name.startswith("conv") else ScanArgs)]
            function.restype = None
    return lib, ""


def cache_dir() -> Path:
    if os.environ.get("TORCH_EXTENSIONS_DIR"):
        return Path(os.environ["TORCH_EXTENSIONS_DIR"]) / "hf_statetrack"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hf_statetrack" / "kernels"


def build_key(compiler: str) -> str:
    """Hash of everything that changes the binary: sources, flags, compiler version, CPU."""
    digest = hashlib.sha256()
    for name in SOURCES + HEADERS:
        digest.update((HERE / name).read_bytes())
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30).stdout
    digest.update(" ".join((*FLAGS, *sum(ATTEMPTS, ()), version, platform.machine(), _cpu_flags())).encode())
    return digest.hexdigest()[:16]


def _cpu_flags() -> str:
    try:
        return next((line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), "")
    except OSError:
        return platform.processor()


def build(compiler: str) -> Path:
    """Compile into the cache (once; other processes wait on the lock) and return the library's path."""
    from filelock import FileLock

    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"selective_scan_{build_key(compiler)}.so"
    if path.exists():
        return path
    with FileLock(str(path) + ".lock", timeout=600):
        if not path.exists():
            with atomic_path(path) as temporary:
                _compile(compiler, temporary)
    return path


def _compile(compiler: str, output: Path) -> None:
    sources = [str(HERE / name) for name in SOURCES]
    for extra in ATTEMPTS:
        done = subprocess.run([compiler, *FLAGS, *extra, *sources, "-o", str(output)], capture_output=True,
                              text=True, timeout=300)
        if done.returncode == 0:
            return
    raise subprocess.SubprocessError(f"{compiler} failed: {done.stderr.strip()[-500:]}")
