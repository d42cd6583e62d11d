"""Grading results: one shape for the JSON file, the gradebook and the printed tables."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class TestResult:
    name: str
    points: float
    passed: bool
    message: str = ""
    seconds: float = 0.0   # how long the check took (setup and call), for the kit's speed reports


@dataclass
class ExerciseReport:
    id: str
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    error: str = ""           # why the exercise could not be graded at all, if so
    seconds: float = 0.0
    no_credit: str = ""       # why the exercise earns nothing although some checks passed

    @property
    def score(self) -> float:
        if not self.tests or self.no_credit:
            return 0.0
        earned = sum(t.points for t in self.tests if t.passed)
        return round(min(earned, self.max_score), 4)

    def to_json(self) -> dict:
        d = {"id": self.id, "score": self.score, "max_score": self.max_score,
             "tests": [asdict(t) for t in self.tests]}
        if self.error or self.no_credit:
            d["error"] = self.error or self.no_credit
        d["seconds"] = round(self.seconds, 3)
        return d

    def summary(self) -> str:
        lines = [f"{self.id}: {self.score:g} / {self.max_score:g}"]
        if self.error or self.no_credit:
            lines.append(f"  {self.error or self.no_credit}")
        for t in self.tests:
            if not t.passed:
                lines.append(f"  - {t.name} (-{t.points:g}): {t.message}")
        return "\n".join(lines)


@dataclass
class NotebookReport:
    notebook: str
    exercises: list[ExerciseReport] = field(default_factory=list)
    error: str = ""
    sandbox: list[str] = field(default_factory=list)       # isolation measures in force (isolation.py)
    weak_sandbox: list[str] = field(default_factory=list)  # required measures the instructor let go without

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 4)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)

    def to_json(self) -> dict:
        d = {"notebook": self.notebook, "score": self.score, "max_score": self.max_score,
             "exercises": [e.to_json() for e in self.exercises],
             "sandbox": {"measures": list(self.sandbox), "weak": bool(self.weak_sandbox),
                         "missing": list(self.weak_sandbox)}}
        if self.error:
            d["error"] = self.error
        return d
