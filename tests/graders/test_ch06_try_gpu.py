"""ch06-try_gpu's grader (try_gpu and try_all_gpus): reference full marks, stub zero, mistakes lose points; the
book's try_all_gpus (an empty list without GPU) loses what the lesson says it loses."""
import torch

from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch06-try_gpu"

# the listing of book 6.7.1, as printed (PyTorch tab)
BOOK_6_7_1 = """
def try_gpu(i=0):
    \"\"\"Return gpu(i) if exists, otherwise return cpu().\"\"\"
    if num_gpus() >= i + 1:
        return gpu(i)
    return cpu()

def try_all_gpus():
    \"\"\"Return all available GPUs, or [cpu(),] if no GPU exists.\"\"\"
    return [gpu(i) for i in range(num_gpus())]
"""

ALL = """
def try_all_gpus():
    return [gpu(i) for i in range(num_gpus())] or [cpu()]
"""


def with_try_gpu(body):
    return f"\ndef try_gpu(i=0):\n{body}\n" + ALL


MUTANTS = {
    "always the CPU": (with_try_gpu("    return cpu()"), ["test_try_gpu_for_any"], ["hard-code"]),
    "always cuda:0": (with_try_gpu("    return torch.device('cuda:0')"), ["test_try_gpu_for_any"],
                      ["on a machine with 0 GPUs returned cuda:0, expected cpu"]),
    "off by one (> i + 1)": (with_try_gpu("    return gpu(i) if num_gpus() > i + 1 else cpu()"),
                             ["test_try_gpu_for_any"], ["expected cuda:0"]),
    "off by one (>= i)": (with_try_gpu("    return gpu(i) if num_gpus() >= i else cpu()"),
                          ["test_try_gpu_for_any"], ["expected cpu"]),
    "ignores i": (with_try_gpu("    return gpu() if num_gpus() > i else cpu()"), ["test_try_gpu_for_any"],
                  ["returned cuda:0, expected cuda:1"]),
    "only asks whether CUDA is available": (with_try_gpu("    return gpu(i) if torch.cuda.is_available() else cpu()"),
                                            ["test_try_gpu_for_any"], ["expected cpu"]),
    "strings instead of devices": ("""
def try_gpu(i=0):
    return f'cuda:{i}' if num_gpus() > i else 'cpu'

def try_all_gpus():
    return [f'cuda:{i}' for i in range(num_gpus())] or ['cpu']
""", ["test_results_are_torch_devices"], ["torch.device"]),
    "try_all_gpus without the CPU fallback (the book's)": (BOOK_6_7_1, ["test_try_all_gpus_for_any"],
                                                           ["[cpu()] when that list is empty"]),
    "try_all_gpus returns one device": (with_try_gpu("    return gpu(i) if num_gpus() > i else cpu()").replace(
        ALL, "\ndef try_all_gpus():\n    return try_gpu()\n"), ["test_results_are_torch_devices", "test_try_all"],
        ["expected a list of devices"]),
}


def test_book_listing_loses_the_cpu_fallback_of_try_all_gpus():
    report = grade_code(EX, BOOK_6_7_1)
    lost = set(failed(report))
    if torch.cuda.device_count() == 0:   # here the book's try_all_gpus() returns [], on the machine itself too
        assert lost == {"test_try_all_gpus_on_this_machine", "test_try_all_gpus_for_any_number_of_gpus"}, \
            report.summary()
        assert report.score == 6, report.summary()
    else:
        assert lost == {"test_try_all_gpus_for_any_number_of_gpus"}, report.summary()
        assert report.score == 7.5, report.summary()


def test_correct_alternatives_get_full_marks():
    assert_full_marks(EX, """
def try_gpu(i=0):
    if torch.cuda.device_count() > i:
        return torch.device('cuda', i)
    return torch.device('cpu')

def try_all_gpus():
    n = torch.cuda.device_count()
    if n == 0:
        return [torch.device('cpu')]
    return [torch.device(f'cuda:{i}') for i in range(n)]
""")
    assert_full_marks(EX, """
def try_gpu(i=0):
    return gpu(i) if torch.cuda.is_available() and i < num_gpus() else cpu()

def try_all_gpus():
    devices = [try_gpu(i) for i in range(num_gpus())]
    return devices if devices else [cpu()]
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
