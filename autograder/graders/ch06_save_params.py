"""Grader for ch06-save_params: `save_params(net, fname)` writes net.state_dict() to the file fname, and
`load_params(fname)` returns a fresh MLP with those parameters, in evaluation mode (book 6.6.2). Both are written in
the same solution cell; the exercise is named after the first.

Files cannot be handed across the sandbox and neither can networks, so the graders call the lesson's given
`io_probe(fname, X, save, load)`: in the sandbox, a fresh MLP sized by X is saved to fname and loaded back, with the
student's function or the book's lines for each half, and the tensors that matter come back (the original's
state_dict and output, what the file holds read with weights_only=True, the loaded model's state and output).
File names are relative, so the files are written in the current folder (the worker's scratch folder; the
notebook's folder for the in-notebook hidden tests), and io_probe removes them.
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_close, seeded

SAVE_HINT = ("save the parameters, not the module: torch.save(net.state_dict(), fname), with the file name you are "
             "given.")
LOAD_HINT = ("build a fresh model and load the file into it: clone = MLP(); clone.load_state_dict(torch.load(fname)); "
             "clone.eval(); return clone.")


def probe(sibling, student, device, fname, save, load, seed):
    X = seeded(3, 20, seed=seed, device=device)
    halves = {("yours", "book"): "save_params(net, fname), then the book's loading lines",
              ("book", "yours"): "the book's torch.save(net.state_dict(), fname), then load_params(fname)",
              ("yours", "yours"): "save_params(net, fname), then load_params(fname)"}
    call = f"{halves[(save, load)]} with fname = {fname!r}, for a fresh MLP"
    try:
        report = sibling("io_probe").run(fname, X, kwargs={"save": save, "load": load},
                                                         seed=seed).value
    except StudentError as e:
        message = e.message
        hint = (SAVE_HINT + " The file name is an argument: do not hard-code 'mlp.params'."
                if e.type in ("FileNotFoundError",) else
                "torch.save(net, fname) pickles the whole module, class and all (here the class cannot even be "
                "found by name): " + SAVE_HINT if "pickl" in e.type.lower() or "pickle" in message.lower() else
                "a file written with torch.save(net, fname) holds the whole module, which torch.load refuses "
                "(weights_only): " + SAVE_HINT if "weights_only" in message or "Unpickl" in e.type else
                "the file holds a state_dict: load it into a fresh MLP with load_state_dict." if "state_dict" in message
                else LOAD_HINT)
        as_mistake(e, call, hint)
    if not isinstance(report, dict) or "original" not in report:
        raise Mistake(f"io_probe did not report on {call}: did a cell of yours redefine it?",
                      "keep the lesson's given cells as they are.")
    return report, call


def expect_file_holds_state_dict(report, call, fname):
    held = report.get("file")
    if isinstance(held, str):
        raise Mistake(f"after {call}: {held}.", SAVE_HINT + (" The file name is the argument fname: do not "
                                                             "hard-code 'mlp.params'." if "no file" in held else ""))
    original = report["original"]
    if sorted(held) != sorted(original):
        raise Mistake(f"after {call}, the file holds a dict with keys {sorted(held)}; expected the MLP's state_dict, "
                      f"with keys {sorted(original)}.", SAVE_HINT)
    for key, value in original.items():
        expect_close(held[key], value, f"{key} in the file {fname!r} written by {call}", SAVE_HINT)


def expect_loaded_model(report, call):
    loaded = report.get("loaded")
    if loaded != "MLP":
        hint = ("load_state_dict returns a report of missing and unexpected keys, not the model: call it, then "
                "return the model itself." if loaded == "_IncompatibleKeys" else
                "torch.load gives the saved dict; load it into a fresh MLP() with load_state_dict and return the MLP."
                if loaded in ("dict", "OrderedDict") else LOAD_HINT)
        what = (("an " if loaded[:1].lower() in "aeiou" else "a ") + loaded) if loaded and " " not in loaded else loaded
        raise Mistake(f"{call} returned {what}, expected the loaded MLP.", hint)
    original, state = report["original"], report["loaded_state"]
    if sorted(state) != sorted(original):
        raise Mistake(f"the model returned by {call} has parameters {sorted(state)}, expected {sorted(original)}.",
                      LOAD_HINT)
    for key, value in original.items():
        expect_close(state[key], value, f"{key} of the model returned by {call}",
                     "load the parameters from the file named by the argument fname (torch.load(fname), then "
                     "load_state_dict); a fresh MLP() alone has random ones.")
    expect_close(report["loaded_output"], report["output"], f"the output of the model returned by {call}", LOAD_HINT)


@pytest.mark.points(3.5)
def test_save_writes_the_state_dict(sibling, student, device):
    for fname, seed in [("ch06-grader-save.params", 11), ("checkpoint-7", 12)]:
        report, call = probe(sibling, student, device, fname, "yours", "book", seed)
        expect_file_holds_state_dict(report, call, fname)
        loaded = report.get("loaded")
        if loaded != "MLP":   # the book's own lines could not load what save_params wrote
            raise Mistake(f"after {call}: {loaded}.", SAVE_HINT)


@pytest.mark.points(3.5)
def test_load_returns_an_mlp_with_the_saved_parameters(sibling, student, device):
    for fname, seed in [("ch06-grader-load.params", 21), ("weights.pt", 22)]:
        report, call = probe(sibling, student, device, fname, "book", "yours", seed)
        expect_loaded_model(report, call)


@pytest.mark.points(2)
def test_round_trip_gives_the_same_outputs(sibling, student, device):
    for fname, seed in [("ch06-grader-trip.params", 31), ("mlp.params", 32)]:
        report, call = probe(sibling, student, device, fname, "yours", "yours", seed)
        expect_file_holds_state_dict(report, call, fname)
        expect_loaded_model(report, call)


@pytest.mark.points(1)
def test_loaded_model_is_in_eval_mode(sibling, student, device):
    report, call = probe(sibling, student, device, "ch06-grader-eval.params", "book", "yours", 41)
    expect_loaded_model(report, call)
    if report.get("training") is not False:
        raise Mistake(f"the model returned by {call} is in training mode.",
                      "call clone.eval() before returning it, as the book does: it is loaded for prediction "
                      "(dropout and batch normalization behave differently in training mode).")
