"""Run the reference solution through every grader's timing test many times, with the other core busy.

    python benchmarks/timing_fairness.py --runs 50

The timing tests compare the student's time with the reference solution's in the same run; a correct
solution must never fail them. Here the "student" is the reference itself, graded through the sandbox
(two workers, as in real grading) while a busy loop occupies another core. Prints, per exercise, the
ratios seen (worst, median) against the threshold, and how many runs failed (must be 0).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder import checks, notebook, registry  # noqa: E402
from autograder.grade import GraderBroken, run_grader  # noqa: E402
from autograder.impl import Implementation, RemoteTransport  # noqa: E402
from autograder.sandbox import Limits  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--exercise", action="append", help="limit to these exercise ids")
    args = ap.parse_args()
    seen = []
    original = checks.timing_ratio

    def recording(*a, **k):
        ratio = original(*a, **k)
        seen.append((ratio, k.get("threshold")))
        return ratio
    checks.timing_ratio = recording
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    device = torch.device("cpu")
    try:
        print(f"{'exercise':26} {'runs':>4} {'failed':>6} {'worst':>7} {'median':>7} {'threshold':>9}")
        for ex in registry.EXERCISES:
            if args.exercise and ex.id not in args.exercise:
                continue
            src = notebook.source_notebook(ex)
            cells, _ = notebook.program(ex, src, src)
            student = Implementation(RemoteTransport(cells, "cpu", Limits()), ex.symbol, device)
            reference = Implementation(RemoteTransport(cells, "cpu", Limits()), ex.symbol, device, "reference")
            failed = 0
            seen.clear()
            try:
                for _ in range(args.runs):
                    plugin = run_grader(ex, student, reference, device, keyword="speed")
                    failed += sum(not t.passed for t in plugin.results)
            except GraderBroken:  # pytest selected nothing: this grader has no timing test
                print(f"{ex.id:26} (no timing test)")
                continue
            finally:
                student.close()
                reference.close()
            ratios = [r for r, _ in seen]
            threshold = seen[0][1] if seen else float("nan")
            print(f"{ex.id:26} {args.runs:>4} {failed:>6} {max(ratios):>7.2f} {statistics.median(ratios):>7.2f} "
                  f"{threshold:>9g}")
    finally:
        busy.kill()


if __name__ == "__main__":
    main()
