"""The book's figures: `plot`, `show_heatmaps`, `show_images` (as `d2l.plot` and friends) and a `ProgressBoard`.

Figures are PNG, not the book's SVG: matplotlib's SVG embeds the date and random ids, and answer keys must
come out the same on every rebuild (nbval compares text outputs, and ignores PNG bytes).

`plot`, `show_heatmaps` and `show_images` draw with pyplot, as the book does: in a notebook the figure
appears below the cell when it finishes. A `ProgressBoard` shows itself: redrawn in place while a person
watches the notebook, drawn once at the end in an unattended run (see `watched`).
"""
from __future__ import annotations

import collections
import io
import itertools
import logging
import os
import sys

# A first import builds matplotlib's font cache and, if slow, logs a notice on stderr, which would land in
# an answer key's outputs on a fresh machine only. It is not an error: keep it out of the notebook.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 100  # pixels per inch of the PNGs: the book's 3.5 x 2.5 inch plots come out 350 x 250


def set_figsize(figsize=(3.5, 2.5)):
    """Size (inches) of the figures pyplot makes next."""
    plt.rcParams["figure.figsize"] = figsize
    plt.rcParams["figure.dpi"] = DPI


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Labels, limits, scales, legend and grid of one matplotlib Axes."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None, xscale="linear",
         yscale="linear", fmts=("-", "m--", "g-.", "r:"), figsize=(3.5, 2.5), axes=None):
    """Plot one or several curves, as the book's `d2l.plot`.

    `X` alone plots its values against their indices; `X, Y` plots Y against X. Either may be one curve
    (a list of numbers, a 1-D tensor or array) or a list of curves; one X is shared by every Y.
    """
    def has_one_axis(v):  # one curve, not a list of curves
        return (hasattr(v, "ndim") and v.ndim == 1) or (isinstance(v, list) and not hasattr(v[0], "__len__"))

    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    set_figsize(figsize)
    if axes is None:
        axes = plt.gca()
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        if len(x):
            axes.plot(_numpy(x), _numpy(y), fmt)
        else:
            axes.plot(_numpy(y), fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    return axes


def show_heatmaps(matrices, xlabel, ylabel, titles=None, figsize=(2.5, 2.5), cmap="Reds"):
    """Heat maps of a 4-D tensor (rows, cols, queries, keys), as the book's `d2l.show_heatmaps`.

    One panel per (row, col), e.g. rows = examples and cols = attention heads; `titles` names the columns.
    Returns the figure.
    """
    matrices = _numpy(matrices)
    num_rows, num_cols = matrices.shape[:2]
    # one colour scale for every panel, so that the one colour bar reads right for all of them
    vmin, vmax = float(matrices.min()), float(matrices.max())
    fig, axes = plt.subplots(num_rows, num_cols, figsize=figsize, dpi=DPI, sharex=True, sharey=True,
                             squeeze=False)
    for i, (row_axes, row_matrices) in enumerate(zip(axes, matrices)):
        for j, (ax, matrix) in enumerate(zip(row_axes, row_matrices)):
            pcm = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax)
            if i == num_rows - 1:
                ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_ylabel(ylabel)
            if titles:
                ax.set_title(titles[j])
    fig.colorbar(pcm, ax=axes, shrink=0.6)
    return fig


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """A grid of images (2-D grayscale, or H x W x C), as the book's `d2l.show_images`. Returns the axes."""
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale), dpi=DPI,
                             squeeze=False)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        img = _numpy(img)
        if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
            img = img.transpose(1, 2, 0)  # a (C, H, W) tensor, as a data loader gives it
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    for ax in axes[len(imgs):]:  # fewer images than panels
        ax.axis("off")
    fig.tight_layout()
    return axes


