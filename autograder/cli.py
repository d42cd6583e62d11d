"""`autograder` command line: grade, batch, demo, build, list."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


SANDBOX_FAILED = 3   # exit status when the kit refuses to grade because its sandbox does not hold


def _limits(args):
    from .policy import Limits
    return Limits(allow_weak_sandbox=bool(getattr(args, "weak_sandbox", False)))


def refuse(error) -> int:
    print(f"autograder: not grading: {error}.\nNothing was graded or recorded. `autograder doctor` shows what "
          "this machine provides; `--weak-sandbox` grades anyway, with a weaker sandbox, and says so in every "
          "report.", file=sys.stderr)
    return SANDBOX_FAILED


def _grade(args) -> int:
    from .grade import grade_notebook
    from .policy import SandboxError
    try:
        report = grade_notebook(args.notebook, device=args.device, limits=_limits(args))
    except SandboxError as e:
        return refuse(e)
    data = report.to_json()
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2))
    print(f"{report.notebook}: {report.score:g} / {report.max_score:g}")
    if report.weak_sandbox:
        print(f"  WEAK SANDBOX (--weak-sandbox): graded without {', '.join(report.weak_sandbox)}")
    if report.error:
        print(f"  {report.error}")
    for ex in report.exercises:
        print("  " + ex.summary().replace("\n", "\n  "))
    return 0 if not report.error else 2


def _batch(args) -> int:
    from .batch import GradingPool, assignments_with_submissions, run_batch
    course = Path(args.course_dir)
    assignments = args.assignment or (assignments_with_submissions(course) if args.all else [])
    if not assignments:
        print("name the assignments to grade (--assignment ch04, repeatable) or --all", file=sys.stderr)
        return 2
    limits = _limits(args)
    # one pool for every assignment: grader processes, sandbox templates and references start once
    with GradingPool(args.workers, args.scheduler, args.device, limits) as pool:
        codes = []
        for assignment in assignments:
            codes.append(run_batch(course, assignment, force=args.force, pool=pool))
            if codes[-1] == SANDBOX_FAILED:
                return SANDBOX_FAILED
    return max(codes)


def _doctor(args) -> int:
    from .doctor import run_doctor
    return run_doctor(device=args.device, limits=_limits(args))


def _demo(args) -> int:
    from .demo import run_demo
    return run_demo(workers=args.workers, keep=Path(args.keep) if args.keep else None)


def _build(args) -> int:
    from . import build
    return build.main(check=args.check, chapters=args.chapter or None)


def _new(args) -> int:
    from .scaffold import NEXT_STEPS, new_exercise
    written = new_exercise(args.exercise_id, kind="class" if args.cls else "function", notebook_name=args.notebook,
                           book=args.book, points=args.points)
    root = written[0].parents[3]
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    chapter, symbol = args.exercise_id.split("-", 1)
    print(NEXT_STEPS.format(chapter=chapter, notebook=written[0].name, grader=f"{chapter}_{symbol}"))
    return 0


def _report(args) -> int:
    from .classreport import write_report
    page = write_report(Path(args.course_dir), args.assignment, Path(args.out) if args.out else None)
    print(f"class report: {page} (figures and report.json beside it)")
    return 0


def _gradescope(args) -> int:
    from . import gradescope
    from .policy import SandboxError
    if args.zip:
        print(f"wrote {gradescope.build_zip(args.assignment, Path(args.zip))}: upload it as the assignment's "
              "autograder (Gradescope: Configure Autograder > Zip file upload)")
        return 0
    try:
        data = gradescope.run(args.assignment, Path(args.submission), Path(args.results), args.device,
                              _limits(args))
    except SandboxError as e:
        return refuse(e)
    print(f"{data['score']:g} points; {data['output']}")
    return 0


def _syllabus(args) -> int:
    from .syllabus import syllabus_markdown, write_syllabus
    if args.write:
        print(f"wrote {write_syllabus()}")
    else:
        print(syllabus_markdown(), end="")
    return 0


def markdown_table() -> str:
    """The exercises table of README.md (a test keeps the README equal to this)."""
    from .registry import EXERCISES
    rows = ["| exercise | what the student writes | book | points | lesson |", "|---|---|---|---|---|"]
    rows += [f"| `{e.id}` | {'class ' if e.kind == 'class' else ''}`{e.symbol}` | {e.book} | {e.points:g} | "
             f"`source/{e.chapter}/{e.notebook}` |" for e in EXERCISES]
    return "\n".join(rows)


def _list(args) -> int:
    from .registry import EXERCISES
    if args.markdown:
        print(markdown_table())
        return 0
    print(f"{'exercise':28} {'book':16} {'points':>6}  notebook")
    for e in EXERCISES:
        print(f"{e.id:28} {e.book:16} {e.points:>6g}  source/{e.chapter}/{e.notebook}")
    return 0


WEAK_HELP = ("grade even where this machine cannot build the whole sandbox (e.g. no user namespaces); "
             "every report records what was missing")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograder", description="The D2L autograded curriculum kit.")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade one notebook in the sandbox (authoritative)")
    g.add_argument("notebook")
    g.add_argument("--json", metavar="OUT.json", help="write the report here")
    g.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    g.add_argument("--weak-sandbox", action="store_true", help=WEAK_HELP)
    g.set_defaults(func=_grade)

    b = sub.add_parser("batch", help="grade every submission of an assignment into the gradebook")
    b.add_argument("course_dir")
    b.add_argument("--assignment", action="append", help="e.g. ch04; repeat it to grade several in one run")
    b.add_argument("--all", action="store_true", help="every assignment that has submissions")
    b.add_argument("--workers", type=int, default=None, help="parallel graders (default: the cores)")
    b.add_argument("--scheduler", help="address of a Dask distributed scheduler")
    b.add_argument("--force", action="store_true", help="regrade submissions already graded")
    b.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    b.add_argument("--weak-sandbox", action="store_true", help=WEAK_HELP)
    b.set_defaults(func=_batch)

    doc = sub.add_parser("doctor", help="what this machine and user provide: torch, devices, the sandbox")
    doc.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    doc.add_argument("--weak-sandbox", action="store_true", help="also try the canary with a weaker sandbox")
    doc.set_defaults(func=_doctor)

    d = sub.add_parser("demo", help="grade the bundled example class offline and print a table")
    d.add_argument("--workers", type=int, default=None)
    d.add_argument("--keep", metavar="DIR", help="build the class in DIR and keep it (e.g. for autograder report)")
    d.set_defaults(func=_demo)

    r = sub.add_parser("build", help="regenerate release/ and solutions/ from source/")
    r.add_argument("--check", action="store_true", help="only report notebooks that differ")
    r.add_argument("--chapter", action="append", help="limit to this chapter (repeatable)")
    r.set_defaults(func=_build)

    n = sub.add_parser("new", help="the skeleton of a new exercise: lesson cells, grader, proof, registry entry")
    n.add_argument("exercise_id", help="chNN-<symbol>, the book's name, e.g. ch03-l2_penalty")
    n.add_argument("--class", dest="cls", action="store_true", help="the student writes a class (an nn.Module)")
    n.add_argument("--notebook", help="lesson file under source/chNN/ (default: the chapter's only lesson, "
                                      "else <symbol>.ipynb)")
    n.add_argument("--book", default="TODO", help="book section(s), e.g. 3.7")
    n.add_argument("--points", type=float, default=10)
    n.set_defaults(func=_new)

    rp = sub.add_parser("report", help="class report (HTML with figures, JSON) from what batch recorded")
    rp.add_argument("course_dir")
    rp.add_argument("--assignment", required=True, help="e.g. ch04")
    rp.add_argument("--out", help="folder to write to (default: COURSE/reports/<assignment>/)")
    rp.set_defaults(func=_report)

    gs = sub.add_parser("gradescope", help="grade a submission inside Gradescope's container, or --zip the "
                                           "autograder to upload")
    gs.add_argument("--assignment", required=True, help="the chapter this Gradescope assignment is, e.g. ch04")
    gs.add_argument("--submission", default="/autograder/submission")
    gs.add_argument("--results", default="/autograder/results/results.json")
    gs.add_argument("--zip", metavar="OUT.zip", help="write the autograder zip for Gradescope instead of grading")
    gs.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    gs.add_argument("--weak-sandbox", action="store_true", help=WEAK_HELP)
    gs.set_defaults(func=_gradescope)

    sy = sub.add_parser("syllabus", help="the term plan: one row per lesson in book order (COURSE.md)")
    sy.add_argument("--write", action="store_true", help="write COURSE.md (autograder build does this too)")
    sy.set_defaults(func=_syllabus)

    ls = sub.add_parser("list", help="list the exercises")
    ls.add_argument("--markdown", action="store_true", help="as the table in README.md")
    ls.set_defaults(func=_list)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
