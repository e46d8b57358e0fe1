#!/usr/bin/env python3
"""Summarizes a tuning benchmark (bench/tuning/run.py's OUT folder) as Markdown tables.

    bench/tuning/analyze.py OUT [--configs default,hoag,...] [--detail]

For every run, the returned curve: after each evaluation, the held-out (test) mean log-loss of
the model the run would return if stopped there: for shine, the evaluation its record names
(`returned`: the best by validation loss so far among the evaluations that are not provisional);
for the other tools the best by validation loss so far; a converged shine run returns its last
evaluation.

For each dataset and seed, `best` is the held-out loss at the exact minimizer of the validation
loss (what tuning λ perfectly gives), from the run of the `exact` configuration (tight solves and
hypergradients, converged to 0.002 in log λ). Without that run, it is the lowest value any curve
reaches, which is biased low: loosely solved models can score, by luck, well below any accurately
fitted one. A run reaches 1 % (0.1 %) when its curve is at most best·1.01 (best·1.001).

Reported per configuration and dataset, as medians over seeds: time and gradient evaluations to
1 % and 0.1 %, whole-run time, λ returned, and how many seeds end within 1 % and end
`converged`. Then shine's work summed over the seeds (data passes, evaluations), which does not
drift with the machine, with its inner solves' milliseconds per gradient evaluation, and, for configurations run with several thread counts, the per-seed
ratio of the one-thread time to the N-thread time (whole run and to 1 %; median and range) and
how many N-thread runs took the one-thread run's θ path. Last, every other one-thread
configuration against `--baseline` (default `default-t1`): per seed, its time to 1 % over the
baseline's (median and range), on how many seeds the baseline is sooner, and on how many the other
never gets within 1 %. Standard library only.
"""

import argparse
import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DATASETS  # noqa: E402


class Run:
    def __init__(self, path):
        self.path = path
        d = json.loads(path.read_text())
        self.curve = []  # (seconds, returned test loss, gradient evaluations, data passes)
        best_val = float("inf")
        returned = float("nan")
        returned_lambda = float("nan")
        grads = passes = 0
        inner_seconds = 0.0
        if d.get("format") == "shine-trajectory" or "config" in d:
            self.tool = "shine"
            records = d["records"]
            self.total = d["elapsed_seconds"]
            self.termination = d["termination"]
            scale_val = scale_test = 1.0
        elif d.get("format") == "sklearn-grid":
            self.tool = "sklearn"
            records = d["records"]
            self.total = d["total_seconds"]
            self.termination = "grid"
            scale_val = scale_test = 1.0
        else:
            self.tool = "authors"
            records = d["records"]
            self.total = d["total_seconds"]
            self.termination = "max_iterations"
            scale_val, scale_test = 1.0 / d["n_val"], 1.0 / d["n_test"]
        for r in records:
            if self.tool == "shine":
                grads += r["inner"]["gradient_evaluations"]
                passes += r["data_passes"]
                inner_seconds += r["inner"]["seconds"]
                lam = r["lambda"] if not isinstance(r["lambda"], list) else r["lambda"][0]
            elif self.tool == "sklearn":
                grads += r["solver_iterations"]
                passes = float("nan")
                lam = r["lambda"]
            else:
                grads = passes = float("nan")
                lam = r["lambda"]
            val = r["validation_loss"] * scale_val
            if self.tool == "shine" and "returned" in r:
                # The evaluation shine would return at this point, as it records it (null while
                # no validation loss was finite: nothing returned yet).
                if r["returned"] is not None:
                    chosen = records[r["returned"]]
                    returned = chosen["test_loss"]
                    returned_lambda = (chosen["lambda"] if not isinstance(chosen["lambda"], list)
                                       else chosen["lambda"][0])
            elif val is not None and val < best_val:
                best_val = val
                returned = r["test_loss"] * scale_test
                returned_lambda = lam
            self.curve.append((r["elapsed_seconds"], returned, grads, passes))
        if self.termination == "converged" and records:
            # A converged shine run returns its last evaluation (the stationary point).
            returned = records[-1]["test_loss"]
            returned_lambda = lam
            self.curve[-1] = (self.curve[-1][0], returned, grads, passes)
        self.returned = returned
        self.returned_lambda = returned_lambda
        self.passes = passes  # data passes of the whole run (shine; NaN for the other tools)
        self.evaluations = len(records)
        # Inner-solve milliseconds per gradient evaluation (shine; None for the other tools).
        self.ms_per_gradient = (1000.0 * inner_seconds / grads
                                if self.tool == "shine" and grads else None)
        # The θ path (shine): two runs took the same path when these agree.
        self.path = ([json.dumps(r["theta"]) for r in records] if self.tool == "shine" else None)

    def first(self, target):
        for seconds, loss, grads, passes in self.curve:
            if loss <= target:
                return seconds, grads
        return None, None


