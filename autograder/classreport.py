"""`autograder report COURSE --assignment chNN`: what a class did, from what `autograder batch` recorded.

Reads `autograded/<student>/<chNN>/*.json` (no regrading) and writes, under `reports/<chNN>/`:
`report.json` (the numbers), one PNG per figure, and `report.html`, a single self-contained page (figures
embedded) with: the score histogram; per exercise the mean, median, share at full marks and at zero; per
test how many students failed it, hardest first; the most frequent mistakes, counted by the hint that names
the misconception, with one anonymised example; submissions that crashed, timed out, could not be read or
were flagged by the source screen, listed apart; grading time per submission. Figures show aggregates only:
no student is named in them.
"""
from __future__ import annotations

import base64
import html
import json
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from . import registry

PROBLEMS = (  # (kind, words in a report that show it), first match wins
    ("flagged by the source screen", ("reaches beyond the exercise",)),
    ("used the library op it re-implements", ("No credit for this exercise",)),
    ("timed out", ("time limit",)),
    ("crashed", ("Your code was stopped", "ran out of memory", "the process crashed", "the process exited",
                 "the process was killed", "more data than the grader accepts", "output limit")),
)
HINT = re.compile(r"\nHint: (.*)\Z", re.S)


def collect(course: Path, assignment: str) -> list[dict]:
    """Every graded submission of the assignment: {"student", "notebook", "report"}."""
    rows = []
    for path in sorted((Path(course) / "autograded").glob(f"*/{assignment}/*.json")):
        try:
            report = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(report, dict) and "score" in report:
            rows.append({"student": path.parts[-3], "notebook": path.stem + ".ipynb", "report": report})
    return rows


def _problem(report: dict) -> tuple[str, str] | None:
    if report.get("error") and not report.get("exercises"):
        return "could not be read", report["error"]
    text = json.dumps(report)
    for kind, words in PROBLEMS:
        for w in words:
            if w in text:
                where = next((e["id"] for e in report.get("exercises", []) if w in json.dumps(e)), "")
                return kind, where
    return None


