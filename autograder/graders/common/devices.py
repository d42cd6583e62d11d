"""The device check of function exercises, read fairly: without a GPU, recipe.on_device calls the student's code
with inputs on PyTorch's "meta" device, which has shapes but no values. Code that reads a single value
(`if x > 0`, `int(y[i])`, `.item()`, typical of a Python loop) cannot run there at all, yet would run on a GPU, so
that error alone is not a device mistake (a loop loses the speed test instead). Copying values off the device
(`.cpu()`, `.tolist()`, "Cannot copy out of meta tensor") still fails: on a GPU that makes a CPU result."""
import pytest

from autograder.checks import Mistake

READS_A_VALUE = "cannot be called on meta tensors"


def on_device_reading_values_allowed(points, on_device_test):
    """A test for the grader module (`test_result_on_the_inputs_device = ...`) that runs `on_device_test` (made by
    recipe.on_device) and lets code pass that fails on the meta device only because it reads single values."""
    def test(student, device):
        try:
            on_device_test(student, device)
        except Mistake as e:
            if READS_A_VALUE not in str(e).lower():
                raise
    test.__doc__ = on_device_reading_values_allowed.__doc__
    return pytest.mark.points(points)(test)
