"""The kit in a folder only its owner may enter (what `mktemp -d` and pytest's tmp_path make) grades the
answer keys at full marks: the sandbox shows the worker its runtime wherever it lies."""
import json
import os
import shutil
import stat
import subprocess
import sys

from autograder import registry

GRADE_ALL = """
import json, sys
from pathlib import Path
from autograder.grade import grade_notebook
out = []
for nb in sorted(Path("solutions").glob("*/*.ipynb")):
    r = grade_notebook(nb, device="cpu")
    out.append([str(nb), r.score, r.max_score, r.error, [e.summary() for e in r.exercises if e.score < e.max_score]])
# a module of the kit that no worker has imported yet, imported from inside the sandbox: the clone (and a venv
# inside it, as in CI) lies under /tmp, where the sandbox also shows its scratch folder
import torch
from autograder.impl import Implementation, RemoteTransport
cells = [{"name": "probe", "source": "def probe():\\n    import d2lkit.data\\n    return d2lkit.data.__name__\\n"}]
probe = Implementation(RemoteTransport(cells, "cpu"), "probe", torch.device("cpu"))
out.append(["lazy import inside the sandbox", str(probe.run().value), "d2lkit.data", "", []])
probe.close()
print(json.dumps(out))
"""


def test_answer_keys_get_full_marks_in_a_private_clone(tmp_path):
    assert not tmp_path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO), "tmp_path should be private (0700)"
    kit = registry.kit_root()
    clone = tmp_path / "kit"
    shutil.copytree(kit, clone, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info",
                                                               "autograded", "submitted", "gradebook.db"))
    env = {**os.environ, "PYTHONPATH": str(clone), "AUTOGRADER_COURSE": str(clone)}
    proc = subprocess.run([sys.executable, "-c", GRADE_ALL], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    graded = json.loads(proc.stdout.strip().splitlines()[-1])
    *graded, (_, imported, expected, _, _) = graded
    assert imported == expected
    assert len(graded) == len(registry.notebooks())
    for path, score, max_score, error, failures in graded:
        assert score == max_score > 0 and not error, (path, score, max_score, error, failures)
