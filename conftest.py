"""nbval on the answer keys in solutions/ (pyproject.toml: `--nbval --nbval-current-env`, testpaths).

Graders run their own pytest sessions with `-c autograder/graders/pytest.ini` and `--noconftest`, so neither
pyproject's addopts nor this file reach them.
"""
from pathlib import Path

import pytest

SANITIZE = Path(__file__).parent / "tests" / "notebooks" / "nbval_sanitize.cfg"
HINT = ("{path} is an executed answer key made by `autograder build`. If source/ changed, run `autograder build "
        "--chapter {chapter}` and commit solutions/. If the lesson itself fails, fix it in source/. If this output "
        "differs from run to run, fix the seed in source/ (torch.manual_seed) or, for timings and the like, start "
        "the cell with `# NBVAL_IGNORE_OUTPUT`; then rebuild.")


def pytest_configure(config):
    if getattr(config.option, "nbval", False) and not getattr(config.option, "nbval_sanitize_with", None):
        config.option.nbval_sanitize_with = str(SANITIZE)  # absolute: pytest may run from any folder
    # nbval's cells of one notebook share a kernel: under pytest-xdist keep each notebook on one worker
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadfile"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and ".ipynb::" in item.nodeid:  # a cell of a notebook that nbval runs
        path = Path(str(item.fspath))
        rep.sections.append(("what to do", HINT.format(path=f"{path.parent.parent.name}/{path.parent.name}/"
                                                                f"{path.name}", chapter=path.parent.name)))
