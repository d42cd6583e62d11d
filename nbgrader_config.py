# nbgrader configuration of the D2L kit's course. See NBGRADER notes in README.md for why each line is here.
c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "d2l"

# Students see `raise NotImplementedError()` where the solution was.
c.ClearSolutions.code_stub = {"python": "raise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A lesson imports torch and runs a few small checks: allow for a slow first import on a busy machine.
c.Execute.timeout = 300
c.Execute.startup_timeout = 120

# Stock nbgrader scores a test cell 0 if it wrote *anything* to stderr. Torch and its dependencies
# print warnings there (UserWarning, deprecations, missing-CUDA notes) that say nothing about the
# student's answer; drop those lines before scoring. Errors still show as error outputs and still score 0.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?s).*(Warning|warn\(|UserWarning|DeprecationWarning|FutureWarning|NNPACK|CUDA).*"

# Feedback must never show hidden tests (stock generate_feedback renders them).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
