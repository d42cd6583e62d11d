"""ch03-SGD's grader: reference full marks, stub zero, sound alternatives full marks, the book's listing loses
exactly the autograd-on step (the lesson says why), and realistic mistakes lose points with a message that names
them."""
import pytest

from .proving import assert_full_marks, failed, standard_proofs
from autograder.grade import grade_code

EX = "ch03-SGD"

INIT = '''
class SGD(HyperParameters):
    def __init__(self, params, lr):
        self.save_hyperparameters()
'''

# book 3.4.3, PyTorch tab, as printed: step() relies on the trainer's torch.no_grad()
BOOK_3_4_3 = INIT + '''
    def step(self):
        for param in self.params:
            param -= self.lr * param.grad

    def zero_grad(self):
        for param in self.params:
            if param.grad is not None:
                param.grad.zero_()
'''


def sgd(step, zero_grad="""
        for param in self.params:
            if param.grad is not None:
                param.grad.zero_()
"""):
    return INIT + "\n    def step(self):" + step + "\n    def zero_grad(self):" + zero_grad


GOOD_STEP = """
        with torch.no_grad():
            for param in self.params:
                param -= self.lr * param.grad
"""

ALTERNATIVES = {
    ".data, gradients set to None": sgd("""
        for p in self.params:
            p.data -= self.lr * p.grad.data
""", """
        for p in self.params:
            p.grad = None
"""),
    "no_grad decorator, sub_, zeros_like": INIT + """
    @torch.no_grad()
    def step(self):
        for p in self.params:
            p.sub_(self.lr * p.grad)

    def zero_grad(self):
        for p in self.params:
            p.grad = torch.zeros_like(p)
""",
    "add_ with alpha, copy_": sgd("""
        with torch.no_grad():
            for i, p in enumerate(self.params):
                if i % 2:
                    p.add_(p.grad, alpha=-self.lr)
                else:
                    p.copy_(p - self.lr * p.grad)
"""),
}

MUTANTS = {
    "rebinds a local name": (sgd("""
        with torch.no_grad():
            for param in self.params:
                param = param - self.lr * param.grad
"""), ["test_step_updates_every_parameter"], ["only rebinds a local name"]),
    "gradient ascent": (sgd(GOOD_STEP.replace("-=", "+=")), ["test_step_updates_every_parameter"],
                        ["moved up the gradient"]),
    "forgot the learning rate": (sgd(GOOD_STEP.replace("self.lr * param.grad", "param.grad")),
                                 ["test_step_updates_every_parameter"], ["learning rate is missing"]),
    "return inside the step loop": (sgd(GOOD_STEP + "                return\n"),
                                    ["test_step_updates_every_parameter"], ["return inside the loop"]),
    "zero_grad does nothing": (sgd(GOOD_STEP, "\n        pass\n"), ["test_zero_grad_then_a_new_gradient"],
                               ["old gradient was still there"]),
    "zero_grad fails before the first backward": (sgd(GOOD_STEP, """
        for param in self.params:
            param.grad.zero_()
"""), ["test_zero_grad_before_any_backward"], ["NoneType", "still None"]),
    "zero_grad makes float32 CPU zeros": (sgd(GOOD_STEP, """
        for param in self.params:
            param.grad = torch.zeros(param.shape)
"""), ["test_zero_grad_then_a_new_gradient"], ["zeros_like"]),
    "zero_grad zeroes the parameters": (sgd(GOOD_STEP, """
        with torch.no_grad():
            for param in self.params:
                param.zero_()
"""), ["test_zero_grad_then_a_new_gradient"], ["zeroed the parameters themselves"]),
    "step clears the gradients": (sgd(GOOD_STEP + "                param.grad.zero_()\n"),
                                  ["test_two_steps_without_zero_grad"], ["zero_grad's job"]),
    "step scales the gradient in place": (sgd("""
        with torch.no_grad():
            for param in self.params:
                param.grad *= self.lr
                param -= param.grad
"""), ["test_two_steps_without_zero_grad"], ["do not scale param.grad in place"]),
    "replaces the parameters by new tensors": (sgd("""
        self.params = [param - self.lr * param.grad for param in self.params]
"""), ["test_zero_grad_then_a_new_gradient", "test_step_works_with_autograd_on"],
       ["no longer a leaf", "do not replace the tensors"]),
    "wraps torch.optim.SGD": (sgd("""
        torch.optim.SGD(self.params, lr=self.lr).step()
"""), ["test_written_from_scratch"], ["write yourself"]),
}


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_sound_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


def test_book_listing_loses_only_the_step_with_autograd_on():
    """Called inside torch.no_grad(), as the book's trainer does, the book's SGD is right; called on its own, its
    in-place update of a leaf that requires grad is refused by PyTorch. The lesson asks for the no_grad inside."""
    report = grade_code(EX, BOOK_3_4_3)
    lost = failed(report)
    assert set(lost) == {"test_step_works_with_autograd_on"}, report.summary()
    assert report.score == 8.5, report.summary()
    assert "torch.no_grad()" in lost["test_step_works_with_autograd_on"]
    assert "leaf Variable" in lost["test_step_works_with_autograd_on"]


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
