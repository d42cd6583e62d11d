"""Grading on Gradescope: `autograder gradescope` inside Gradescope's container, and the zip to upload.

Gradescope runs `/autograder/run_autograder` with the student's files in `/autograder/submission/` and
expects `/autograder/results/results.json` (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
a top-level `score` and `execution_time`, and one entry per grader test under `tests` with `name`,
`score`, `max_score`, `status`, `output` (the kit's message: never the hidden tests' source) and
`visibility`. A sandbox that cannot start writes no results (Gradescope then shows the run as failed, for the
instructor to rerun) rather than a zero.

`autograder gradescope --zip gradescope-ch04.zip --assignment ch04` builds the zip Gradescope takes:
`setup.sh` (installs Python 3.11, torch for the CPU and the kit), `run_autograder`, and the kit with the
chapter's lessons under `kit/`.
"""
from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

from . import registry

VISIBILITY = "visible"   # the kit's messages are written for students; Gradescope may hide all until published

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image setup: Python 3.11 (nbgrader 0.9.6 needs it), torch for the CPU, and the kit.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
if ! command -v python3.11 >/dev/null; then
    apt-get install -y software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
fi
apt-get install -y python3.11 python3.11-venv
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu
/autograder/venv/bin/pip install /autograder/source/kit
/autograder/venv/bin/python -m autograder doctor --device cpu
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope calls this for each submission; results go to /autograder/results/results.json.
cd /autograder/source/kit
exec /autograder/venv/bin/python -m autograder gradescope --assignment {assignment} --device cpu \\
    --submission /autograder/submission --results /autograder/results/results.json
"""


def _tests_of(ex: dict, notebook: str) -> list[dict]:
    reason = ex.get("error", "")
    out = []
    for t in ex.get("tests", []):
        passed = bool(t["passed"]) and not reason
        message = t.get("message") or ("passed" if t["passed"] else "failed")
        if reason and t["passed"]:
            message = reason
        out.append({"name": f"{ex['id']}: {t['name']}", "score": t["points"] if passed else 0.0,
                    "max_score": t["points"], "status": "passed" if passed else "failed",
                    "output": message, "visibility": VISIBILITY, "tags": [ex["id"], notebook]})
    if not out:   # not graded at all (missing, unreadable): one entry that says why
        out.append({"name": f"{ex['id']}: not graded", "score": 0.0, "max_score": ex["max_score"],
                    "status": "failed", "output": reason or "not graded", "visibility": VISIBILITY,
                    "tags": [ex["id"], notebook]})
    return out


def results(reports: list[dict], assignment: str, seconds: float, missing: list[str]) -> dict:
    """results.json from the kit's notebook reports (autograder grade's JSON) of one submission."""
    tests, notes = [], []
    for rep in reports:
        if rep.get("error") and not rep.get("exercises"):
            notes.append(f"{rep['notebook']}: {rep['error']}")
        for ex in rep.get("exercises", []):
            tests += _tests_of(ex, rep["notebook"])
    for name in missing:
        for e in registry.of_chapter(assignment):
            if e.notebook == name:
                tests += _tests_of({"id": e.id, "max_score": e.points, "tests": [],
                                    "error": f"{name} is not in your submission: upload it as it is named "
                                             "in the assignment."}, name)
    score = round(sum(t["score"] for t in tests), 4)
    sandbox = next((rep.get("sandbox") for rep in reports if rep.get("sandbox")), {})
    summary = [f"{rep['notebook']}: {rep['score']:g} / {rep['max_score']:g}" for rep in reports] + notes
    return {"score": score, "execution_time": round(seconds, 1), "output": "\n".join(summary),
            "visibility": VISIBILITY, "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"sandbox": sandbox}}


def run(assignment: str, submission: Path, results_path: Path, device=None, limits=None) -> dict:
    """Grade every lesson notebook of `assignment` found in `submission` and write results.json.
    Raises SandboxError (nothing written) if the sandbox does not hold."""
    from .grade import grade_notebook
    from .sandbox import Limits
    start = time.perf_counter()
    lessons = sorted({e.notebook for e in registry.of_chapter(assignment)})
    found = {p.name: p for p in sorted(Path(submission).rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts}
    reports = [grade_notebook(found[name], device=device, limits=limits or Limits()).to_json()
               for name in lessons if name in found]
    data = results(reports, assignment, time.perf_counter() - start, [n for n in lessons if n not in found])
    results_path = Path(results_path)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(data, indent=2))
    return data


KIT_FILES = ("pyproject.toml", "README.md", "nbgrader_config.py")
KIT_FOLDERS = ("autograder", "d2lkit")


def build_zip(assignment: str, out: Path, root: Path | None = None) -> Path:
    """The zip Gradescope takes: setup.sh and run_autograder at its root, the kit under kit/ with only this
    assignment's lessons (the reference solutions the timing checks compare against)."""
    root = root or registry.kit_root()
    if not registry.of_chapter(assignment):
        raise SystemExit(f"no exercises in {assignment}; known: {', '.join(registry.chapters())}")
    out = Path(out)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER.format(assignment=assignment))):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            z.writestr(info, text)
        for name in KIT_FILES:
            z.write(root / name, f"kit/{name}")
        paths = [p for folder in KIT_FOLDERS for p in sorted((root / folder).rglob("*"))]
        paths += sorted((root / "source" / assignment).glob("*.ipynb"))
        for p in paths:
            if p.is_file() and "__pycache__" not in p.parts:
                z.write(p, f"kit/{p.relative_to(root).as_posix()}")
    return out