def _numpy(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else x


# -- the progress board -------------------------------------------------------------------------------------

def _kernel():
    """The Jupyter kernel this code runs in, or None (a script, a terminal)."""
    ipython = sys.modules.get("IPython")  # not imported: not in a kernel
    shell = ipython.get_ipython() if ipython else None
    return getattr(shell, "kernel", None)


def watched() -> bool:
    """Whether a person is watching: redraw boards in place (True) or draw each once at the end (False).

    `D2LKIT_LIVE=1` or `0` decides. Otherwise live means a Jupyter kernel whose current cell was sent by a
    front end that accepts input (JupyterLab, Notebook, VS Code send `allow_stdin`); nbclient, nbval and
    `nbconvert --execute` do not, and neither do scripts, so executed notebooks hold one PNG per board.
    """
    setting = os.environ.get("D2LKIT_LIVE")
    if setting in ("0", "1"):
        return setting == "1"
    return bool(getattr(_kernel(), "_allow_stdin", False))


Point = collections.namedtuple("Point", ["x", "y"])


class ProgressBoard:
    """A plot of named lines that grow while a model trains, as the book's `d2l.ProgressBoard`.

    `draw(x, y, label, every_n)` adds a point to line `label` (the mean of every `every_n` calls); `show()`
    draws the final figure (the training loop calls it at the end). While a person watches (`watched()`, or
    `live=True`), the figure is redrawn in place as points arrive; otherwise it is drawn once, by `show()`.
    In place means one display that is updated, rather than the book's `clear_output`, which would also wipe
    whatever else the cell printed (which data set it trains on, say).
    """

    def __init__(self, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear", yscale="linear",
                 ls=("-", "--", "-.", ":"), colors=("C0", "C1", "C2", "C3"), figsize=(3.5, 2.5), title=None,
                 live=None):
        self.xlabel, self.ylabel, self.xlim, self.ylim = xlabel, ylabel, xlim, ylim
        self.xscale, self.yscale, self.ls, self.colors = xscale, yscale, ls, colors
        self.figsize, self.title = figsize, title
        self.live = watched() if live is None else live
        self.data = collections.OrderedDict()  # label -> [Point]: the drawn (averaged) points
        self._raw = collections.OrderedDict()  # label -> [Point]: points waiting for their every_n
        self._handle = None                    # the live display, updated in place

    def draw(self, x, y, label, every_n=1):
        """Add point (x, y) to line `label`; the line gets the mean of each `every_n` points."""
        raw = self._raw.setdefault(label, [])
        line = self.data.setdefault(label, [])
        raw.append(Point(float(x), float(y)))
        if len(raw) < every_n:
            return
        line.append(Point(sum(p.x for p in raw) / len(raw), sum(p.y for p in raw) / len(raw)))
        raw.clear()
        if self.live:
            self._display()

    def figure(self) -> Figure:
        """The board as a matplotlib Figure, made afresh (not a pyplot figure: nothing else shows it)."""
        fig = Figure(figsize=self.figsize, dpi=DPI)
        axes = fig.add_subplot()
        styles = zip(itertools.cycle(self.ls), itertools.cycle(self.colors))
        for (label, points), (ls, color) in zip(self.data.items(), styles):
            axes.plot([p.x for p in points], [p.y for p in points], linestyle=ls, color=color, label=label)
        set_axes(axes, self.xlabel, self.ylabel, self.xlim, self.ylim, self.xscale, self.yscale, None)
        if self.data:
            axes.legend()
        if self.title:
            axes.set_title(self.title)
        fig.tight_layout()
        return fig

    def png(self) -> bytes:
        buffer = io.BytesIO()
        # no "Software" stamp with matplotlib's version: an answer key rebuilt elsewhere differs less
        self.figure().savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()

    def show(self):
        """Draw the final figure: update the live one, or show it once (in a notebook) now."""
        self._display()

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.png())

    def _display(self):
        if _kernel() is None:
            return  # a script or a terminal: nothing to show on; save() writes the figure
        from IPython.display import Image, display
        image = Image(data=self.png(), format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