def _histogram(values, max_score, bins=10) -> dict:
    edges = [max_score * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for v in values:
        counts[min(int(v / max_score * bins), bins - 1) if max_score else 0] += 1
    return {"edges": edges, "counts": counts}


def summarize(rows: list[dict], assignment: str) -> dict:
    exercises = {e.id: e for e in registry.of_chapter(assignment)}
    scores = [r["report"].get("score", 0.0) for r in rows]
    max_score = max([r["report"].get("max_score", 0.0) for r in rows] + [0.0]) or \
        sum(e.points for e in exercises.values())
    per_ex = defaultdict(list)
    test_fails, test_points, mistakes = defaultdict(Counter), {}, defaultdict(lambda: {"students": set(), "example": ""})
    problems, timing = [], []
    for r in rows:
        rep = r["report"]
        timing.append((r["student"], float(rep.get("seconds", 0.0))))
        found = _problem(rep)
        if found:
            problems.append({"student": r["student"], "notebook": r["notebook"], "kind": found[0], "where": found[1]})
        for e in rep.get("exercises", []):
            per_ex[e["id"]].append(e)
            for t in e.get("tests", []):
                test_points[(e["id"], t["name"])] = t.get("points", 0)
                if not t.get("passed"):
                    test_fails[e["id"]][t["name"]] += 1
                    hint = HINT.search(t.get("message", ""))
                    if hint:
                        entry = mistakes[(e["id"], hint.group(1).strip())]
                        entry["students"].add(r["student"])
                        entry["tests"] = entry.get("tests", set()) | {t["name"]}
                        if not entry["example"]:   # the check's first line: input, expected, got; no one named
                            entry["example"] = t["message"].split("\n", 1)[0][:400]
    ex_rows = []
    for eid in list(exercises) + [e for e in per_ex if e not in exercises]:
        graded = per_ex.get(eid, [])
        vals = [e["score"] for e in graded]
        top = exercises[eid].points if eid in exercises else max([e["max_score"] for e in graded] + [0])
        n = len(graded)
        tests = sorted(({"name": name, "points": test_points.get((eid, name), 0), "failed": k,
                         "failed_share": k / n if n else 0.0} for name, k in test_fails[eid].items()),
                       key=lambda t: (-t["failed"], t["name"]))
        ex_rows.append({"id": eid, "max_score": top, "graded": n,
                        "mean": statistics.fmean(vals) if vals else 0.0,
                        "median": statistics.median(vals) if vals else 0.0,
                        "full_share": sum(v >= top for v in vals) / n if n else 0.0,
                        "zero_share": sum(v == 0 for v in vals) / n if n else 0.0, "tests": tests})
    mistake_rows = sorted(({"exercise": eid, "hint": hint, "students": len(m["students"]),
                            "tests": sorted(m.get("tests", ())), "example": m["example"]}
                           for (eid, hint), m in mistakes.items()), key=lambda m: (-m["students"], m["exercise"]))
    timing.sort(key=lambda t: -t[1])
    return {
        "assignment": assignment, "submissions": len(rows), "max_score": max_score,
        "score": {"mean": statistics.fmean(scores) if scores else 0.0,
                  "median": statistics.median(scores) if scores else 0.0,
                  "histogram": _histogram(scores, max_score)},
        "exercises": ex_rows, "mistakes": mistake_rows, "problems": problems,
        "timing": {"median_seconds": statistics.median([t for _, t in timing]) if timing else 0.0,
                   "slowest": [{"student": s, "seconds": t} for s, t in timing[:5]]},
        "sandbox": sorted({" ".join(r["report"].get("sandbox", {}).get("measures", [])) + (
            " (WEAK)" if r["report"].get("sandbox", {}).get("weak") else "") for r in rows} - {""}),
    }


# -- figures (aggregates only: no student is named) --------------------------------------------------------

def _figure(width=6.0, height=3.2):
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt.subplots(figsize=(width, height))


def figure_histogram(summary):
    fig, ax = _figure()
    h = summary["score"]["histogram"]
    widths = [b - a for a, b in zip(h["edges"], h["edges"][1:])]
    ax.bar(h["edges"][:-1], h["counts"], width=widths, align="edge", color="#4c72b0", edgecolor="white")
    ax.axvline(summary["score"]["mean"], color="#dd8452", linestyle="--", label=f"mean {summary['score']['mean']:.1f}")
    ax.set_xlabel(f"score (out of {summary['max_score']:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{summary['assignment']}: scores of {summary['submissions']} submissions")
    ax.legend()
    fig.tight_layout()
    return fig


def figure_exercises(summary):
    rows = summary["exercises"]
    fig, ax = _figure(6.0, max(2.4, 1.2 + 0.45 * len(rows)))
    names = [r["id"] for r in rows]
    ys = range(len(rows))
    ax.barh(ys, [r["full_share"] * 100 for r in rows], color="#55a868", label="full marks")
    ax.barh(ys, [r["zero_share"] * 100 for r in rows], left=[r["full_share"] * 100 for r in rows],
            color="#c44e52", label="zero")
    ax.set_yticks(list(ys), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of submissions")
    ax.set_title("per exercise: share at full marks and at zero")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def figure_hardest_tests(summary, top=12):
    tests = sorted(((t["failed_share"], f"{e['id']}: {t['name']}") for e in summary["exercises"]
                    for t in e["tests"]), reverse=True)[:top]
    fig, ax = _figure(7.0, max(2.4, 1.2 + 0.4 * len(tests)))
    ax.barh(range(len(tests)), [s * 100 for s, _ in tests], color="#8172b3")
    ax.set_yticks(list(range(len(tests))), [n for _, n in tests], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of submissions that failed the check")
    ax.set_title("hardest checks")
    fig.tight_layout()
    return fig


FIGURES = {"scores.png": figure_histogram, "exercises.png": figure_exercises, "hardest-checks.png": figure_hardest_tests}


# -- the page ----------------------------------------------------------------------------------------------

def _table(header, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(x):
    return f"{100 * x:.0f}%"


def render_html(summary: dict, images: dict, limit: int = 50) -> str:
    def img(name):
        data = base64.b64encode(images[name]).decode()
        return f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'

    s = summary
    parts = [f"<h1>Class report: {html.escape(s['assignment'])}</h1>",
             f"<p>{s['submissions']} submissions; mean {s['score']['mean']:.2f}, median {s['score']['median']:g} "
             f"of {s['max_score']:g}. Sandbox: {html.escape('; '.join(s['sandbox']) or 'not recorded')}.</p>",
             img("scores.png"), "<h2>Exercises</h2>", img("exercises.png"),
             _table(["exercise", "graded", "mean", "median", "full marks", "zero"],
                    [[e["id"], e["graded"], f"{e['mean']:.2f} / {e['max_score']:g}", f"{e['median']:g}",
                      _pct(e["full_share"]), _pct(e["zero_share"])] for e in s["exercises"]]),
             "<h2>Checks failed, hardest first</h2>", img("hardest-checks.png")]
    for e in s["exercises"]:
        if e["tests"]:
            parts += [f"<h3>{html.escape(e['id'])}</h3>",
                      _table(["check", "points", "students failing", "share"],
                             [[t["name"], f"{t['points']:g}", t["failed"], _pct(t["failed_share"])]
                              for t in e["tests"]])]
    parts += ["<h2>Most frequent mistakes</h2><p>Counted by the hint that names the misconception; the example "
              "is one student's message, unattributed.</p>",
              _table(["exercise", "students", "hint", "example"],
                     [[m["exercise"], m["students"], m["hint"], m["example"]] for m in s["mistakes"][:limit]])]
    shown = s["problems"][:limit]
    parts += ["<h2>Submissions to look at</h2>",
              _table(["student", "notebook", "what happened", "where"],
                     [[p["student"], p["notebook"], p["kind"], p["where"]] for p in shown])
              if shown else "<p>None crashed, timed out, was unreadable or was flagged.</p>"]
    if len(s["problems"]) > limit:
        parts.append(f"<p>... and {len(s['problems']) - limit} more (see report.json).</p>")
    parts += ["<h2>Grading time</h2>",
              f"<p>Median {s['timing']['median_seconds']:.2f} s per submission. Slowest:</p>",
              _table(["student", "seconds"], [[t["student"], f"{t['seconds']:.2f}"] for t in s["timing"]["slowest"]])]
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .5em;"
             "text-align:left;vertical-align:top;font-size:90%}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(s['assignment'])} class report"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>")


def write_report(course: Path, assignment: str, out: Path | None = None) -> Path:
    import io
    import matplotlib.pyplot as plt
    rows = collect(course, assignment)
    if not rows:
        raise SystemExit(f"no graded submissions of {assignment} under {course}/autograded/ (run "
                         f"`autograder batch {course} --assignment {assignment}` first)")
    out = Path(out or Path(course) / "reports" / assignment)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(rows, assignment)
    images = {}
    for name, make in FIGURES.items():
        fig = make(summary)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        images[name] = buf.getvalue()
        (out / name).write_bytes(images[name])
    (out / "report.json").write_text(json.dumps(summary, indent=2))
    page = out / "report.html"
    page.write_text(render_html(summary, images))
    return page
