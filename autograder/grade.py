"""Grading entry points: one exercise in-process, one notebook through the sandbox."""
from __future__ import annotations

import contextlib
import functools
import importlib
import io
import os
import re
import sys
import time
import warnings
from pathlib import Path

import torch

from . import notebook, registry, static
from .impl import Implementation, LocalTransport, RemoteTransport, Unavailable
from .plugin import GradingPlugin
from .report import ExerciseReport, NotebookReport
from .sandbox import Limits, SandboxError, prove
from .session import Session

GRADERS_DIR = Path(__file__).parent / "graders"


def default_device() -> torch.device:
    name = os.environ.get("AUTOGRADER_DEVICE")
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class GraderBroken(Exception):
    """The grader itself did not run (import error, no tests): a kit bug, never the student's fault."""


# under a course or kit folder: what a student's code must never see, should it lie inside the runtime
# shown to the sandbox (e.g. a virtual environment inside the course folder)
COURSE_SECRETS = ("source", "solutions", "submitted", "autograded", "feedback", "release", "gradebook.db")


def course_secrets(*roots) -> list[str]:
    roots = roots or (registry.kit_root(), Path.cwd())
    return sorted({str((Path(r) / part).resolve()) for r in roots for part in COURSE_SECRETS
                   if (Path(r) / part).exists()} | {str(GRADERS_DIR)})


@functools.lru_cache(maxsize=None)
def sandbox_proof(device: str, limits: Limits) -> dict:
    """The sandbox proved once per process on this machine (see sandbox.prove); SandboxError if it fails."""
    return prove(device, limits, course_secrets())


# pytest starts once per exercise graded, and every plugin it loads costs time at each start: the graders use
# only its core (fixtures, marks, parametrize), so installed plugins (xdist, nbval, ...) and the optional
# built-in ones stay off. unraisableexception's end-of-session gc.collect() alone cost ~0.2 s a run.
_UNUSED_PLUGINS = ["--disable-plugin-autoload", *(a for name in (
    "cacheprovider", "unraisableexception", "threadexception", "doctest", "junitxml", "pastebin", "legacypath",
    "tmpdir", "monkeypatch", "recwarn", "stepwise", "setuponly", "setupplan", "faulthandler", "logging",
    "debugging", "unittest") for a in ("-p", f"no:{name}"))]


def run_grader(exercise, student, reference, device, unavailable: str = "", keyword: str = "") -> GradingPlugin:
    """Run the exercise's pytest module against `student`; the plugin holds its TestResults.
    `keyword` selects tests as pytest's -k does (benchmarks use it to run only the timing test)."""
    plugin = GradingPlugin(exercise, student, reference, device, unavailable)
    module = importlib.import_module(exercise.grader_module)
    args = [module.__file__, *(["-k", keyword] if keyword else []), "-q", "--noconftest", "--capture=sys",
            "-c", str(GRADERS_DIR / "pytest.ini"), "--rootdir", str(GRADERS_DIR), "-W", "ignore",
            *_UNUSED_PLUGINS]
    # pytest and torch may print; in a notebook cell anything on stderr costs the cell its points
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = pytest_main(args, plugin)
    if plugin.kit_error is not None:   # the sandbox failed under a test: the kit's failure, not a score
        raise plugin.kit_error
    if not plugin.results or code not in (0, 1):
        raise GraderBroken(f"grader {exercise.grader_module} did not run (pytest exit {code}):\n"
                           f"{out.getvalue()[-3000:]}")
    total = sum(r.points for r in plugin.results)
    if not keyword and abs(total - exercise.points) > 1e-9:
        raise GraderBroken(f"grader {exercise.grader_module}'s tests are worth {total:g} points, the registry "
                           f"gives {exercise.id} {exercise.points:g}")
    return plugin


def pytest_main(args, plugin):
    import pytest
    return int(pytest.main(args, plugins=[plugin]))


