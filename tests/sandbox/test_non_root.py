"""The sandbox holds for an instructor who is not root (issue: the trust boundary for ordinary users).

Each hostile solution reaches `os` without naming it (`getattr(torch, "o" + "s")`), which the source
screen does not see, so the sandbox alone must contain it. Graded by `autograder grade` and `autograder
batch` run as an ordinary user whose home holds the kit they import and their course: the grader must
survive, `kill(-1, 9)` must reach nothing outside the sandbox, no file outside the worker's scratch
folder may appear or change, nothing of the instructor's may be read, and honest classmates keep their
marks. A control run with the sandbox switched off shows that these checks do catch the attacks.
"""
import json
import os
import shutil
import subprocess
import time

import nbformat
import pytest

from autograder import notebook
from autograder.build import generate_assignments

from ..conftest import reference_code, release_path
from .instructor import Instructor

SOFTMAX = reference_code("ch04-softmax")
SECRET, TOKEN = "the-instructor's-private-notes-4471", "env-token-9932"
OS = '_m = getattr(torch, "o" + "s")\n'


def attack(targets):
    """kill(-1, 9), a file written at each target, a process left running; then an honest softmax."""
    return OS + f"""
try:
    getattr(_m, "ki" + "ll")(-1, 9)
except OSError:
    pass
for _p in {targets!r}:
    try:
        _fd = getattr(_m, "op" + "en")(_p, _m.O_WRONLY | _m.O_CREAT | _m.O_TRUNC, 0o644)
        getattr(_m, "wri" + "te")(_fd, b"pwned")
    except OSError:
        pass
getattr(_m, "sys" + "tem")("sleep 313 &")
""" + SOFTMAX


def reader(secret_path):
    """Reads the instructor's notes and environment and shows them in its error message."""
    return OS + f"""
def softmax(X):
    found = dict(getattr(_m, "envi" + "ron"))
    try:
        _fd = getattr(_m, "op" + "en")({secret_path!r}, _m.O_RDONLY)
        found["notes"] = getattr(_m, "re" + "ad")(_fd, 200).decode()
    except OSError as e:
        found["notes"] = str(e)
    raise ValueError(repr(found))
"""


FORK_BOMB = OS + """
def softmax(X):
    while True:
        getattr(_m, "fo" + "rk")()
"""


@pytest.fixture(scope="module")
def instructor(tmp_path_factory):
    inst = Instructor.create(tmp_path_factory.mktemp("instructor-home"))
    inst.env["PYTHONDONTWRITEBYTECODE"] = "1"
    inst.env["KIT_TEST_TOKEN"] = TOKEN          # must never reach a report
    (inst.home / "notes.txt").write_text(SECRET)
    shutil.rmtree(inst.home / "reports", ignore_errors=True)   # the user's home outlives a test run
    (inst.home / "reports").mkdir()
    inst.chown(inst.home)
    yield inst
    inst.close()


@pytest.fixture
def sentinel(instructor):
    """A process of the instructor's (their Jupyter server, say), which no student code may kill."""
    who = {} if os.geteuid() != 0 else {"user": instructor.uid, "group": instructor.gid, "extra_groups": []}
    proc = subprocess.Popen(["sleep", "600"], **who)
    yield proc
    proc.kill()
    proc.wait()


def targets(inst):
    kit = inst.course / "autograder" / "__init__.py"
    return [str(inst.home / "PWNED"), str(inst.home / ".bashrc"), str(kit),
            str(inst.course / "source" / "ch04" / "softmax_regression.ipynb"), str(inst.course / "gradebook.db")]


def write_submission(inst, name, code) -> str:
    path = inst.home / "reports" / name / "softmax_regression.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook.with_solutions(notebook.read(release_path("ch04-softmax")), {"ch04-softmax": code}), path)
    inst.chown(inst.home / "reports")
    return str(path)


def grade(inst, name, code, *flags, extra_env=None):
    path = write_submission(inst, name, code)
    out = inst.home / "reports" / f"{name}.json"
    proc = inst.autograder("grade", path, "--json", out, "--device", "cpu", *flags, extra_env=extra_env)
    return proc, (json.loads(out.read_text()) if out.exists() else None)


def leftovers(uid, pattern="sleep 313", seconds=10.0) -> list[str]:
    """The instructor's processes matching `pattern` still running after a grace period (the kit's own
    helper processes, the forkserver and resource tracker, exit shortly after the command)."""
    deadline = time.monotonic() + seconds
    while True:
        found = subprocess.run(["pgrep", "-u", str(uid), "-f", pattern], capture_output=True, text=True).stdout.split()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def changed(before, after, allowed_new=("reports",)) -> list[str]:
    out = [p for p, v in before.items() if after.get(p) != v]
    out += [p for p in after if p not in before and not any(f"/{a}/" in p for a in allowed_new)]
    return out


