"""The template every sandboxed worker is forked from: preloaded into multiprocessing's forkserver (see
sandbox.py), never imported by a trusted process.

Importing it imports torch and the worker, then runs each kind of request once: torch imports hundreds of
modules lazily (the first backward with explicit gradients alone takes ~0.4 s), and every worker forked
afterwards inherits them instead of paying again.
"""
import torch

from . import protocol
from .session import Session
from .worker import serve  # noqa: F401 - what each forked worker runs


def warm_up():
    session = Session("cpu")
    session.handle({"op": "load", "cells": [{"name": "warm-up", "source": "def f(X):\n    return (X * 2).exp()"}]})
    X = torch.ones(2, 3, dtype=torch.float64)
    session.handle({"op": "call", "symbol": "f", "args": [X], "requires_grad": [0], "return_args": True,
                    "watch": {"functions": ["softmax"], "aten": ["_softmax"]}})
    session.handle({"op": "backward", "grad_outputs": [X]})
    protocol.decode(protocol.encode(session.handle({"op": "call", "symbol": "f", "args": [X.float()]})))


warm_up()
