"""BLAS threads for the ``recsys`` command, set after NumPy has loaded.

NumPy's BLAS (OpenBLAS in the wheels) reads ``OPENBLAS_NUM_THREADS`` once, when NumPy is first imported,
which happens before the command parses ``--threads``. So the count is set afterwards, the way threadpoolctl
does it: find the BLAS library loaded in this process and call its own setter through ctypes
(``openblas_set_num_threads``, or the ``scipy_openblas_…64_`` name of NumPy's bundled copy; MKL's
``MKL_Set_Num_Threads``; BLIS's ``bli_thread_set_num_threads``). threadpoolctl itself is used when it is
installed. Where neither finds a BLAS (Apple's Accelerate has no such call) the count stays as it was and
:func:`set_blas_threads` says so.

The default (:func:`default_threads`): ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``
when set, else the cores this process may use minus the load already on them (the 1-minute load average),
at least 1. OpenBLAS's threads spin while they wait for work, so on a machine whose cores are busy every
extra thread fights the other programs: on this project's 2-core machine with about 2 cores of other load,
``recsys evaluate`` took 137 s with 2 threads and 15 s with 1 (README, Recommenders).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ENVIRONMENT = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_SETTERS = ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "MKL_Set_Num_Threads", "bli_thread_set_num_threads")  # fmt: skip
_GETTERS = ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "MKL_Get_Max_Threads", "bli_thread_get_num_threads")  # fmt: skip
_NAMES = ("openblas", "mkl_rt", "libblis")


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_threads() -> tuple[int, str]:
    """(threads, why): the environment's count if set, else the idle cores (see the module docstring)."""
    for name in ENVIRONMENT:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value), f"{name}={value}"
    n = cores()
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this system
        return n, f"{n} cores"
    idle = max(1, min(n, int(n - load + 0.5)))
    return idle, f"{n} cores, load {load:.1f}"


def _libraries() -> Iterator[Path]:
    """Shared libraries of a BLAS loaded in this process (Linux: /proc/self/maps), else bundled with NumPy."""
    maps = Path("/proc/self/maps")
    seen: set[str] = set()
    if maps.exists():
        for line in maps.read_text().splitlines():
            path = line.split()[-1] if "/" in line else ""
            if path not in seen and any(n in Path(path).name.lower() for n in _NAMES):
                seen.add(path)
                yield Path(path)
        return
    root = Path(np.__file__).parent
    for folder in (root.parent / "numpy.libs", root / ".libs", root / ".dylibs"):
        if folder.is_dir():
            yield from (p for p in sorted(folder.iterdir()) if any(n in p.name.lower() for n in _NAMES))


def _call(names: tuple[str, ...], *args: int) -> int | None:
    """Call the first function of ``names`` that a loaded BLAS exports; its result, or None if none does."""
    for path in _libraries():
        try:
            library = ctypes.CDLL(str(path))
        except OSError:
            continue
        for name in names:
            function = getattr(library, name, None)
            if function is not None:
                function.restype = ctypes.c_int
                return int(function(*(ctypes.c_int(a) for a in args)))
    return None


def blas_threads() -> int | None:
    """The BLAS's current thread count, or None when no known BLAS is found."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return _call(_GETTERS)
    counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
    return counts[0] if counts else None


def set_blas_threads(n: int) -> bool:
    """Set NumPy's BLAS to ``n`` threads from now on; True if a BLAS took it."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return _call(_SETTERS, n) is not None
    ThreadpoolController().limit(limits=n, user_api="blas")
    return blas_threads() == n
