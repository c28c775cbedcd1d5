"""A least-squares gradient over 10^7 rows, computed by s2sad's derivative on a Dask cluster.

The loss is plain NumPy code. `s2sad.grad(loss)` runs its generated derivative on the
arguments' own array library, chosen by their type: here a chunked Dask design matrix (10^7 x 32,
float32, 1.3 GB, generated lazily block by block with `da.random`, never whole in one memory).
The call builds a lazy graph; `dask.compute` runs it in parallel on a
`dask.distributed.LocalCluster`. The gradient is checked against the hand-written one,
X^T (X w - y) / n, computed block by block with NumPy on the same data; then a few gradient
steps fit the model.

    python examples/distributed_regression.py                   # 10^7 rows, 2 workers
    python examples/distributed_regression.py --rows 20000 --workers 1
"""

import argparse
import time

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster, progress

import s2sad


def loss(w, X, y):
    """Mean squared residual of the linear model X @ w against y (halved)."""
    residual = X @ w - y
    return 0.5 * np.mean(residual ** 2)


def make_data(rows, cols, chunk_rows, seed=0):
    """X (rows x cols) and y = X @ w_true + noise, lazily: each block is generated where it is needed."""
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, cols), chunks=(chunk_rows, cols), dtype=np.float32)
    w_true = np.linspace(-1.0, 1.0, cols).astype(np.float32)
    y = X @ w_true + 0.1 * rng.standard_normal(rows, chunks=chunk_rows, dtype=np.float32)
    return X, y, w_true


def hand_gradient(w, X, y):
    """X^T (X w - y) / n, one block at a time in NumPy (float64 sums): the independent check."""
    total = np.zeros(X.shape[1])
    for Xb, yb in zip(X.to_delayed().ravel(), y.to_delayed().ravel()):
        Xb, yb = dask.compute(Xb, yb, scheduler="synchronous")  # here, not on the cluster
        total += Xb.astype(np.float64).T @ (Xb.astype(np.float64) @ w - yb)
    return total / X.shape[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cols", type=int, default=32)
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()

    chunk_rows = min(args.chunk_rows, args.rows)
    X, y, w_true = make_data(args.rows, args.cols, chunk_rows)
    gradient = s2sad.grad(loss, wrt=0)  # Dask arguments: the derivative runs on Dask (docs/scale-out.md)
    w = np.zeros(args.cols, dtype=np.float32)

    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, Client(cluster) as client:
        print(f"{args.rows} x {args.cols} float32 in {X.numblocks[0]} chunks; {args.workers} worker(s); "
              f"dashboard: {client.dashboard_link}")
        lazy = gradient(w, X, y)  # a Dask array: nothing computed yet
        print(f"lazy gradient: {type(lazy).__module__}.{type(lazy).__name__} of {len(lazy.dask)} tasks")
        start = time.perf_counter()
        future = client.compute(lazy, optimize_graph=False)  # unfused: the steps below reuse its keys
        progress(future)  # a text progress bar while the workers run
        g = future.result()
        seconds = time.perf_counter() - start
        print(f"\ngradient on {args.workers} worker(s): {seconds:.2f} s")

        want = hand_gradient(w.astype(np.float64), X, y)
        error = np.max(np.abs(g - want)) / np.max(np.abs(want))
        print(f"max relative difference from X^T (X w - y) / n: {error:.2e}")
        assert error < 1e-4, error  # float32 sums over 10^7 rows against float64 ones

        for step in range(args.steps):
            lazy_pair = s2sad.value_and_grad(loss, wrt=0)(w, X, y)
            value, g = dask.compute(*lazy_pair, optimize_graph=False)
            w = w - np.float32(0.8) * g
            print(f"step {step + 1}: loss {float(value):.5f}")
        print(f"distance to the true weights: {np.linalg.norm(w - w_true):.4f}")


if __name__ == "__main__":
    main()
