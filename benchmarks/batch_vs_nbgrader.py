"""Grade the same synthetic class with stock `nbgrader autograde` and with `autograder batch`.

    python benchmarks/batch_vs_nbgrader.py --students 20 --chapters ch04 --workers 2
    python benchmarks/batch_vs_nbgrader.py --students 20 --chapters all     # a mixed class of every chapter

Builds a throw-away course (stock `nbgrader generate_assignment`), writes one submission per student and
chapter (an honest mixture: correct, untouched stub, and buggy answers taken from the graders' proof
files), grades two identical copies of it, checks that every student gets the same score both ways, and
prints both wall times, their ratio, the batch path's cost per submission against the floor (the grading
work alone, measured inside the grader processes, without process start-up), and per exercise the warm
grading time (median, worst) with its slowest checks. Both sides run as the instructor runs them: stock
`nbgrader autograde` once per chapter, `autograder batch` once for all chapters.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import batch, notebook, registry  # noqa: E402
from autograder.build import generate_assignments, nbgrader_env  # noqa: E402


def variants(exercise):
    """correct, stub and the buggy variants of the exercise's proof file (tests/graders/test_<grader>.py)."""
    src = notebook.source_notebook(exercise)
    ref = next(notebook.strip_solution_markers(notebook.source_text(c)) for c in src.cells
               if notebook.grade_id(c) == exercise.id)
    out = [("correct", ref), ("stub", None)]
    try:
        proof = importlib.import_module(f"tests.graders.test_{exercise.grader}")
        out += [(f"bug: {name}", code) for name, (code, *_rest) in proof.MUTANTS.items()]
    except (ImportError, AttributeError):
        pass
    return out


def build(course: Path, students: int, chapters: list[str]):
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for ch in chapters:
        shutil.copytree(ROOT / "source" / ch, course / "source" / ch)
    generate_assignments(course, chapters)
    for chapter in chapters:
        for ch, name in registry.notebooks():
            if ch != chapter:
                continue
            release = notebook.read(course / "release" / ch / name)
            pools = {e.id: variants(e) for e in registry.of_notebook(ch, name)}
            for i in range(students):
                codes = {eid: pool[i % len(pool)][1] for eid, pool in pools.items()}
                nb = notebook.with_solutions(release, {k: v for k, v in codes.items() if v is not None})
                target = course / "submitted" / f"student{i:03d}" / ch / name
                target.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, target)


def stock_scores(course: Path, chapter: str) -> dict:
    from nbgrader.api import Gradebook
    db_url, course_id = batch.course_settings(course)
    with Gradebook(db_url, course_id=course_id) as gb:
        return {s.student_id: round(s.score, 3) for s in gb.find_assignment(chapter).submissions}


def per_exercise(course: Path, chapters: list[str]) -> list[str]:
    """Warm grading time per exercise (median, worst over the class) and its slowest checks."""
    times, tests = {}, {}
    for ch in chapters:
        for sub in batch.find_submissions(course, ch):
            report = json.loads((batch.output_dir(course, sub) / (sub.path.stem + ".json")).read_text())
            for ex in report.get("exercises", []):
                times.setdefault(ex["id"], []).append(ex.get("seconds", 0.0))
                for t in ex.get("tests", []):
                    tests.setdefault(ex["id"], {}).setdefault(t["name"], []).append(t.get("seconds", 0.0))
    rows = [f"{'exercise':28} {'n':>4} {'median s':>9} {'worst s':>8}  slowest checks (median s)"]
    for eid in sorted(times, key=lambda e: [x.id for x in registry.EXERCISES].index(e)):
        slow = sorted(((statistics.median(v), name) for name, v in tests.get(eid, {}).items()), reverse=True)[:2]
        rows.append(f"{eid:28} {len(times[eid]):>4} {statistics.median(times[eid]):>9.3f} {max(times[eid]):>8.3f}  "
                    + ", ".join(f"{name} ({m:.3f})" for m, name in slow))
    return rows


