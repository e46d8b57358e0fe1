#!/usr/bin/env python3
"""bench/tuning/analyze.py on a small synthetic OUT folder whose answers are known by hand.

One dataset (20news), two seeds. Held-out losses are chosen so that, against the `exact` runs'
references (1.0 on both seeds), `default-t1` gets within 1 % after 1 s (seed 0) and 2 s (seed 1),
`hoag-t1` after 3 s on seed 0 and never on seed 1, and `default-t2` after half the one-thread
times. Usage: tuning_analyze_test.py REPOSITORY_ROOT WORK_DIR
"""

import json
import subprocess
import sys
from pathlib import Path


def shine_run(points, termination="converged"):
    """A shine trajectory with one record per (seconds, held-out loss, validation loss)."""
    records = []
    for i, (seconds, test, validation) in enumerate(points):
        records.append({
            "iteration": i, "theta": [float(-i)], "lambda": 10.0 ** -i,
            "validation_loss": validation, "test_loss": test, "returned": i,
            "data_passes": 10, "elapsed_seconds": seconds,
            "inner": {"gradient_evaluations": 5, "seconds": seconds / 2},
        })
    return {"format": "shine-trajectory", "termination": termination,
            "elapsed_seconds": points[-1][0], "records": records}


def main():
    root, work = Path(sys.argv[1]), Path(sys.argv[2])
    runs = work / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for old in runs.glob("*.json"):
        old.unlink()
    files = {
        "20news-s0-exact-t1": shine_run([(5.0, 1.0, 0.5)]),
        "20news-s1-exact-t1": shine_run([(5.0, 1.0, 0.5)]),
        "20news-s0-default-t1": shine_run([(0.5, 1.2, 0.9), (1.0, 1.005, 0.6), (1.5, 1.0, 0.55)]),
        "20news-s1-default-t1": shine_run([(1.0, 1.5, 0.9), (2.0, 1.009, 0.6), (4.0, 1.0, 0.55)]),
        "20news-s0-default-t2": shine_run([(0.25, 1.2, 0.9), (0.5, 1.005, 0.6), (0.75, 1.0, 0.55)]),
        "20news-s1-default-t2": shine_run([(0.5, 1.5, 0.9), (1.0, 1.009, 0.6), (2.0, 1.0, 0.55)]),
        "20news-s0-hoag-t1": shine_run([(1.0, 1.3, 0.9), (3.0, 1.001, 0.6)]),
        "20news-s1-hoag-t1": shine_run([(1.0, 1.3, 0.9), (6.0, 1.02, 0.6)], "max_iterations"),
    }
    for name, content in files.items():
        (runs / f"{name}.json").write_text(json.dumps(content))

    out = subprocess.run([sys.executable, str(root / "bench/tuning/analyze.py"), str(work)],
                         check=True, capture_output=True, text=True).stdout
    expected = [
        # Medians over the two seeds: 1 % after 1.5 s, whole run 2.75 s, both within 1 %.
        "| 20news | default-t1 | 2 | 1.5 | 2.75 | 10 | 15 | 2.75 |",
        # hoag reaches 1 % on one seed only and ends within 1 % on it alone.
        "| 20news | hoag-t1 | 2 | 3 (1 reach) |",
        # Two threads: every ratio is 2, on the same θ path.
        "| 20news | default-t2 | 2 | 2 (2–2) | 2 (2–2) | 2/2 |",
        # Against default-t1: 3 s over 1 s on seed 0; never on seed 1.
        "| 20news | hoag-t1 | 2 | 3 (3–3) | 2/2 | 1 |",
    ]
    failed = [line for line in expected if not any(row.startswith(line) for row in out.splitlines())]
    if failed:
        print(out)
        for line in failed:
            print(f"missing: {line}", file=sys.stderr)
        return 1
    if "default-t1 sooner" not in out or "| 20news | default-t2 | 2 | 2 (2–2) | 2/2 |" in out:
        print(out)
        print("the comparison table must name its baseline and leave out other thread counts",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
