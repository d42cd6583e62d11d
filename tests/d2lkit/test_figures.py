"""The figure helpers draw what they should (Agg, no display), and a ProgressBoard in an executed notebook
leaves exactly one PNG."""
import subprocess
import sys
import types
from pathlib import Path

import matplotlib
import nbformat
import pytest
import torch
from nbclient import NotebookClient

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

from autograder.build import current_env_kernel_manager  # noqa: E402 - a kernel of this interpreter
from d2lkit import figures  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_draws_each_curve_with_labels_and_legend():
    x = torch.arange(0, 3, 0.1)
    axes = figures.plot(x, [x ** 2, 2 * x], "x", "f(x)", legend=["x^2", "2x"], yscale="log")
    assert len(axes.get_lines()) == 2
    assert (axes.get_xlabel(), axes.get_ylabel(), axes.get_yscale()) == ("x", "f(x)", "log")
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["x^2", "2x"]
    assert tuple(axes.figure.get_size_inches()) == (3.5, 2.5)


def test_plot_of_values_alone_uses_their_indices():
    axes = figures.plot([1.0, 4.0, 9.0])
    assert list(axes.get_lines()[0].get_xdata()) == [0, 1, 2]


def test_show_heatmaps_has_a_panel_per_row_and_head_and_a_colorbar():
    weights = torch.rand(2, 3, 4, 5)  # 2 rows of 3 heads, 4 queries x 5 keys
    fig = figures.show_heatmaps(weights, xlabel="Keys", ylabel="Queries", titles=["h0", "h1", "h2"])
    panels, colorbar = fig.axes[:6], fig.axes[6:]
    assert len(panels) == 6 and len(colorbar) == 1
    assert [ax.get_title() for ax in panels] == ["h0", "h1", "h2"] * 2
    assert [ax.get_xlabel() for ax in panels] == [""] * 3 + ["Keys"] * 3
    assert [ax.get_ylabel() for ax in panels] == ["Queries", "", ""] * 2
    assert panels[0].get_images()[0].get_array().shape == (4, 5)


def test_show_heatmaps_colour_bar_holds_for_every_panel():
    weights = torch.zeros(1, 2, 3, 3)
    weights[0, 0] = 1.0   # the first panel is brighter than the last: one scale must cover both
    fig = figures.show_heatmaps(weights, xlabel="Keys", ylabel="Queries")
    assert {ax.get_images()[0].get_clim() for ax in fig.axes[:2]} == {(0.0, 1.0)}


def test_show_images_fills_a_grid_with_titles():
    imgs = torch.rand(5, 1, 28, 28)  # as a data loader gives them: (C, H, W)
    axes = figures.show_images(imgs, 2, 3, titles=list("abcde"))
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes[:5]] == list("abcde")
    assert axes[0].get_images()[0].get_array().shape == (28, 28)
    assert not axes[5].axison  # the panel without an image is blank


def test_progress_board_averages_every_n_and_draws_its_lines():
    board = figures.ProgressBoard(xlabel="epoch", ylabel="loss", live=False)
    for i in range(6):
        board.draw(i, i, "train", every_n=2)
        board.draw(i, 10, "val")
    assert [tuple(p) for p in board.data["train"]] == [(0.5, 0.5), (2.5, 2.5), (4.5, 4.5)]
    axes = board.figure().axes[0]
    assert [line.get_label() for line in axes.get_lines()] == ["train", "val"]
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("epoch", "loss")
    png = board.png()
    assert png.startswith(b"\x89PNG") and png == board.png()  # the same points, the same bytes
    board.show()  # outside a notebook: nothing to show on, and no error


def test_watched_follows_the_front_end_and_the_environment(monkeypatch):
    kernel = types.SimpleNamespace(_allow_stdin=True)
    shell = types.SimpleNamespace(kernel=kernel)
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert figures.watched()          # JupyterLab: its requests allow input
    kernel._allow_stdin = False
    assert not figures.watched()      # nbclient, nbval, nbconvert --execute
    monkeypatch.setenv("D2LKIT_LIVE", "1")
    assert figures.watched()
    monkeypatch.setitem(sys.modules, "IPython", None)
    monkeypatch.setenv("D2LKIT_LIVE", "0")
    assert not figures.watched()
    monkeypatch.delenv("D2LKIT_LIVE")
    assert not figures.watched()      # a script


def test_a_board_in_an_executed_notebook_leaves_one_png(tmp_path):
    code = ("from d2lkit import figures\n"
            "board = figures.ProgressBoard(xlabel='epoch')\n"
            "print('before')\n"
            "for i in range(10):\n"
            "    board.draw(i, 1 / (i + 1), 'loss')\n"
            "board.show()\n"
            "print('after')")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=120, kernel_name="python3", kernel_manager_class=current_env_kernel_manager(),
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream", "display_data", "stream"], outputs
    assert outputs[0].text == "before\n" and outputs[2].text == "after\n"
    assert set(outputs[1].data) == {"image/png", "text/plain"}


def test_importing_the_package_stays_light_and_apart_from_the_grader():
    probe = ("import sys, d2lkit; print(sorted(m for m in ('matplotlib', 'torchvision', 'torch', 'autograder') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    for source in Path(figures.__file__).parent.glob("*.py"):
        text = source.read_text()
        assert "import autograder" not in text and "from autograder" not in text, source.name
