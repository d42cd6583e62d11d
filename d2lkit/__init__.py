"""d2lkit: the small helper package that the lesson notebooks import (students' side of the kit).

- `d2lkit.figures`  the book's plots: `plot`, `show_heatmaps`, `show_images`, a live `ProgressBoard`
- `d2lkit.data`     the book's data sets (Fashion-MNIST, The Time Machine, English-French), downloaded,
                    checksummed and cached; data the kit makes when there is no network
- `d2lkit.training` the minimal training loop the lessons share: `fit`, `evaluate`, `accuracy`
- `d2lkit.checks`   for check cells: `needs` names an earlier exercise that is unfinished or wrong

The graders never import this package, and it never imports theirs. Submodules load on first use
(`d2lkit.figures` pulls in matplotlib, `d2lkit.data` torchvision only for Fashion-MNIST), so that
`import d2lkit` stays cheap.
"""
import importlib

__all__ = ["checks", "data", "figures", "training"]


def __getattr__(name):
    # PEP 562: `d2lkit.figures` imports the submodule on first access
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
