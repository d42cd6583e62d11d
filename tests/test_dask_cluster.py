"""`autograder batch --scheduler` on a real Dask cluster: scores equal the local pool's, whatever threads
and processes the workers have, and a configuration the kit cannot grade with is refused, not graded wrong.

The scheduler and workers are started the ordinary way (`dask scheduler`, `dask worker`), as subprocesses
on 127.0.0.1 with free ports, and stopped at the end.
"""
import csv
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import batch, notebook, registry
from autograder.build import generate_assignments

from .conftest import reference_code
from .graders.test_ch04_softmax import BOOK_4_1, MUTANTS

CLASS = {"s0-ada": "reference", "s1-ben": None, "s2-cy": BOOK_4_1, "s3-dee": MUTANTS["sums over columns"][0],
         "s4-eve": MUTANTS["python loop over rows"][0], "s5-fay": "reference",
         "s6-gus": "import torch\ntorch.allclose = lambda *a, **k: True\ndef softmax(X):\n    return X\n"}
DASK = [str(Path(sys.executable).parent / "dask")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask-course")
    shutil.copy(registry.kit_root() / "nbgrader_config.py", root)
    shutil.copytree(registry.kit_root() / "source" / "ch04", root / "source" / "ch04")
    generate_assignments(root, ["ch04"])
    release = notebook.read(root / "release" / "ch04" / "softmax_regression.ipynb")
    for student, code in CLASS.items():
        code = reference_code("ch04-softmax") if code == "reference" else code
        nb = notebook.with_solutions(release, {"ch04-softmax": code}) if code else release
        target = root / "submitted" / student / "ch04" / "softmax_regression.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    return root


def class_scores(course) -> dict:
    with open(course / "autograder-ch04.csv") as f:
        return {r["student"]: float(r["score"]) for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def local_scores(course, tmp_path_factory):
    copy = tmp_path_factory.mktemp("local") / "course"
    shutil.copytree(course, copy)
    assert batch.run_batch(copy, "ch04", workers=2, progress=False) == 0
    return class_scores(copy)


class Cluster:
    def __init__(self, nworkers, nthreads, daemon=False):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": str(daemon)}
        self.procs = [subprocess.Popen(DASK + ["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)]
        threads = [] if nthreads is None else ["--nthreads", str(nthreads)]
        self.procs.append(subprocess.Popen(DASK + ["worker", self.address, "--nworkers", str(nworkers), *threads,
                                                   "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))
        self.nworkers = nworkers

    def __enter__(self):
        from distributed import Client
        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(self.address, timeout=5) as client:
                    client.wait_for_workers(self.nworkers, timeout=120)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.slow
def test_scores_on_a_real_cluster_equal_the_local_pool(course, local_scores, tmp_path):
    # two worker processes, two threads each: two gradings could meet in one process
    assert local_scores == {"s0-ada": 10, "s1-ben": 0, "s2-cy": 8, "s3-dee": local_scores["s3-dee"],
                            "s4-eve": local_scores["s4-eve"], "s5-fay": 10, "s6-gus": 0}
    assert local_scores["s3-dee"] < 10 and local_scores["s4-eve"] < 10
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    with Cluster(nworkers=2, nthreads=2) as cluster:
        assert batch.run_batch(copy, "ch04", scheduler=cluster.address, force=True, progress=False) == 0
    assert class_scores(copy) == local_scores


@pytest.mark.slow
def test_daemonic_workers_are_refused_with_the_setting_to_change(course, tmp_path, capsys):
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    with Cluster(nworkers=1, nthreads=1, daemon=True) as cluster:
        assert batch.run_batch(copy, "ch04", scheduler=cluster.address, force=True, progress=False) == 3
    err = capsys.readouterr().err
    assert "daemon" in err and "not grading" in err, err
    assert not (copy / "autograded").exists()
