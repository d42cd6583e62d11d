"""`autograder new` makes a skeleton that pytest collects and that fails until the author fills it in."""
import os
import shutil
import subprocess
import sys

from autograder import registry


def test_new_exercise_skeleton_is_collected_and_fails_as_intended(tmp_path):
    kit = registry.kit_root()
    course = tmp_path / "kit"
    shutil.copytree(kit, course, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info",
                                                                "solutions", "release"))
    env = {**os.environ, "PYTHONPATH": str(course), "AUTOGRADER_COURSE": str(course)}

    def run(*args):
        return subprocess.run([sys.executable, *args], cwd=course, env=env, capture_output=True, text=True,
                              timeout=900)

    made = run("-m", "autograder", "new", "ch03-squared_loss", "--book", "3.4")
    assert made.returncode == 0, made.stderr
    for path in ("source/ch03/squared_loss.ipynb", "autograder/graders/ch03_squared_loss.py",
                 "tests/graders/test_ch03_squared_loss.py"):
        assert path in made.stdout and (course / path).exists()
    assert 'ex("ch03", "squared_loss", "squared_loss.ipynb", "3.4")' in (course / "autograder/registry.py").read_text()
    assert "Next:" in made.stdout
    listed = run("-m", "autograder", "list")
    assert "ch03-squared_loss" in listed.stdout
    proofs = run("-m", "pytest", "-q", "-rfEp", "-p", "no:cacheprovider", "tests/graders/test_ch03_squared_loss.py",
                 "tests/test_registry.py::test_every_proof_file_has_enough_realistic_mistakes",
                 "tests/test_registry.py::test_every_exercise_has_a_grader_a_lesson_and_a_proof")
    out = proofs.stdout
    assert proofs.returncode == 1, out[-3000:]        # collected, and failing: not an error, not a pass
    assert "FAILED tests/graders/test_ch03_squared_loss.py::test_reference_gets_full_marks" in out
    assert "write the reference solution" in out      # the reason names what to do
    assert "FAILED tests/test_registry.py::test_every_proof_file_has_enough_realistic_mistakes" in out
    assert "ch03-squared_loss: 0" in out
    assert "PASSED tests/test_registry.py::test_every_exercise_has_a_grader_a_lesson_and_a_proof" in out
