"""Reading the student's source before it runs: tampering and banned library calls.

The sandbox already makes tampering useless for values (graders only see numbers), but a student who
patches the worker could still hide which torch ops ran, or spend the grader's time. These checks are
on the text, in the trusted process, so nothing the student's code does at run time can change them.
None of what is flagged appears in an honest solution of a from-scratch exercise.
"""
from __future__ import annotations

import ast

# modules an exercise has no use for, and that reach the grading machinery or the machine
FORBIDDEN_MODULES = {"autograder", "ctypes", "builtins", "signal", "subprocess", "socket", "multiprocessing",
                     "gc", "inspect", "resource", "pty", "threading", "importlib", "sysconfig", "shutil",
                     "io", "pathlib", "tempfile", "sqlite3", "pickle", "marshal", "glob"}
# the exercises compute from their arguments: none reads or writes files
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "globals", "vars", "breakpoint", "setattr",
                   "delattr", "open"}
FORBIDDEN_ATTRS = {"modules", "_getframe", "setrlimit", "settrace", "setprofile", "__builtins__", "__globals__",
                   "__code__", "__subclasses__", "f_back", "f_globals", "_C", "_python_dispatch", "overrides",
                   "_disable_torch_function", "perf_counter", "monotonic", "process_time"}
# on the os module: processes, files and the environment
OS_ATTRS = {"fork", "forkpty", "kill", "killpg", "_exit", "system", "popen", "execv", "execve", "execvp", "spawnv",
            "environ", "getenv", "putenv", "remove", "unlink", "rename", "replace", "rmdir", "makedirs", "listdir",
            "scandir", "walk", "chdir", "open"}


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


# what an exercise's allowance (registry.ALLOWANCES) lets through: saving and loading in the scratch folder
ALLOWED = {"files": {"modules": {"io", "pathlib", "tempfile", "shutil", "glob", "pickle"}, "calls": {"open"},
                     "os": {"remove", "unlink", "rename", "replace", "rmdir", "makedirs", "listdir", "scandir",
                            "walk", "open"}}}


def tampering(source: str, allow=()) -> list[str]:
    """What in `source` reaches beyond the exercise (patching modules, the kit, processes, frames), less
    what the exercise's allowances permit."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    forbidden_modules, forbidden_calls, os_attrs = set(FORBIDDEN_MODULES), set(FORBIDDEN_CALLS), set(OS_ATTRS)
    for name in allow:
        forbidden_modules -= ALLOWED[name]["modules"]
        forbidden_calls -= ALLOWED[name]["calls"]
        os_attrs -= ALLOWED[name]["os"]
    found = []
    modules = set()   # names bound to imported modules: assigning to their attributes is patching
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] in forbidden_modules:
                    found.append(f"imports {name}")
            if isinstance(node, ast.Import):
                modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
            else:
                modules |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Name) and node.id in forbidden_calls | {"__builtins__"}:
            found.append(f"uses {node.id}")
        elif isinstance(node, ast.Attribute) and (
                node.attr in FORBIDDEN_ATTRS or (node.attr in os_attrs and _dotted(node).startswith("os."))):
            found.append(f"uses {_dotted(node)}")
    modules |= {"torch", "nn", "F", "math", "time", "os", "sys", "np", "numpy"}
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        for t in targets:
            if isinstance(t, ast.Attribute) and _dotted(t).split(".")[0] in modules:
                found.append(f"assigns to {_dotted(t)}")
    return sorted(set(found))


def banned_names(source: str, names) -> set[str]:
    """Library functions the exercise re-implements, named in `source` as an attribute (F.softmax), an
    import (from torch.nn.functional import softmax) or a string (getattr(F, "softmax")). Bare names are
    left to the run-time check: they may be the lesson's own functions."""
    names = set(names)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    hits = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names:
            hits.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            hits |= {a.name for a in node.names if a.name in names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            hits.add(node.value)
    return hits
