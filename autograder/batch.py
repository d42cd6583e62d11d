"""Grade a whole class: nbgrader's submitted/ layout in, nbgrader's gradebook (+ JSON, CSV) out.

Submissions are graded in parallel by grader processes (a local process pool, or the workers of a Dask
cluster), each of which runs student code only in its own sandboxed workers (see `grade.py`). Results come
back here as plain JSON and this process alone writes the gradebook, so SQLite stays safe.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from . import registry
from .policy import SandboxError

STATE = "autograder.json"   # per graded submission, next to nbgrader's autograded copy


@dataclass
class Submission:
    student: str
    assignment: str
    path: Path

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


# -- layout ------------------------------------------------------------------------------------------

def find_submissions(course: Path, assignment: str) -> list[Submission]:
    """Every `submitted/<student>/<assignment>/*.ipynb`, in a stable order."""
    subs = []
    for student_dir in sorted((course / "submitted").glob("*")):
        folder = student_dir / assignment
        if student_dir.is_dir() and folder.is_dir():
            for nb in sorted(folder.glob("*.ipynb")):
                subs.append(Submission(student_dir.name, assignment, nb))
    return subs


def assignments_with_submissions(course: Path) -> list[str]:
    """The kit's assignments (chapters) that at least one student submitted, in book order."""
    found = {p.name for p in (course / "submitted").glob("*/*") if p.is_dir()}
    return [c for c in registry.chapters() if c in found]