@contextlib.contextmanager
def _threads(n: int):
    """In-process grading uses the sandbox's thread count, so timings compare the same way."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _exercise_report(exercise, student, reference, device, unavailable="") -> ExerciseReport:
    start = time.perf_counter()
    report = ExerciseReport(exercise.id, float(exercise.points))
    with _threads(Limits().threads):
        plugin = run_grader(exercise, student, reference, device, unavailable)
    report.tests, report.no_credit = plugin.results, plugin.no_credit
    report.error = unavailable
    report.seconds = time.perf_counter() - start
    return report


# -- in-process (instructors checking a reference; the notebook's own hidden test cells) ---------------

@functools.lru_cache(maxsize=None)
def _local_reference(exercise_id: str, device: str) -> Implementation:
    exercise = registry.get(exercise_id)
    src = notebook.source_notebook(exercise)
    cells, _ = notebook.program(exercise, src, src)
    # cells named apart from the student's: both run in this process, and tracebacks quote cells by name
    cells = [{**c, "name": f"instructor's {c['name']}"} for c in cells]
    session = Session(device)
    load = session.handle({"op": "load", "cells": cells})
    broken = [c for c in load.get("cells", []) if c["error"]]
    if broken:
        raise GraderBroken(f"the reference notebook for {exercise_id} failed: {broken}")
    return Implementation(LocalTransport(session), exercise.symbol, device, label="reference")


def grade_callable(exercise_id: str, obj, device=None) -> ExerciseReport:
    """Grade `obj` (a function or class) in this process. Not a trust boundary: see grade_notebook."""
    exercise = registry.get(exercise_id)
    device = torch.device(device) if device else default_device()
    home = _home_namespace(obj)
    # in a kernel (a hidden test cell, stock nbgrader) the cell that defined the object is in IPython's input
    # history: grade that cell as the sandbox does, with the lesson's given cells and the reference for its
    # other exercises, so that a mistake in relu costs points in relu only, not in MLPScratch too, and naming
    # the banned library op counts as using it
    cell = _defining_cell(home.get("In"), exercise.symbol)
    if cell:
        return _grade_program(exercise, cell, device, kernel=_kernel_names(home))
    session = Session(device)
    # the names the object was defined beside, so that graders find what the lesson gives (the sibling
    # fixture) as they do in the sandbox
    session.ns.update(home)
    session.ns[exercise.symbol] = obj
    student = Implementation(LocalTransport(session), exercise.symbol, device)
    reference = _local_reference(exercise_id, str(device))
    return _exercise_report(exercise, student, reference, device)


def _defining_cell(history, symbol: str) -> str:
    """The last input cell that defines `symbol` (def or class), from IPython's `In` list; "" if none."""
    if not isinstance(history, list):
        return ""
    pattern = re.compile(rf"^\s*(def|class)\s+{re.escape(symbol)}\b", re.M)
    return next((cell for cell in reversed(history) if isinstance(cell, str) and pattern.search(cell)), "")


# IPython's own names in a kernel's namespace: not the student's work
_IPYTHON_NAMES = {"In", "Out", "exit", "quit", "open"}


def _kernel_names(namespace: dict) -> dict:
    """What the student's kernel holds besides IPython's bookkeeping (helpers from cells they added)."""
    return {k: v for k, v in namespace.items() if not k.startswith("_") and k not in _IPYTHON_NAMES}


def _home_namespace(obj) -> dict:
    namespace = getattr(obj, "__globals__", None)
    if namespace is None and isinstance(obj, type):
        module = sys.modules.get(obj.__module__)
        namespace = vars(module) if module is not None else None
    return dict(namespace or {})


def grade_code(exercise_id: str, code: str, device=None) -> ExerciseReport:
    """Grade solution-cell source text in this process, with the lesson's given cells run first."""
    exercise = registry.get(exercise_id)
    device = torch.device(device) if device else default_device()
    return _grade_program(exercise, code, device)


def _grade_program(exercise, code: str, device, kernel: dict | None = None) -> ExerciseReport:
    """The sandbox's program (given cells, the reference for the lesson's other exercises, `code` for this one)
    run in this process; `kernel` holds names defined before it runs (a kernel's helper cells)."""
    src = notebook.source_notebook(exercise)
    cells, _ = notebook.program(exercise, notebook.with_solutions(src, {exercise.id: code}), src)
    transport = LocalTransport(Session(device))
    transport.session.ns.update(kernel or {})
    transport.session.ns.pop(exercise.symbol, None)   # defined by `code` or not at all
    transport.source = notebook.student_source(cells)
    transport.solution_source = notebook.student_source(cells, solution_only=True)
    reason = tampering_reason(transport.source, exercise.allow)
    if not reason:
        transport.session.handle({"op": "load", "cells": cells})
    student = Implementation(transport, exercise.symbol, device)
    reference = _local_reference(exercise.id, str(device))
    reason = reason or ("" if student.defined() else f"{exercise.symbol} is not defined")
    return _exercise_report(exercise, student, reference, device, reason)


