"""The GIL is released during fits: threads run side by side, and Ctrl-C stops a fit."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp

import shine


def make_problem(rows, features, seed):
    rng = np.random.default_rng(seed)
    X = sp.random(rows, features, density=0.01, format="csr", random_state=seed)
    w = rng.normal(size=features)
    y = np.where(X @ w + 0.5 * rng.normal(size=rows) > 0, 1, -1)
    return X, y


def test_two_fits_in_two_threads_equal_sequential_fits():
    problems = [make_problem(4000, 3000, seed) for seed in (1, 2)]
    methods = ["shine", "hoag"]

    def run(i):
        X, y = problems[i]
        return shine.tune(X[:3000], y[:3000], X[3000:], y[3000:], options={"method": methods[i]})

    sequential = [run(0), run(1)]
    concurrent = [None, None]
    started = threading.Barrier(2)

    def worker(i):
        started.wait()
        concurrent[i] = run(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(sequential, concurrent):
        assert a["lambda"] == b["lambda"]
        np.testing.assert_array_equal(a["coef"], b["coef"])
        assert [r["validation_loss"] for r in a["records"]] == [
            r["validation_loss"] for r in b["records"]
        ]


def test_other_threads_run_during_a_fit():
    # While a fit holds no GIL, a Python thread keeps counting.
    X, y = make_problem(4000, 3000, 3)
    count = 0
    done = threading.Event()

    def counter():
        nonlocal count
        while not done.is_set():
            count += 1
            time.sleep(0.001)

    thread = threading.Thread(target=counter)
    thread.start()
    try:
        start = time.perf_counter()
        shine.tune(X[:3000], y[:3000], X[3000:], y[3000:], options={"method": "hoag"})
        elapsed = time.perf_counter() - start
    finally:
        done.set()
        thread.join()
    # A call holding the GIL would leave the counter about still; allow for a loaded machine.
    assert count >= 0.05 * elapsed / 0.001


def test_progress_lines_go_to_sys_stderr(capsys):
    # They are written by the calling thread through sys.stderr, so Python sees them (notebooks,
    # redirections), one per outer iteration.
    X, y = make_problem(2000, 500, 4)
    model = shine.LogisticRegressionTuned(random_state=0, verbose=1).fit(X, y)
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("shine: tuning lambda by shine: 1800 train / 200 validation rows")
    assert len(err) == model.n_iter_ + 3  # the heading, the column names, the iterations, the end
    assert err[-1].startswith(f"shine: {model.termination_}: ")


LONG_RUN = textwrap.dedent(
    """
    import sys, time
    import numpy as np, scipy.sparse as sp
    import shine
    rng = np.random.default_rng(0)
    n, nnz = 20000, 800000
    X = sp.csr_matrix((rng.random(nnz), (rng.integers(0, n, nnz), rng.integers(0, n, nnz))),
                      shape=(n, n))
    y = np.where(X @ rng.normal(size=n) > 0, 1, -1)
    print("ready", flush=True)
    try:
        if sys.argv[1] == "tune":
            shine.tune(X, y, X, y, options={{"method": "grid", "candidates": 100000,
                                              "baseline_tolerance": 1e-12}})
        else:
            shine.fit(X, y, 1e-6, tol=1e-300, max_iter=10**9)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
    # The library is usable after the interrupt.
    print(shine.fit(X[:100], y[:100], 1.0)["termination"], flush=True)
    """
)


@pytest.mark.parametrize("call", ["tune", "fit"])
def test_sigint_raises_keyboard_interrupt(call):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    child = subprocess.Popen(
        [sys.executable, "-c", LONG_RUN.format(), call],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)  # inside the fit by now
        assert child.poll() is None
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        assert child.stdout.readline().strip() == "KeyboardInterrupt"
        latency = time.perf_counter() - sent
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert out.strip() == "converged"
    # One inner iteration here takes a few milliseconds; allow for a loaded machine.
    assert latency < 5.0