def course_settings(course: Path) -> tuple[str, str]:
    """(db_url, course_id) as nbgrader itself would read them from the course's nbgrader_config.py."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
    cfg = Config()
    if (course / "nbgrader_config.py").exists():
        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    coursedir = CourseDirectory(config=cfg)
    coursedir.root = str(course.resolve())
    return coursedir.db_url, coursedir.course_id


def output_dir(course: Path, sub: Submission) -> Path:
    return course / "autograded" / sub.student / sub.assignment


def is_current(course: Path, sub: Submission) -> bool:
    """Graded before, from these exact bytes."""
    state = output_dir(course, sub) / STATE
    try:
        done = json.loads(state.read_text())
        return done.get("submissions", {}).get(sub.path.name) == sub.digest
    except (OSError, ValueError):
        return False


# -- grading (runs in grader processes) --------------------------------------------------------------

_REFERENCES = None
# One grading at a time per process. A Dask worker runs tasks in threads, and a grading uses process-wide
# state (pytest's session, redirected stdout/stderr, torch's thread count, the timing tests' clock); two at
# once give wrong scores. Parallelism comes from processes: pool workers, or Dask's --nworkers.
_GRADING = threading.Lock()


def grade_bytes(name: str, data: bytes, device: str | None = None, limits=None) -> dict:
    """Grade one notebook given as bytes (so a remote Dask worker needs no shared file system).
    Raises SandboxError if the sandbox fails: the batch stops, nothing is recorded for it."""
    global _REFERENCES
    from .grade import References, default_device, grade_notebook
    from .policy import Limits
    import torch
    dev = torch.device(device) if device else default_device()
    limits = limits or Limits()
    with _GRADING:
        if _REFERENCES is None:
            _REFERENCES = References(dev, limits)
        with tempfile.TemporaryDirectory(prefix="kit-batch-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            start = time.perf_counter()
            report = grade_notebook(path, device=dev, limits=limits, references=_REFERENCES).to_json()
        report["seconds"] = round(time.perf_counter() - start, 3)
    return report


def prove_here(device: str | None = None, limits=None) -> dict:
    """The sandbox proved in this grader process (raises SandboxError with the cause if it does not hold)."""
    from .grade import default_device, sandbox_proof
    from .policy import Limits
    import torch
    with _GRADING:
        return sandbox_proof(str(torch.device(device) if device else default_device()), limits or Limits())


# -- writing (this process only) -----------------------------------------------------------------------

class GradebookWriter:
    def __init__(self, course: Path, assignment: str):
        from nbgrader.api import Gradebook, MissingEntry
        self.course, self.assignment = course, assignment
        db_url, course_id = course_settings(course)
        self.gb = Gradebook(db_url, course_id=course_id)
        self.missing = MissingEntry
        try:
            self.gb.find_assignment(assignment)
        except MissingEntry:
            self.gb.close()
            raise SystemExit(f"assignment {assignment} is not in the gradebook ({db_url}); run "
                             f"`nbgrader generate_assignment {assignment}` in {course} first.") from None

    def write(self, sub: Submission, report: dict):
        out = output_dir(self.course, sub)
        out.mkdir(parents=True, exist_ok=True)
        (out / (sub.path.stem + ".json")).write_text(json.dumps(report, indent=2))
        self._record_scores(sub, report)
        state_path = out / STATE
        try:
            state = json.loads(state_path.read_text())
        except (OSError, ValueError):
            state = {}
        state.setdefault("submissions", {})[sub.path.name] = sub.digest
        state_path.write_text(json.dumps(state, indent=2))

    def _record_scores(self, sub: Submission, report: dict):
        self.gb.update_or_create_student(sub.student)
        try:
            self.gb.find_submission(self.assignment, sub.student)
        except self.missing:
            self.gb.add_submission(self.assignment, sub.student)
        scores = {f"{e['id']}-tests": e["score"] for e in report.get("exercises", [])}
        notebook = Path(sub.path).stem
        for ex in registry.of_chapter(self.assignment):
            if ex.notebook != notebook + ".ipynb" and ex.tests_grade_id not in scores:
                continue
            try:
                grade = self.gb.find_grade(ex.tests_grade_id, Path(ex.notebook).stem, self.assignment, sub.student)
            except self.missing:
                continue
            grade.auto_score = scores.get(ex.tests_grade_id, 0.0)
        self.gb.db.commit()

    def close(self):
        self.gb.close()


def sandbox_summary(sandbox: dict) -> str:
    """The measures a report was graded under, for one CSV cell."""
    text = " ".join(sandbox.get("measures", []))
    if sandbox.get("weak"):
        text += f" (WEAK: without {' '.join(sandbox.get('missing', []))})"
    return text


def write_csv(course: Path, assignment: str, rows: list[dict]) -> Path:
    path = course / f"autograder-{assignment}.csv"
    ids = [e.id for e in registry.of_chapter(assignment)]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "notebook", "score", "max_score", *ids, "error", "sandbox"])
        for r in rows:
            per = {e["id"]: e["score"] for e in r["report"].get("exercises", [])}
            w.writerow([r["student"], r["notebook"], r["report"].get("score", 0), r["report"].get("max_score", 0),
                        *[per.get(i, "") for i in ids], r["report"].get("error", ""),
                        sandbox_summary(r["report"].get("sandbox", {}))])
    return path


# -- the job -------------------------------------------------------------------------------------------

def _warm_up(device, limits):
    """Pool initializer: load the graders and start the sandbox template before work arrives."""
    global _REFERENCES
    import importlib
    import multiprocessing.forkserver
    from . import sandbox
    sandbox._context()
    multiprocessing.forkserver.ensure_running()  # the template imports torch while we do the same
    from .grade import References, default_device
    import torch
    for ex in registry.EXERCISES:
        importlib.import_module(ex.grader_module)
    _REFERENCES = References(torch.device(device) if device else default_device(), limits)
    try:
        prove_here(device, limits)   # the first worker, started now; GradingPool.prove reports a failure
    except SandboxError:
        pass


def _failed(sub: Submission, reason: str) -> dict:
    return {"notebook": sub.path.name, "score": 0, "max_score": 0, "exercises": [], "error": reason}


class GradingPool:
    """Where submissions are graded: a local process pool, or an existing Dask cluster."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, device: str | None = None,
                 limits=None):
        from .policy import Limits
        self.device, self.limits = device, limits or Limits()
        if scheduler:
            from distributed import Client
            self.client, self.pool = Client(scheduler), None
        else:
            self.client = None
            self.workers = workers or os.cpu_count() or 1
            self.pool = self._new_pool()
            # every grader process starts now (torch, graders, sandbox template) and proves its sandbox,
            # while this process reads the course and opens the gradebook
            self._warming = [self.pool.submit(prove_here, self.device, self.limits) for _ in range(self.workers)]

    def _new_pool(self):
        import multiprocessing
        # fresh interpreters: forking this process could copy threads it holds (a fork would break them),
        # and the forkserver is kept for the sandbox's template, which must never hold grader code
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_warm_up, initargs=(self.device, self.limits))

    def grade(self, subs: list[Submission]):
        """Yield (submission, report) as they finish. If a grader process dies (a kit bug, the machine's
        OOM killer), the pool is replaced and the submissions it had not finished are graded again."""
        if self.client is not None:
            yield from self._grade_once(subs)
            return
        pending = list(subs)
        for attempt in range(3):
            broken = []
            for sub, report in self._grade_once(pending):
                if report is None:
                    broken.append(sub)
                else:
                    yield sub, report
            if not broken:
                return
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            pending = broken
        for sub in pending:
            yield sub, _failed(sub, "its grader process kept dying; grade it alone with `autograder grade`")

    def _grade_once(self, subs: list[Submission]):
        if self.client is not None:
            from distributed import as_completed as dask_completed
            futures = {self.client.submit(grade_bytes, s.path.name, s.path.read_bytes(), self.device, self.limits,
                                          pure=False): s for s in subs}
            done = dask_completed(futures)
        else:
            futures = {self.pool.submit(grade_bytes, s.path.name, s.path.read_bytes(), self.device, self.limits): s
                       for s in subs}
            done = as_completed(futures)
        for fut in done:
            sub = futures[fut]
            try:
                report = fut.result()
            except BrokenProcessPool:
                report = None       # the pool died under it: graded again in a new pool
            except SandboxError:
                raise               # the kit's failure, not the student's: the batch stops
            except Exception as e:  # noqa: BLE001 - a grader crash costs that submission only
                report = _failed(sub, f"grading failed: {type(e).__name__}: {e}")
            yield sub, report

    def prove(self) -> list[dict]:
        """The sandbox proved where the grading will run: in a grader process of the pool, or in every
        Dask worker. Raises SandboxError with the cause if it does not hold anywhere."""
        if self.client is not None:
            self.client.wait_for_workers(1, timeout=120)
            workers = list(self.client.scheduler_info()["workers"])
            futures = [self.client.submit(prove_here, self.device, self.limits, workers=[w],
                                          allow_other_workers=False, pure=False) for w in workers]
            return self.client.gather(futures)
        proofs = [f.result() for f in self._warming] or [self.pool.submit(prove_here, self.device, self.limits).result()]
        self._warming = []
        return proofs

    def close(self):
        if self.client is not None:
            self.client.close()
        else:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_batch(course: Path, assignment: str, workers=None, scheduler=None, force=False, device=None,
              progress=True, pool: GradingPool | None = None, limits=None) -> int:
    course = Path(course)
    subs = find_submissions(course, assignment)
    if not subs:
        print(f"no submissions in {course}/submitted/*/{assignment}/")
        return 1
    todo = [s for s in subs if force or not is_current(course, s)]
    print(f"{assignment}: {len(subs)} submissions, {len(todo)} to grade"
          + ("" if force else f" ({len(subs) - len(todo)} unchanged since last graded)"))
    from tqdm import tqdm
    from .cli import refuse
    own = pool is None
    pool = pool or GradingPool(workers, scheduler, device, limits)   # starts warming up at once
    try:
        writer = GradebookWriter(course, assignment)
    except BaseException:
        if own:
            pool.close()
        raise
    rows, failed = [], []
    start = time.perf_counter()
    bar = None
    try:
        try:  # before a single score is written: a sandbox that does not hold is the kit's failure
            proofs = pool.prove()
        except SandboxError as e:
            return refuse(e)
        missing = sorted({m for p in proofs for m in p.get("missing", [])})
        if missing:
            print(f"WEAK SANDBOX (--weak-sandbox): grading without {', '.join(missing)}; every report says so")
        bar = tqdm(total=len(todo), unit="nb", disable=not progress, dynamic_ncols=True, desc=assignment)
        try:
            for sub, report in pool.grade(todo):
                writer.write(sub, report)
                rows.append({"student": sub.student, "notebook": sub.path.name, "report": report})
                if report.get("error"):
                    failed.append(f"{sub.student}/{sub.path.name}: {report['error']}")
                bar.update(1)
                bar.set_postfix(failed=len(failed))
        except SandboxError as e:
            return refuse(f"{e} (while grading; the {len(rows)} submissions graded before it are recorded)")
    finally:
        if bar is not None:
            bar.close()
        writer.close()
        if own:
            pool.close()
    for sub in subs:
        if sub not in todo:
            prev = output_dir(course, sub) / (sub.path.stem + ".json")
            if prev.exists():
                rows.append({"student": sub.student, "notebook": sub.path.name,
                             "report": json.loads(prev.read_text())})
    rows.sort(key=lambda r: (r["student"], r["notebook"]))
    csv_path = write_csv(course, assignment, rows)
    print(f"graded {len(todo)} in {time.perf_counter() - start:.1f} s; class table: {csv_path}")
    for line in failed:
        print(f"  FAILED {line}")
    return 0
