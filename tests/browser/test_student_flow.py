"""The student's flow in a real browser: JupyterLab served on 127.0.0.1, driven in headless Chromium.

Open the ch04 release notebook, type a softmax into the stub cell through the editor, run all cells, see the
check cell's success line and no traceback, save, and grade the saved file with `autograder grade`: full
marks. Then the book's overflow-prone softmax: the check cell names the overflow. Screenshots of each step go
to build/artifacts/browser/. Without Chromium or playwright the test is skipped with the reason (pytest -rs).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder import registry

from ..conftest import reference_code, release_path
from ..graders.test_ch04_softmax import BOOK_4_1

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = registry.kit_root() / "build" / "artifacts" / "browser"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:   # pragma: no cover - reported as a skip
    sync_playwright = None

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install "
                                                          "chromium); the browser test did not run"),
              pytest.mark.skipif(sync_playwright is None, reason="the playwright package is not installed "
                                                                 "(pip install -e '.[test]'); the browser test did "
                                                                 "not run")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """jupyter lab on 127.0.0.1, no token (only for this test), a free port; stopped at the end."""
    root = tmp_path_factory.mktemp("lab")
    port = free_port()
    env = {**os.environ, "HOME": str(root), "JUPYTER_CONFIG_DIR": str(root / ".jupyter")}
    env.pop("NBGRADER_EXECUTION", None)
    # no "news" pop-up over the notebook in the screenshots
    settings = root / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    proc = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=",
                             "--ServerApp.password=", f"--ServerApp.root_dir={root}",
                             "--LabApp.news_url=", *(["--allow-root"] if os.geteuid() == 0 else [])],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("jupyter lab did not start")
            time.sleep(0.5)
    yield url, root
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


def shot(page, name):
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    print(f"screenshot: {path}")
    return path


def run_notebook_with(browser, url, root, name, code):
    """Open a fresh copy of the release notebook, type `code` into the stub cell, run all, save."""
    target = root / f"{name}.ipynb"
    shutil.copy(release_path("ch04-softmax"), target)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/lab/tree/{target.name}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], "
                           "#jp-main-statusbar :text('Idle')", timeout=120_000)
    shot(page, f"{name}-1-opened")
    stub = page.locator(".jp-CodeCell").filter(has_text="raise NotImplementedError()").first
    stub.scroll_into_view_if_needed()
    editor = stub.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code.strip())   # as pasted: no auto-indent on top of the code's own
    shot(page, f"{name}-2-typed")
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    return page, target


def wait_for_text(page, text, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.locator(".jp-OutputArea-output", has_text=text).count():
            return True
        time.sleep(0.5)
    return False


def wait_until_idle(page, timeout=180):
    """Every cell has run: no prompt still shows [*]."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.locator(".jp-InputPrompt", has_text="[*]").count() == 0:
            return
        time.sleep(0.5)
    pytest.fail("the notebook was still running")


def save(page, target, must_contain):
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        cells = json.loads(target.read_text()).get("cells", [])
        if any(must_contain in "".join(c.get("source", "")) for c in cells):
            return
        time.sleep(0.5)
    pytest.fail(f"{target.name} was not saved with the typed code")


def test_a_correct_softmax_passes_the_check_and_gets_full_marks(lab, browser):
    url, root = lab
    code = reference_code("ch04-softmax")
    page, target = run_notebook_with(browser, url, root, "correct", code)
    assert wait_for_text(page, "Looks good!"), "the check cell did not print its success line"
    wait_until_idle(page)
    page.locator(".jp-OutputArea-output", has_text="Looks good!").first.scroll_into_view_if_needed()
    shot(page, "correct-3-checked")
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                          has_text="Traceback")
    assert errors.count() == 0 and page.locator(".jp-OutputArea-output", has_text="Error").count() == 0
    save(page, target, "X_exp")
    shot(page, "correct-4-saved")
    out = root / "report.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(target), "--json", str(out), "--device",
                           "cpu"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["score"] == report["max_score"] == 10, json.dumps(report)[:3000]
    page.close()


def test_the_books_overflowing_softmax_is_named_by_the_check(lab, browser):
    url, root = lab
    page, target = run_notebook_with(browser, url, root, "book", BOOK_4_1)
    assert wait_for_text(page, "subtract each row's maximum"), "the check cell did not name the overflow"
    page.locator(".jp-OutputArea-output", has_text="subtract each row's maximum").first.scroll_into_view_if_needed()
    shot(page, "book-3-overflow-named")
    page.close()
