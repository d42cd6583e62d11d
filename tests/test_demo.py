"""`autograder demo` (the README's main job): the bundled class is graded and the table is right."""
import subprocess
import sys

import pytest

from autograder import demo, notebook, registry


def test_every_demo_mistake_still_applies():
    for ex in registry.EXERCISES:
        code = demo.mistaken(ex)
        assert code != notebook.solution_code(ex) or ex.id not in demo.MISTAKES


@pytest.mark.slow
def test_demo_prints_the_class_table():
    proc = subprocess.run([sys.executable, "-m", "autograder", "demo"], capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines()
            if line.split() and line.split()[0] in {e.id for e in registry.EXERCISES}}
    assert set(rows) == {e.id for e in registry.EXERCISES}
    for ex in registry.EXERCISES:
        ada, ben, cy, dee = map(float, rows[ex.id])
        assert ada == ex.points, (ex.id, rows[ex.id])       # the instructor's solutions
        assert ben == 0                                      # blank notebooks
        assert 0 <= cy < ex.points                           # a classic mistake costs points
        assert dee == 0                                      # tampering earns nothing