def tampering_reason(source: str, allow=()) -> str:
    found = static.tampering(source, allow)
    if not found:
        return ""
    return ("Your code reaches beyond the exercise (" + "; ".join(found) + "). A solution computes its "
            "result from its inputs only; code that patches modules, the grader or the process gets no "
            "credit for this exercise.")


def notebook_score(exercise_id: str, obj) -> float:
    """For a hidden test cell: grade in the kernel, print what failed, return the partial score."""
    report = grade_callable(exercise_id, obj)
    print(report.summary())
    return report.score


# -- authoritative: student code only ever runs in a sandboxed worker ---------------------------------

class References:
    """Sandboxed workers running the instructor's solutions, reused across submissions."""

    def __init__(self, device, limits: Limits):
        self.device, self.limits, self.workers = device, limits, {}

    def get(self, exercise) -> Implementation:
        if exercise.id not in self.workers:
            src = notebook.source_notebook(exercise)
            cells, _ = notebook.program(exercise, src, src)
            self.workers[exercise.id] = Implementation(
                RemoteTransport(cells, str(self.device), self.limits, course_secrets()), exercise.symbol,
                self.device, "reference")
        return self.workers[exercise.id]

    def close(self):
        for impl in self.workers.values():
            impl.close()
        self.workers.clear()


def grade_exercise(exercise, nb, device, limits: Limits, references: References, screen: bool = True
                   ) -> ExerciseReport:
    cells, found = notebook.program(exercise, nb)
    transport = RemoteTransport(cells, str(device), limits, course_secrets())
    transport.source = notebook.student_source(cells)
    transport.solution_source = notebook.student_source(cells, solution_only=True)
    student = Implementation(transport, exercise.symbol, device)
    try:
        # tampering is judged on the text, before any of it runs
        reason = (tampering_reason(transport.source, exercise.allow) if screen else "") or _why_unavailable(exercise, student, found)
        return _exercise_report(exercise, student, references.get(exercise), device, reason)
    finally:
        student.close()


def _why_unavailable(exercise, student, found) -> str:
    try:
        defined = student.defined()
    except Unavailable as e:
        return str(e)
    solution = f"solution {exercise.id}"
    errors = [c for c in student.transport.load_report if c["error"] and c["name"] == solution]
    if defined:
        return ""
    if not found:
        return (f"The solution cell {exercise.id} is missing from the notebook (deleted, or its metadata "
                f"was lost), and {exercise.symbol} is not defined anywhere else.")
    if errors:
        e = errors[0]["error"]
        return (f"{exercise.symbol} is not defined: your solution cell raised {e['type']}: {e['message']}"
                + (f"\n{e['where']}" if e.get("where") else ""))
    return f"{exercise.symbol} is not defined after running your notebook: check the name in the solution cell."


def grade_notebook(path, device=None, limits: Limits = Limits(), references: References | None = None,
                   screen: bool = True) -> NotebookReport:
    """Grade every exercise of a notebook in sandboxed workers. `screen=False` skips the check of the
    source text for tampering (tests use it to prove the sandbox alone contains hostile code).

    Raises SandboxError, before grading anything, if the sandbox does not hold on this machine (the
    measures that `limits.allow_weak_sandbox` accepts without are recorded in the report)."""
    path = Path(path)
    device = torch.device(device) if device else default_device()
    proof = sandbox_proof(str(device), limits)
    report = NotebookReport(path.name, sandbox=proof["measures"], weak_sandbox=proof["missing"])
    try:
        nb = notebook.read(path)
    except notebook.BadNotebook as e:
        report.error = str(e)
        return report
    lesson = notebook.lesson_of(nb, path.name)
    if lesson is None:
        report.error = (f"{path.name} is not one of the kit's notebooks (none of its exercise cells were "
                        "found and its name matches no lesson)")
        return report
    own = references is None
    references = references or References(device, limits)
    try:
        for exercise in registry.of_notebook(*lesson):
            report.exercises.append(grade_exercise(exercise, nb, device, limits, references, screen))
    finally:
        if own:
            references.close()
    return report