def test_attack_on_processes_and_files_is_contained(instructor, sentinel):
    before = instructor.snapshot()
    proc, report = grade(instructor, "attacker", attack(targets(instructor)))
    time.sleep(0.5)
    assert proc.returncode == 0, proc.stderr[-3000:]            # the grader survived kill(-1, 9)
    assert sentinel.poll() is None, "kill(-1, 9) in student code killed a process of the instructor"
    assert report["score"] == 10, report                        # the softmax itself is right
    assert not changed(before, instructor.snapshot()), changed(before, instructor.snapshot())
    assert not leftovers(instructor.uid), "a process started by student code outlived grading"
    sandbox = report["sandbox"]
    assert sandbox["weak"] is False and {"pid-namespace", "private-root", "no-network"} <= set(sandbox["measures"])


def test_instructor_files_and_environment_stay_unreadable(instructor):
    proc, report = grade(instructor, "reader", reader(str(instructor.home / "notes.txt")))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert report["score"] == 0
    text = json.dumps(report) + proc.stdout
    assert SECRET not in text and TOKEN not in text, text[:3000]
    assert "No such file or directory" in text                  # the home folder is not there at all


def test_fork_bomb_is_contained(instructor, sentinel):
    proc, report = grade(instructor, "forker", FORK_BOMB)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert report["score"] == 0 and sentinel.poll() is None
    assert not leftovers(instructor.uid, "python"), "processes of the fork bomb outlived grading"


def test_without_the_sandbox_the_same_attack_succeeds(instructor, sentinel):
    """The control: with namespaces refused and --weak-sandbox, the attack's file writes land (so the
    checks above can fail). kill(-1) is left out here: it would kill the test's own processes."""
    home_target = str(instructor.home / "PWNED-weak")
    code = OS + f"""
_fd = getattr(_m, "op" + "en")({home_target!r}, _m.O_WRONLY | _m.O_CREAT | _m.O_TRUNC, 0o644)
getattr(_m, "wri" + "te")(_fd, b"pwned")
""" + SOFTMAX
    refused, _ = grade(instructor, "weak-refused", code, extra_env={"AUTOGRADER_TEST_DENY_NAMESPACES": "1"})
    assert refused.returncode == 3 and "user namespaces are not available" in refused.stderr, refused.stderr
    assert not os.path.exists(home_target), "refusing to grade must run no student code"
    proc, report = grade(instructor, "weak", code, "--weak-sandbox",
                         extra_env={"AUTOGRADER_TEST_DENY_NAMESPACES": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert report["sandbox"]["weak"] is True and "pid-namespace" in report["sandbox"]["missing"]
    assert "WEAK SANDBOX" in proc.stdout
    assert open(home_target).read() == "pwned"
    os.unlink(home_target)


@pytest.mark.slow
def test_batch_as_instructor_keeps_honest_classmates_whole(instructor, sentinel):
    course = instructor.course
    generate_assignments(course, ["ch04"])
    release = notebook.read(course / "release" / "ch04" / "softmax_regression.ipynb")
    class_ = {"honest-a": (SOFTMAX, 10), "attacker": (attack(targets(instructor)), 10),
              "reader": (reader(str(instructor.home / "notes.txt")), 0), "forker": (FORK_BOMB, 0),
              "honest-z": (SOFTMAX, 10)}
    for student, (code, _) in class_.items():
        target = course / "submitted" / student / "ch04" / "softmax_regression.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook.with_solutions(release, {"ch04-softmax": code}), target)
    instructor.chown(course)
    before = instructor.snapshot()
    proc = instructor.autograder("batch", course, "--assignment", "ch04", "--workers", "2", "--device", "cpu",
                                 cwd=course)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sentinel.poll() is None
    for student, (_, score) in class_.items():
        report = json.loads((course / "autograded" / student / "ch04" / "softmax_regression.json").read_text())
        assert report["score"] == score, (student, report)
        assert SECRET not in json.dumps(report) and TOKEN not in json.dumps(report)
    allowed = ("autograded", "reports")
    bad = [p for p in changed(before, instructor.snapshot(), allowed)
           if not p.endswith(("gradebook.db", "autograder-ch04.csv"))]
    assert not bad, bad
    assert not leftovers(instructor.uid)
