"""Turn a custom-resource handler into inline ``ZipFile`` code for a StackSet template.

StackSet templates must not use file assets (their target accounts have no
asset bucket to read them from), so their Lambda code goes inline, and every
byte of it counts against the 51,200-byte ``TemplateBody`` limit. The
handlers stay ordinary, tested modules that import ``custom_resource.py``;
this merges the two into one module and drops what the interpreter does not
need (docstrings and comments: ``ast.unparse`` never writes comments).
Standard library only: the transformation is three AST edits, and ``ast``
guarantees the result parses.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

LAMBDAS = Path(__file__).resolve().parent.parent / "lambdas"
SHARED = "custom_resource"


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _imports_shared(node: ast.stmt) -> bool:
    """``from ...custom_resource import ...``, or a try/except made only of such imports."""
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[-1] == SHARED
    if isinstance(node, ast.Try):
        statements = [*node.body, *(s for h in node.handlers for s in h.body)]
        return bool(statements) and all(_imports_shared(s) for s in statements)
    return False


def _defined_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


@cache
def inline_handler(module: str, *, custom_resource: bool = True) -> str:
    """The source of ``lambdas/<module>.py`` merged with ``custom_resource.py``, minified.

    ``custom_resource=False``: the module alone (a function that answers no
    CloudFormation request, such as the findings formatter). The Lambda
    handler is then ``index.handler`` (CloudFormation writes ``ZipFile``
    code to ``index.py``).
    """
    own = _without_docstrings(ast.parse((LAMBDAS / f"{module}.py").read_text()))
    shared = ast.Module(body=[], type_ignores=[])
    if custom_resource:
        shared = _without_docstrings(ast.parse((LAMBDAS / f"{SHARED}.py").read_text()))
    clash = _defined_names(shared) & _defined_names(own)
    if clash:
        raise ValueError(f"{module}.py redefines {sorted(clash)} of {SHARED}.py; rename them")
    own_body = [
        node
        for node in own.body
        if not _imports_shared(node)
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]
    merged = ast.Module(body=[*shared.body, *own_body], type_ignores=[])
    source = ast.unparse(ast.fix_missing_locations(merged))
    compile(source, f"{module}-inline", "exec")  # fail at synth, not in the account
    return source + "\n"
