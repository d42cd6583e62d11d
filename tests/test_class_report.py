"""`autograder report`: the numbers, figures and page of a class report, for a class of 1 and of 1,000."""
import json
import random
import subprocess
import sys

import pytest

from autograder import classreport

TESTS = [("test_matches_torch_softmax", 2), ("test_large_logits_do_not_overflow", 2), ("test_gradient", 1.5),
         ("test_input_not_modified", 0.5), ("test_written_from_scratch", 1), ("test_speed", 1),
         ("test_rows_are_probabilities", 1), ("test_float64", 1)]
HINTS = {"test_large_logits_do_not_overflow": "Subtract each row's maximum first (book 4.5.2).",
         "test_matches_torch_softmax": "you normalised over columns (dim 0); each row (dim 1) must sum to 1.",
         "test_input_not_modified": "use X.exp() and X - ... instead."}


def fake_report(rng, kind):
    """A report as batch writes it: correct, a known mistake, blank, or a hostile one."""
    tests = []
    for name, points in TESTS:
        failed = (kind == "blank" or (kind == "overflow" and name == "test_large_logits_do_not_overflow")
                  or (kind == "columns" and name in ("test_matches_torch_softmax", "test_rows_are_probabilities")))
        msg = ""
        if failed:
            msg = ("Your code raised NotImplementedError: " if kind == "blank" else
                   f"softmax(X) is wrong at 3 of 12 positions (seed {rng.random():.3f}).")
            if kind != "blank" and name in HINTS:
                msg += f"\nHint: {HINTS[name]}"
        tests.append({"name": name, "points": points, "passed": not failed, "message": msg})
    ex = {"id": "ch04-softmax", "max_score": 10, "tests": tests,
          "score": 0 if kind in ("blank", "tamper") else sum(p for (n, p), t in zip(TESTS, tests) if t["passed"])}
    if kind == "tamper":
        ex["error"] = "Your code reaches beyond the exercise (assigns to torch.allclose)."
    return {"notebook": "softmax_regression.ipynb", "score": ex["score"], "max_score": 10, "exercises": [ex],
            "sandbox": {"measures": ["pid-namespace", "private-root"], "weak": False, "missing": []},
            "seconds": round(rng.uniform(0.2, 2.0), 3)}


def make_class(course, kinds):
    rng = random.Random(0)
    for i, kind in enumerate(kinds):
        folder = course / "autograded" / f"student{i:04d}" / "ch04"
        folder.mkdir(parents=True)
        (folder / "softmax_regression.json").write_text(json.dumps(fake_report(rng, kind)))


@pytest.mark.parametrize("size", [1, 1000])
def test_report_numbers_figures_and_page(tmp_path, size):
    kinds = (["correct", "overflow", "columns", "blank", "tamper"] * 200)[:size]
    make_class(tmp_path, kinds)
    page = classreport.write_report(tmp_path, "ch04")
    data = json.loads((page.parent / "report.json").read_text())
    assert data["submissions"] == size
    scores = [classreport.json.loads(p.read_text())["score"] for p in tmp_path.glob("autograded/*/ch04/*.json")]
    assert data["score"]["mean"] == pytest.approx(sum(scores) / size)
    assert sum(data["score"]["histogram"]["counts"]) == size
    (ex,) = [e for e in data["exercises"] if e["id"] == "ch04-softmax"]
    assert ex["full_share"] == pytest.approx(kinds.count("correct") / size)
    assert ex["zero_share"] == pytest.approx((kinds.count("blank") + kinds.count("tamper")) / size)
    if size == 1000:
        hardest = ex["tests"][0]
        # overflow + blank and columns + blank fail these two: 400 each, ties in name order
        assert [t["name"] for t in ex["tests"][:2]] == ["test_large_logits_do_not_overflow",
                                                       "test_matches_torch_softmax"]
        assert hardest["failed"] == 400
        assert [t["failed"] for t in ex["tests"]] == sorted((t["failed"] for t in ex["tests"]), reverse=True)
        top = data["mistakes"][0]
        assert top["students"] == 200 and "student" not in top["example"]
        assert {m["hint"] for m in data["mistakes"]} >= {HINTS["test_large_logits_do_not_overflow"]}
        flagged = [p for p in data["problems"] if p["kind"] == "flagged by the source screen"]
        assert len(flagged) == 200 and all(p["where"] == "ch04-softmax" for p in flagged)
        assert len(data["timing"]["slowest"]) == 5
    text = page.read_text()
    assert text.count("data:image/png;base64,") == len(classreport.FIGURES)    # self-contained
    for name in classreport.FIGURES:
        assert (page.parent / name).stat().st_size > 1000


def test_figures_name_no_student(tmp_path):
    import io
    import matplotlib
    matplotlib.rcParams["svg.fonttype"] = "none"     # keep text as text, to search it
    make_class(tmp_path, ["correct", "overflow", "tamper"] * 3)
    summary = classreport.summarize(classreport.collect(tmp_path, "ch04"), "ch04")
    for make in classreport.FIGURES.values():
        buf = io.StringIO()
        make(summary).savefig(buf, format="svg")
        names = {r["student"] for r in classreport.collect(tmp_path, "ch04")}
        assert not [n for n in names if n in buf.getvalue()]


def test_cli_writes_the_report(tmp_path):
    make_class(tmp_path, ["correct", "blank"])
    proc = subprocess.run([sys.executable, "-m", "autograder", "report", str(tmp_path), "--assignment", "ch04"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "reports" / "ch04" / "report.html").exists()
    empty = subprocess.run([sys.executable, "-m", "autograder", "report", str(tmp_path), "--assignment", "ch05"],
                           capture_output=True, text=True, timeout=300)
    assert empty.returncode != 0 and "run `autograder batch" in empty.stderr


def test_a_chapter_of_several_notebooks_is_scored_per_student(tmp_path):
    """The histogram counts students, each by their total over the chapter's lesson notebooks."""
    rng = random.Random(1)
    for i, kinds in enumerate([("correct", "correct"), ("correct", "blank"), ("blank", "blank")]):
        for notebook, kind in zip(("softmax_regression", "another_lesson"), kinds):
            folder = tmp_path / "autograded" / f"student{i}" / "ch04"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{notebook}.json").write_text(json.dumps(fake_report(rng, kind)))
    data = json.loads((classreport.write_report(tmp_path, "ch04").parent / "report.json").read_text())
    assert (data["students"], data["submissions"]) == (3, 6)
    assert sum(data["score"]["histogram"]["counts"]) == 3
    assert data["score"]["mean"] == pytest.approx((20 + 10 + 0) / 3)
    assert data["max_score"] == sum(e.points for e in classreport.registry.of_chapter("ch04"))
