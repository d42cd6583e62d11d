"""What every grader's proof showed: per exercise, the score of each buggy variant and the first words of the
message it got, and the correct alternatives that got full marks.

    python benchmarks/grader_evidence.py [--chapter ch10 ...] [--out evidence.md]
    KIT_PROOF_LOG=proofs.jsonl python -m pytest -n auto; python benchmarks/grader_evidence.py --log proofs.jsonl

Runs the proof files (tests/graders/test_<chapter>_*.py) with pytest, which records every grading through
tests/graders/proving.py in a JSON-lines log (KIT_PROOF_LOG), and prints the log as markdown: the evidence
an instructor (or a reviewer) reads before trusting a grader. A proof that fails shows in the table too.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import registry  # noqa: E402


def first_line(message: str, width: int = 90) -> str:
    """The part of a message that names the mistake: its hint when it has one, else its first words."""
    head, _, hint = " ".join(message.split()).partition("Hint:")
    text = hint.strip() or head.strip()
    return (text[:width] + "…") if len(text) > width else text


def case_name(test: str) -> str:
    """'tests/graders/test_x.py::test_mutant_loses_points[wrong axis] (call)' -> 'wrong axis'."""
    name = re.sub(r" \((setup|call|teardown)\)$", "", test.split("::")[-1])
    m = re.search(r"\[(.*)\]$", name)
    return m.group(1) if m else name


def table(records) -> str:
    by_ex = defaultdict(list)
    for r in records:
        by_ex[r["exercise"]].append(r)
    out = []
    for ex in registry.EXERCISES:
        rows = by_ex.get(ex.id)
        if not rows:
            continue
        out += [f"### {ex.id} ({ex.points} points, book {ex.book})", "",
                "| case | score | what the message says |", "|---|---|---|"]
        seen = set()
        for r in rows:
            name = case_name(r["test"])
            if (name, r["score"]) in seen:
                continue
            seen.add((name, r["score"]))
            said = "; ".join(f"`{t}`: {first_line(m)}" for t, m in r["failed"][:1]) or "full marks"
            out.append(f"| {name} | {r['score']:g}/{r['max']:g} | {said.replace('|', '/')} |")
        out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chapter", action="append", help="only these chapters (default: all)")
    ap.add_argument("--out", help="write the markdown here as well")
    ap.add_argument("--workers", default="2", help="pytest-xdist workers (default 2)")
    ap.add_argument("--log", help="read the gradings a pytest run already logged (KIT_PROOF_LOG) instead")
    args = ap.parse_args()
    if args.log:
        records = [json.loads(line) for line in Path(args.log).read_text().splitlines()]
        text = table([r for r in records if not args.chapter or r["exercise"].split("-")[0] in args.chapter])
        print(text)
        if args.out:
            Path(args.out).write_text(text + "\n")
        return 0
    chapters = args.chapter or sorted({e.chapter for e in registry.EXERCISES})
    files = sorted(str(p.relative_to(ROOT)) for c in chapters for p in (ROOT / "tests/graders").glob(f"test_{c}_*.py"))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "proofs.jsonl"
        env = {**os.environ, "KIT_PROOF_LOG": str(log)}
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", args.workers,
                               *files], cwd=ROOT, env=env, capture_output=True, text=True)
        records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    text = table(records)
    print(text)
    print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:])
    if args.out:
        Path(args.out).write_text(text + "\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