def median(values):
    values = [v for v in values if v is not None and v == v]
    return statistics.median(values) if values else None


def fmt(value, digits=3):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def span(values):
    """Median and range of a list of ratios, or a dash when empty."""
    return f"{fmt(median(values))} ({fmt(min(values))}–{fmt(max(values))})" if values else "—"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--configs", default="")
    parser.add_argument("--detail", action="store_true", help="one row per seed as well")
    parser.add_argument("--baseline", default="default-t1",
                        help="the run the other one-thread configurations are timed against")
    args = parser.parse_args()

    runs = {}
    pattern = re.compile(r"^(?P<ds>.+?)-s(?P<seed>\d+)-(?P<cfg>.+)-t(?P<t>\d+)\.json$")
    for path in sorted(Path(args.out, "runs").glob("*.json")):
        m = pattern.match(path.name)
        if not m or m["ds"] not in DATASETS:
            continue
        try:
            runs[(m["ds"], int(m["seed"]), f'{m["cfg"]}-t{m["t"]}')] = Run(path)
        except (ValueError, KeyError) as error:
            print(f"skipping {path.name}: {error}", file=sys.stderr)

    # The reference: the held-out loss at the exact minimizer of the validation loss, from the
    # `exact` configuration (tight solves, tight hypergradients, converged to 0.002 in log λ).
    # Without it, the lowest value any curve reaches (biased low: loosely solved models can score
    # by luck well below any accurately fitted one).
    best = defaultdict(lambda: float("inf"))
    exact = {(ds, seed): run.returned for (ds, seed, cfg), run in runs.items()
             if cfg.rsplit("-t", 1)[0] == "exact"}
    for (ds, seed, _), run in runs.items():
        if (ds, seed) in exact:
            best[(ds, seed)] = exact[(ds, seed)]
            continue
        for _, loss, _, _ in run.curve:
            if loss == loss:
                best[(ds, seed)] = min(best[(ds, seed)], loss)

    wanted = [c for c in args.configs.split(",") if c]
    configs = sorted({cfg for (_, _, cfg) in runs}, key=lambda c: (wanted.index(c.rsplit("-t", 1)[0])
                     if c.rsplit("-t", 1)[0] in wanted else len(wanted), c))
    if wanted:
        configs = [c for c in configs if c.rsplit("-t", 1)[0] in wanted]
    datasets = [ds for ds in DATASETS if any(k[0] == ds for k in runs)]

    print("| dataset | configuration | seeds | s to 1 % | s to 0.1 % | grad evals to 1 % | "
          "grad evals to 0.1 % | whole run s | λ returned | within 1 % at the end | converged |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for ds in datasets:
        for cfg in configs:
            cells = [(seed, runs[(d, seed, c)]) for (d, seed, c) in sorted(runs)
                     if d == ds and c == cfg]
            if not cells:
                continue
            t1, t01, g1, g01, total, lam, ok, conv = [], [], [], [], [], [], 0, 0
            for seed, run in cells:
                b = best[(ds, seed)]
                s1, e1 = run.first(b * 1.01)
                s01, e01 = run.first(b * 1.001)
                t1.append(s1)
                t01.append(s01)
                g1.append(e1)
                g01.append(e01)
                total.append(run.total)
                lam.append(run.returned_lambda)
                ok += run.returned <= b * 1.01
                conv += run.termination == "converged"
                if args.detail:
                    print(f"| {ds} s{seed} | {cfg} | 1 | {fmt(s1)} | {fmt(s01)} | {fmt(e1)} | "
                          f"{fmt(e01)} | {fmt(run.total)} | {fmt(run.returned_lambda)} | "
                          f"{run.returned / b - 1:+.2%} | {run.termination} |")
            reached = sum(v is not None for v in t1)
            print(f"| {ds} | {cfg} | {len(cells)} | {fmt(median(t1))}"
                  f"{'' if reached == len(cells) else f' ({reached} reach)'} | {fmt(median(t01))} | "
                  f"{fmt(median(g1))} | {fmt(median(g01))} | {fmt(median(total))} | "
                  f"{fmt(median(lam))} | {ok}/{len(cells)} | {conv}/{len(cells)} |")

    # The work, which does not drift with the machine: shine's data passes and evaluations,
    # summed over the seeds; beside it the cost of that work on this machine (the inner solves'
    # milliseconds per gradient evaluation, median over the seeds).
    shine_configs = [c for c in configs
                     if any(k[2] == c and runs[k].tool == "shine" for k in runs)]
    if shine_configs:
        print()
        print("| dataset | configuration | seeds | data passes (sum) | evaluations (sum) | "
              "ms per gradient evaluation (median) |")
        print("|---|---|---|---|---|---|")
        for ds in datasets:
            for cfg in shine_configs:
                cells = [runs[k] for k in sorted(runs) if k[0] == ds and k[2] == cfg]
                if cells:
                    print(f"| {ds} | {cfg} | {len(cells)} | {sum(r.passes for r in cells)} | "
                          f"{sum(r.evaluations for r in cells)} | "
                          f"{fmt(median([r.ms_per_gradient for r in cells]), 4)} |")

    # Thread scaling: for a configuration run with 1 and N threads, per seed the ratio of the
    # one-thread time to the N-thread time (whole run, and to 1 %), as the median and range over
    # the seeds, and how many N-thread runs took the one-thread run's θ path.
    rows = []
    for cfg in configs:
        base, _, threads = cfg.rpartition("-t")
        if threads == "1" or f"{base}-t1" not in configs:
            continue
        for ds in datasets:
            whole, to1, same, n = [], [], 0, 0
            for seed in sorted({k[1] for k in runs if k[0] == ds}):
                one = runs.get((ds, seed, f"{base}-t1"))
                many = runs.get((ds, seed, cfg))
                if one is None or many is None:
                    continue
                n += 1
                if many.total > 0:
                    whole.append(one.total / many.total)
                s_one, _ = one.first(best[(ds, seed)] * 1.01)
                s_many, _ = many.first(best[(ds, seed)] * 1.01)
                if s_one is not None and s_many:
                    to1.append(s_one / s_many)
                same += one.path is not None and one.path == many.path
            if n:
                rows.append((ds, cfg, n, whole, to1, same))
    if rows:
        print()
        print("| dataset | configuration | seeds | whole run: one thread / this, median (range) | "
              "to 1 %: median (range) | same θ path as one thread |")
        print("|---|---|---|---|---|---|")
        for ds, cfg, n, whole, to1, same in rows:
            print(f"| {ds} | {cfg} | {n} | {span(whole)} | {span(to1)} | {same}/{n} |")

    # Against the baseline (`default-t1`): per seed, another one-thread configuration's time to
    # 1 % over the baseline's (median and range over the seeds where both get there), on how many
    # seeds the baseline gets there strictly sooner, and on how many the other never does.
    rows = []
    for ds in datasets:
        for cfg in configs:
            if cfg == args.baseline or not cfg.endswith("-t1") or cfg.startswith("exact-"):
                continue
            ratios, sooner, never, n = [], 0, 0, 0
            for seed in sorted({k[1] for k in runs if k[0] == ds}):
                ours = runs.get((ds, seed, args.baseline))
                other = runs.get((ds, seed, cfg))
                if ours is None or other is None:
                    continue
                s_ours, _ = ours.first(best[(ds, seed)] * 1.01)
                s_other, _ = other.first(best[(ds, seed)] * 1.01)
                if s_ours is None:
                    continue
                n += 1
                if s_other is None:
                    never += 1
                    sooner += 1
                    continue
                if s_ours > 0:
                    ratios.append(s_other / s_ours)
                sooner += s_ours < s_other
            if n:
                rows.append((ds, cfg, n, ratios, sooner, never))
    if rows:
        print()
        print(f"| dataset | configuration | seeds | its time to 1 % / {args.baseline}'s: median "
              f"(range) | {args.baseline} sooner | never within 1 % |")
        print("|---|---|---|---|---|---|")
        for ds, cfg, n, ratios, sooner, never in rows:
            print(f"| {ds} | {cfg} | {n} | {span(ratios)} | {sooner}/{n} | {never} |")


if __name__ == "__main__":
    main()
