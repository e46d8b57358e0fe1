#!/usr/bin/env python3
"""The tuning benchmark: every configuration of bench/tuning/configs.txt on every shared real
dataset, seeds and thread counts as asked, beside scikit-learn's warm-started grid and (on 20news)
the SHINE authors' code; then bench/tuning/analyze.py summarizes.

Protocol, the same for every dataset: the dataset's training file is split 90/5/5 into
train / validation / test with `shine data split --seed S` (the SHINE paper's split of 20news);
every tool sees the same three files. Each run writes one JSON trajectory into OUT/runs/.

    bench/tuning/run.py [--shine build/bin/shine] [--data ../shared/data] [--out bench-tuning]
                        [--datasets 20news,imdb-uni,...] [--seeds 0-4] [--threads 1,2]
                        [--configs NAME,...] [--no-sklearn] [--reference DIR|none]
                        [--threads-configs default] [--repeats N]

Runs are sequential (one tool at a time, so that timings are comparable); a run whose JSON is
already in OUT/runs is skipped, so an interrupted benchmark continues where it stopped.
With --repeats N every shine run is made N times in a row and the JSON of the fastest is kept
(a run's records do not depend on the repeat: shine is deterministic, and a repeat whose θ path
or work counts differ from the first's stops the benchmark). On a shared machine the fastest of a
few repeats is the time least inflated by other work, which matters most for thread-scaling
ratios.
Standard library only; scikit-learn and the authors' code run under /usr/bin/python3 (Debian's
python3-sklearn), each by its own script.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# name -> training file under the shared data folder (the 90/5/5 split is made from it).
DATASETS = {
    "20news": "20news-sklearn/20news.svm.xz",
    "imdb-uni": "imdb/imdb.uni.train.svm.xz",
    "imdb-bi": "imdb/imdb.bi.train.svm.xz",
    "reuters-acq": "reuters21578-acq/reuters-acq.uni.train.svm.xz",
    "spamassassin": "spamassassin/spamassassin.uni.svm.xz",
    "a9a": "libsvm-a9a-a8a-w8a/a9a.xz",
    "w8a": "libsvm-a9a-a8a-w8a/w8a.xz",
}


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            seeds.extend(range(int(lo), int(hi) + 1))
        else:
            seeds.append(int(part))
    return seeds


def read_configs(path):
    configs = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, args = line.partition(" ")
        configs[name] = shlex.split(args)
    return configs


def run(cmd, log, timeout):
    start = time.monotonic()
    with open(log, "w") as out:
        try:
            result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
            code = result.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    return code, time.monotonic() - start


def path_of(record_file):
    """What must not change between repeats of one shine run (its θ path, work and end), and its
    elapsed time."""
    data = json.loads(Path(record_file).read_text())
    path = [(r["theta"], r["data_passes"], r["validation_loss"]) for r in data["records"]]
    return (path, data["termination"]), data["elapsed_seconds"]


def run_repeated(tag, cmd, json_path, logs, timeout, repeats):
    """Runs a shine job `repeats` times; keeps the fastest run's JSON at json_path."""
    first = best = best_file = None
    for r in range(repeats):
        trial = logs / f"{tag}.repeat{r}.json"  # not in runs/, which analyze.py reads
        code, seconds = run([str(trial) if c == str(json_path) else c for c in cmd],
                            logs / f"{tag}.log", timeout)
        if code != 0 or not trial.exists():
            return code, seconds
        path, elapsed = path_of(trial)
        if first is None:
            first = path
        elif path != first:
            sys.exit(f"run.py: repeat {r} of {tag} took another θ path than repeat 0 "
                     f"(shine runs are meant to be deterministic): see {trial}")
        if best is None or elapsed < best:
            if best_file is not None:
                best_file.unlink()
            best, best_file = elapsed, trial
        else:
            trial.unlink()
    best_file.replace(json_path)
    return 0, best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shine", default=str(ROOT / "build/bin/shine"))
    parser.add_argument("--data", default=os.environ.get("SHINE_DATA_DIR", str(ROOT.parent / "shared/data")))
    parser.add_argument("--out", default="bench-tuning")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--threads", default="1,2", help="thread counts of the --threads-configs")
    parser.add_argument("--threads-configs", default="default,scalar-h0",
                        help="configurations also run at every --threads count (others: 1 thread)")
    parser.add_argument("--configs", default="", help="names from the config file (default: all)")
    parser.add_argument("--config-file", default=str(HERE / "configs.txt"))
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--reference", default=os.environ.get("REF_DIR", ""),
                        help="the authors' hoag-shine snapshot (see ../shared/tools/reference); "
                        "none or empty: skip")
    parser.add_argument("--reference-schemes", default="shine,hoag")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each shine job; the fastest one's JSON is kept")
    args = parser.parse_args()

    data = Path(args.data)
    out = Path(args.out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    configs = read_configs(args.config_file)
    chosen = [c for c in args.configs.split(",") if c] or list(configs)
    for name in chosen:
        if name not in configs:
            sys.exit(f"run.py: unknown configuration '{name}' (configs.txt has {', '.join(configs)})")
    threads = [int(t) for t in args.threads.split(",")]
    threaded = set(args.threads_configs.split(","))
    python = "/usr/bin/python3"

    for dataset in args.datasets.split(","):
        if dataset not in DATASETS:
            sys.exit(f"run.py: unknown dataset '{dataset}' (known: {', '.join(DATASETS)})")
        source = data / DATASETS[dataset]
        if not source.exists():
            print(f"skip {dataset}: {source} is absent", flush=True)
            continue
        for seed in parse_seeds(args.seeds):
            split = out / "splits" / f"{dataset}-s{seed}"
            def parts():
                found = [sorted(split.glob(f"*.{p}.svm")) for p in ("train", "validation", "test")]
                return [f[0] for f in found] if all(len(f) == 1 for f in found) else None
            if parts() is None:
                subprocess.run([args.shine, "data", "split", str(source), "--out", str(split),
                                "--seed", str(seed), "--format", "svm"], check=True,
                               stdout=subprocess.DEVNULL)
            train, validation, test = (str(p) for p in parts())
            jobs = []
            for name in chosen:
                only = name.partition("@")[2]
                if only and dataset not in only.split("+"):
                    continue
                for t in (threads if name.partition("@")[0] in threaded else [1]):
                    tag = f"{dataset}-s{seed}-{name.partition('@')[0]}-t{t}"
                    cmd = [args.shine, "tune", train, "--validation", validation, "--test", test,
                           "--threads", str(t), "--seed", str(seed), "-q",
                           "--json", str(out / "runs" / f"{tag}.json")] + configs[name]
                    jobs.append((tag, cmd, None))  # None: a shine run (repeated, no env)
            if not args.no_sklearn:
                tag = f"{dataset}-s{seed}-sklearn-grid20-t1"
                cmd = [python, str(HERE / "sklearn_grid.py"), "--train", train, "--val", validation,
                       "--test", test, "--out", str(out / "runs" / f"{tag}.json")]
                jobs.append((tag, cmd, {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}))
            if args.reference and args.reference != "none" and dataset == "20news":
                script = ROOT.parent / "shared/tools/reference/run_ref.py"
                for scheme in args.reference_schemes.split(","):
                    tag = f"{dataset}-s{seed}-authors-{scheme}-t1"
                    cmd = [python, str(script), "--train", train, "--val", validation, "--test",
                           test, "--scheme", scheme, "--seed", str(seed),
                           "--out", str(out / "runs" / f"{tag}.json")]
                    jobs.append((tag, cmd, {"REF_DIR": args.reference, "OMP_NUM_THREADS": "1",
                                            "OPENBLAS_NUM_THREADS": "1"}))
            for tag, cmd, env in jobs:
                json_path = out / "runs" / f"{tag}.json"
                if json_path.exists():
                    continue
                if env is None:
                    code, seconds = run_repeated(tag, cmd, json_path, out / "logs", args.timeout,
                                                 max(1, args.repeats))
                    fastest = f" (fastest of {args.repeats}, elapsed)" if args.repeats > 1 else ""
                    print(f"{tag}: exit {code}, {seconds:.2f} s{fastest}", flush=True)
                    continue
                os.environ.update(env)
                code, seconds = run(cmd, out / "logs" / f"{tag}.log", args.timeout)
                for key in env:
                    os.environ.pop(key, None)
                print(f"{tag}: exit {code}, {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
