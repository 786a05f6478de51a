"""Run every benchmark in turn (each writes ``benchmarks/results_<topic>.md``), then rebuild
BENCHMARKS.md. Takes a long while (the siting and load benchmarks alone take minutes); run it
on a quiet machine: every figure is a ratio against a peer approach measured in the same run.

    .venv/bin/python benchmarks/run_all.py [TOPIC ...]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = {
    "build": ["-m", "benchmarks.bench_build", "--out", "benchmarks/results_build.md"],
    "dashboard": ["benchmarks/bench_dashboard.py"],
    "network": ["-m", "benchmarks.bench_network"],
    "profiles": ["-m", "benchmarks.bench_profiles"],
    "siting": ["-m", "benchmarks.bench_siting"],
    "clusters": ["-m", "benchmarks.bench_clusters"],
    "export": ["-m", "benchmarks.bench_export"],
    "load": ["benchmarks/load_test.py", "--users", "20", "--seconds", "60", "--server", "gunicorn"],
    "scale": ["-m", "benchmarks.bench_scale"],
    "values_grid": [
        "benchmarks/bench_values_grid.py",
        "--out",
        "benchmarks/results_values_grid.md",
    ],
}


def main(argv: list[str]) -> int:
    topics = argv or list(RUNS)
    failed = []
    for topic in topics:
        print(f"== {topic}", flush=True)
        if subprocess.run([sys.executable, *RUNS[topic]], cwd=ROOT).returncode != 0:
            failed.append(topic)
    subprocess.run([sys.executable, "-m", "benchmarks.collect"], cwd=ROOT, check=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