def kit_batch(course: Path, chapters: list[str], workers) -> float:
    """Wall time of one `autograder batch` command for these chapters, start-up included."""
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "autograder", "batch", str(course), "--force", "--device", "cpu",
           *[a for ch in chapters for a in ("--assignment", ch)], *(["--workers", str(workers)] if workers else [])]
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--chapters", default="ch04", help="comma-separated, e.g. ch04,ch05, or 'all'")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--per-chapter", action="store_true",
                    help="also grade each chapter alone with the kit (stock nbgrader runs once either way)")
    args = ap.parse_args()
    chapters = registry.chapters() if args.chapters == "all" else args.chapters.split(",")
    with tempfile.TemporaryDirectory(prefix="kit-bench-") as tmp:
        stock, kit = Path(tmp) / "stock", Path(tmp) / "kit"
        stock.mkdir()
        build(stock, args.students, chapters)
        shutil.copytree(stock, kit)
        n = sum(len(batch.find_submissions(stock, ch)) for ch in chapters)

        stock_by_chapter = {}
        for ch in chapters:
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ch, "--force"], cwd=stock,
                                  env=nbgrader_env(), capture_output=True, text=True)
            stock_by_chapter[ch] = time.perf_counter() - t0
            if proc.returncode != 0:
                print(proc.stderr[-2000:])
        t_stock = sum(stock_by_chapter.values())

        # the kit as an instructor runs it: one command for every chapter, start-up included
        t_kit = kit_batch(kit, chapters, args.workers)
        by_chapter = []
        if args.per_chapter and len(chapters) > 1:   # each chapter alone as well, start-up paid each time
            for ch in chapters:
                alone = Path(tmp) / f"kit-{ch}"
                shutil.copytree(stock, alone, ignore=shutil.ignore_patterns("autograded", "*.csv"))
                t = kit_batch(alone, [ch], args.workers)
                same = stock_scores(stock, ch) == stock_scores(alone, ch)
                by_chapter.append(f"{ch:6} {len(batch.find_submissions(stock, ch)):>5} {stock_by_chapter[ch]:>9.1f} "
                                  f"{t:>8.1f} {stock_by_chapter[ch] / t:>8.1f}x  "
                                  f"{'identical' if same else 'MISMATCH'}")

        mismatches, floor = [], 0.0
        for ch in chapters:
            a, b = stock_scores(stock, ch), stock_scores(kit, ch)
            mismatches += [f"{ch}/{s}: nbgrader {a.get(s)} vs kit {b.get(s)}" for s in sorted(set(a) | set(b))
                           if a.get(s) != b.get(s)]
            for sub in batch.find_submissions(kit, ch):
                report = json.loads((batch.output_dir(kit, sub) / (sub.path.stem + ".json")).read_text())
                floor += report.get("seconds", 0.0)
        workers = args.workers or os.cpu_count()
        print(f"submissions: {n} ({args.students} students x {', '.join(chapters)}), workers: {workers}")
        print(f"stock nbgrader autograde: {t_stock:8.1f} s  ({t_stock / n:.2f} s per submission)")
        print(f"autograder batch:         {t_kit:8.1f} s  ({t_kit / n:.2f} s per submission, start-up included)")
        print(f"speed-up:                 {t_stock / t_kit:8.1f}x")
        print(f"batch cost per submission (wall x workers / n): {t_kit * workers / n:.2f} s; "
              f"floor (grading work inside the grader): {floor / n:.2f} s; "
              f"overhead: {t_kit * workers / max(floor, 1e-9):.2f}x the floor")
        print("scores identical for every student" if not mismatches else "SCORE MISMATCHES:\n  " +
              "\n  ".join(mismatches))
        if by_chapter:
            print()
            print(f"{'chapter':6} {'subs':>5} {'stock s':>9} {'kit s':>8} {'speed-up':>9}  scores")
            print("\n".join(by_chapter))
        print()
        print("\n".join(per_exercise(kit, chapters)))
        return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
