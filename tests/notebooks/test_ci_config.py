"""The test command checks the answer keys with nbval, and that never leaks into the graders' pytest sessions."""
import sys
import tomllib

import ipykernel.kernelspec
import pytest

from autograder import grade

from .common import ROOT
from ..conftest import reference_code


def pytest_options():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]


def test_the_test_command_runs_nbval_on_solutions_in_this_interpreter():
    options = pytest_options()
    assert "solutions" in options["testpaths"], "pyproject.toml: testpaths must include solutions/ (nbval)"
    addopts = options["addopts"].split()
    assert "--nbval" in addopts, "pyproject.toml: addopts must have --nbval (strict: every output compared)"
    assert "--nbval-current-env" in addopts, (
        "pyproject.toml: addopts must have --nbval-current-env, or nbval starts whatever `python3` kernelspec "
        "the machine has installed instead of this interpreter with the kit's torch")
    # what --nbval-current-env starts
    assert ipykernel.kernelspec.get_kernel_dict()["argv"][0] == sys.executable


def test_grader_sessions_ignore_the_kits_pytest_options(monkeypatch):
    """autograder/grade.py runs each grader in a nested pytest session with its own ini."""
    seen = []

    class Spy:
        def pytest_configure(self, config):
            seen.append((config.inipath, config.getoption("nbval", False), list(config.args)))

    monkeypatch.setattr(grade, "pytest_main", lambda args, plugin: int(pytest.main(args, plugins=[plugin, Spy()])))
    report = grade.grade_code("ch04-softmax", reference_code("ch04-softmax"))
    assert report.score == report.max_score, report.summary()
    assert seen, "the grader did not run through grade.pytest_main"
    inipath, nbval, args = seen[0]
    assert inipath == grade.GRADERS_DIR / "pytest.ini", f"the grader session read {inipath}"
    assert not nbval, "pyproject's --nbval reached a grader session"
    assert all(not a.endswith(".ipynb") for a in args), args
