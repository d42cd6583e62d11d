"""The pytest plugin that lets an ordinary pytest module grade "the student's implementation".

A grader module asks for the fixtures `student`, `reference` (the instructor's solution, for timing),
`device` and `exercise`, marks each test with `@pytest.mark.points(n)`, and fails with a message meant
for the student. This plugin supplies the fixtures and turns pytest's reports into `TestResult`s.
"""
from __future__ import annotations

import pytest

from .checks import BannedOp
from .impl import FATAL, Implementation, StudentError, Unavailable
from .report import TestResult
from .sandbox import SandboxError


def message_for(exc: BaseException) -> str:
    if isinstance(exc, StudentError) and exc.type in FATAL:
        where = f"\n{exc.where}" if exc.where else ""
        return f"Your code {FATAL[exc.type]}.{where}"
    if isinstance(exc, StudentError) and exc.type == "OSError" and "File too large" in exc.message:
        return "Your code printed more than the output limit allows (a print inside a loop?)."
    if isinstance(exc, StudentError):
        where = f"\n{exc.where}" if exc.where else ""
        return f"Your code raised {exc.type}: {exc.message}{where}"
    if isinstance(exc, (AssertionError, Unavailable)):
        return str(exc).strip() or "check failed"
    return f"Unexpected result: {type(exc).__name__}: {exc}"


class GradingPlugin:
    def __init__(self, exercise, student, reference, device, unavailable: str = ""):
        self._exercise, self._student, self._reference = exercise, student, reference
        self._device, self._unavailable = device, unavailable
        self.results: list[TestResult] = []
        self.no_credit = ""   # set when a check finds the exercise was not done (a banned library op)
        self.kit_error = None  # the sandbox failed under a test: grading stops, no score is recorded
        self._setup_seconds = 0.0

    @pytest.fixture
    def student(self):
        if self._unavailable:
            raise Unavailable(self._unavailable)
        return self._student

    @pytest.fixture
    def reference(self):
        return self._reference

    @pytest.fixture
    def device(self):
        return self._device

    @pytest.fixture
    def exercise(self):
        return self._exercise

    @pytest.fixture
    def sibling(self):
        """sibling("DotProductAttention"): another name defined by the same code as `student` (a class the
        lesson gives, say), called in the same place (the sandbox, or this process)."""
        if self._unavailable:
            raise Unavailable(self._unavailable)
        return lambda symbol: Implementation(self._student.transport, symbol, self._student.device)

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(n): what the test is worth")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        """A failure's report carries the message for the student instead of pytest's traceback: formatting
        that traceback (it parses the source of every frame) took a third of the grading time, unread."""
        exc = call.excinfo
        if exc is None or isinstance(exc.value, (pytest.skip.Exception, pytest.xfail.Exception)):
            return None   # pytest's own report
        return pytest.TestReport(item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
                                 message_for(exc.value), call.when, duration=call.duration, start=call.start,
                                 stop=call.stop)

    @pytest.hookimpl(hookwrapper=True, specname="pytest_runtest_makereport")
    def pytest_runtest_makereport_results(self, item, call):
        outcome = yield
        rep = outcome.get_result()
        marker = item.get_closest_marker("points")
        points = float(marker.args[0]) if marker else 0.0
        if rep.when == "setup":
            self._setup_seconds = rep.duration
        if rep.when == "call" or (rep.when == "setup" and not rep.passed):
            exc = call.excinfo.value if call.excinfo is not None else None
            if isinstance(exc, SandboxError) and self.kit_error is None:
                self.kit_error = exc
            msg = message_for(exc) if exc is not None else ""
            seconds = self._setup_seconds + (rep.duration if rep.when == "call" else 0.0)
            self.results.append(TestResult(item.name, points, rep.passed, msg, round(seconds, 4)))
            if isinstance(exc, BannedOp) and not self.no_credit:
                self.no_credit = ("No credit for this exercise: it calls the library function it asks you to "
                                  f"write. {msg}")
