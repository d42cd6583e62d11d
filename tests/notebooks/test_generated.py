"""release/ and solutions/ are what `autograder build` makes from source/ today.

release/ is compared with a fresh stock `nbgrader generate_assignment` (cell sources and nbgrader metadata),
solutions/ with fresh answer keys (sources and metadata: nbval re-executes solutions/ and compares outputs,
see the `--nbval` in pyproject.toml, so the keys are not executed twice).
"""
import pytest

from autograder import build

from .common import REBUILD, ROOT, fail_if


@pytest.mark.slow
def test_release_and_solutions_match_source():
    try:
        problems, refused = build.drift(ROOT, outputs=False), None
    except RuntimeError as e:  # stock nbgrader refused a source notebook
        refused = [line for line in str(e).splitlines() if "Error" in line or "ERROR" in line]
    if refused is not None:
        pytest.fail("`autograder build` cannot regenerate release/:\n" + "\n".join(refused[-6:]) + "\nWhat to do: "
                    "fix source/ (the source lint tests in tests/notebooks/test_source_lint.py say where), "
                    "then run `autograder build`.", pytrace=False)
    fail_if(problems, REBUILD)
