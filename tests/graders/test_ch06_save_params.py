"""ch06-save_params's grader (save_params and load_params): reference full marks, stub zero, the book's lines full
marks, mistakes lose points. The code under test writes files in the current folder: each test runs in a fresh
temporary folder."""
import os

import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch06-save_params"


@pytest.fixture(autouse=True)
def in_a_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


# the lines of book 6.6.2, as printed, in the two functions the lesson asks for
BOOK_6_6_2 = """
def save_params(net, fname):
    torch.save(net.state_dict(), fname)


def load_params(fname):
    clone = MLP()
    clone.load_state_dict(torch.load(fname))
    clone.eval()
    return clone
"""


def book(old, new):
    assert BOOK_6_6_2.count(old) == 1, old
    return BOOK_6_6_2.replace(old, new)


MUTANTS = {
    "saves the whole module": (book("torch.save(net.state_dict(), fname)", "torch.save(net, fname)").replace(
        "clone = MLP()\n    clone.load_state_dict(torch.load(fname))", "clone = torch.load(fname, weights_only=False)"),
        ["test_save_writes_the_state_dict", "test_round_trip"], ["pickles the whole module", "not the module"]),
    "hard-coded file name": (BOOK_6_6_2.replace("torch.save(net.state_dict(), fname)",
                                                "torch.save(net.state_dict(), 'mlp.params')")
                             .replace("torch.load(fname)", "torch.load('mlp.params')"),
                             ["test_save_writes", "test_load_returns", "test_round_trip"],
                             ["there is no file", "do not hard-code"]),
    "returns what load_state_dict returns": (book("    clone.eval()\n    return clone",
                                                  "    return clone.load_state_dict(torch.load(fname))"),
                                             ["test_load_returns", "test_round_trip", "test_loaded_model"],
                                             ["not the model"]),
    "forgets to load": (book("    clone.load_state_dict(torch.load(fname))\n", ""),
                        ["test_load_returns", "test_round_trip", "test_loaded_model"], ["a fresh MLP() alone"]),
    "returns the file's dict": (book("    clone = MLP()\n    clone.load_state_dict(torch.load(fname))\n"
                                     "    clone.eval()\n    return clone", "    return torch.load(fname)"),
                                ["test_load_returns"], ["torch.load gives the saved dict"]),
    "saves the parameters as a list": (book("torch.save(net.state_dict(), fname)",
                                            "torch.save(list(net.parameters()), fname)"),
                                       ["test_save_writes", "test_round_trip"], ["not a dict of tensors"]),
    "no eval()": (book("    clone.eval()\n", ""), ["test_loaded_model_is_in_eval_mode"], ["training mode"]),
}


def test_book_lines_get_full_marks_and_leave_no_files(tmp_path):
    assert_full_marks(EX, BOOK_6_6_2)
    assert not os.listdir(tmp_path), f"files left behind: {os.listdir(tmp_path)}"


def test_correct_alternatives_get_full_marks():
    assert_full_marks(EX, """
def save_params(net, fname):
    with open(fname, "wb") as f:
        torch.save(net.state_dict(), f)


def load_params(fname):
    model = MLP()
    model.load_state_dict(torch.load(fname, map_location="cpu", weights_only=True))
    return model.eval()
""")
    assert_full_marks(EX, """
def save_params(net, fname):
    torch.save({name: t.detach().cpu() for name, t in net.state_dict().items()}, fname)


def load_params(fname):
    clone = MLP()
    missing, unexpected = clone.load_state_dict(torch.load(fname), strict=True)
    assert not missing and not unexpected
    clone.train(False)
    return clone
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
