"""ch09-clip_gradients's grader: reference full marks, stub zero, the book's listing full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch09-clip_gradients"

# book 9.5.3, PyTorch tab: a method of d2l.Trainer, here a function without self
BOOK = """
def clip_gradients(grad_clip_val, model):
    params = [p for p in model.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > grad_clip_val:
        for param in params:
            param.grad[:] *= grad_clip_val / norm
"""


def book(old, new):
    assert BOOK.count(old) == 1, old
    return BOOK.replace(old, new)


MUTANTS = {
    "each parameter clipped by its own norm": ("""
def clip_gradients(grad_clip_val, model):
    for p in model.parameters():
        norm = torch.sqrt(torch.sum(p.grad ** 2))
        if norm > grad_clip_val:
            p.grad[:] *= grad_clip_val / norm
""", ["test_one_norm_over_all_parameters"], ["ONE norm"]),
    "squared norm (no square root)": (book("norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))",
                                           "norm = sum(torch.sum((p.grad ** 2)) for p in params)"),
                                      ["test_large_gradients"], ["square root"]),
    "factor upside down": (book("param.grad[:] *= grad_clip_val / norm", "param.grad[:] *= norm / grad_clip_val"),
                           ["test_large_gradients"], ["not norm / grad_clip_val"]),
    "always rescaled to the threshold": (book("    if norm > grad_clip_val:\n        for param in params:",
                                              "    if True:\n        for param in params:"),
                                         ["test_small_gradients_are_left_alone"], ["only scale when"]),
    "clipped by value": ("""
def clip_gradients(grad_clip_val, model):
    for p in model.parameters():
        p.grad.clamp_(-grad_clip_val, grad_clip_val)
""", ["test_large_gradients"], ["clipping by value"]),
    "scaled copy never written back": ("""
def clip_gradients(grad_clip_val, model):
    grads = [p.grad for p in model.parameters()]
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    if norm > grad_clip_val:
        grads = [g * grad_clip_val / norm for g in grads]
""", ["test_large_gradients"], ["did not change"]),
    "only the RNN's parameters": (book("params = [p for p in model.parameters() if p.requires_grad]",
                                       "params = [p for p in model.rnn.parameters() if p.requires_grad]"),
                                  ["test_large_gradients"], ["model.parameters()"]),
    "parameters scaled instead of gradients": (book("param.grad[:] *= grad_clip_val / norm",
                                                    "param.data *= grad_clip_val / norm"),
                                               ["test_parameters_are_left_alone", "test_large_gradients"],
                                               ["not the parameters"]),
    "calls clip_grad_norm_": ("""
def clip_gradients(grad_clip_val, model):
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip_val)
""", ["test_written_from_scratch"], ["write yourself"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK)


def test_python_numbers_and_new_gradient_tensors_get_full_marks():
    assert_full_marks(EX, """
def clip_gradients(grad_clip_val, model):
    params = [p for p in model.parameters() if p.grad is not None]
    norm = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in params))
    factor = min(1.0, grad_clip_val / norm) if norm > 0 else 1.0
    for p in params:
        p.grad = p.grad * factor
""")


def test_one_vector_norm_gets_full_marks():
    assert_full_marks(EX, """
def clip_gradients(grad_clip_val, model):
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    norm = torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads]))
    scale = torch.clamp(grad_clip_val / (norm + 1e-12), max=1.0)
    for g in grads:
        g.mul_(scale)
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
