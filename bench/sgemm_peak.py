"""The machine's sgemm throughput on the same products as bench/gemm.ts, through numpy's BLAS.

Reads [{"m", "n", "k", "transA", "transB"}, ...] as JSON on stdin and prints one GFLOP/s per
shape as JSON, best of several timed runs (like bench/gemm.ts). The thread count comes from
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, set by the caller before numpy loads its BLAS.
"""
import json
import sys
import time

import numpy as np


def gflops(m, n, k, trans_a, trans_b):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((k, m) if trans_a else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n), dtype=np.float32)
    A = a.T if trans_a else a
    B = b.T if trans_b else b
    c = np.empty((m, n), dtype=np.float32)
    reps = 1
    while True:  # warm up and find a repetition count that takes a measurable time
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(A, B, out=c)
        if time.perf_counter() - t0 > 0.02:
            break
        reps *= 2
    best = float("inf")
    for _ in range(15):
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(A, B, out=c)
        best = min(best, (time.perf_counter() - t0) / reps)
    return 2 * m * n * k / best / 1e9


def blas_name():
    """The BLAS library numpy loaded (Debian's numpy links whatever libblas.so.3 points to)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1] and "lapack" not in line}
        return ", ".join(sorted(paths)) or "unknown"
    except OSError:
        return "unknown"


shapes = json.load(sys.stdin)
print(json.dumps({"blas": blas_name(), "gflops": [gflops(s["m"], s["n"], s["k"], s["transA"], s["transB"]) for s in shapes]}))
