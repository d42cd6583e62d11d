"""Shared fixtures: student submissions made from the committed release notebooks."""
import pytest
import torch

from autograder import notebook, registry
from autograder.grade import References
from autograder.sandbox import Limits

# Short limits keep hostile cases quick; the defaults are for real grading.
TEST_LIMITS = Limits(call_seconds=3.0, memory_bytes=1 << 30)


def release_path(exercise_id):
    ex = registry.get(exercise_id)
    return registry.kit_root() / "release" / ex.chapter / ex.notebook


def reference_code(exercise_id):
    return notebook.solution_code(registry.get(exercise_id))


@pytest.fixture
def submission(tmp_path):
    """submission(exercise_id, code, name=...) -> path of a release copy with that solution filled in."""
    import nbformat

    def make(exercise_id, code=None, name=None):
        nb = notebook.read(release_path(exercise_id))
        if code is not None:
            nb = notebook.with_solutions(nb, {exercise_id: code})
        path = tmp_path / (name or registry.get(exercise_id).notebook)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return path
    return make


@pytest.fixture(scope="session")
def references():
    refs = References(torch.device("cpu"), TEST_LIMITS)
    yield refs
    refs.close()
