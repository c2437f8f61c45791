"""House rule: no function over 60 lines unless its docstring says why ("Long because").

Ruff bounds complexity (C901) and statements (PLR0915) but has no length rule;
this is the one check `make lint` adds. Usage: python scripts/function_length.py DIR...
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_LINES = 60
REASON = "Long because"


def long_functions(path: Path) -> list[str]:
    """``file:line name (n lines)`` for each over-long function without a stated reason."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        lines = (node.end_lineno or node.lineno) - node.lineno + 1
        if lines > MAX_LINES and REASON not in (ast.get_docstring(node) or ""):
            found.append(f"{path}:{node.lineno} {node.name} ({lines} lines)")
    return found


def main(dirs: list[str]) -> int:
    """Print each over-long function; 1 if there is any."""
    found = [f for d in dirs for p in sorted(Path(d).rglob("*.py")) for f in long_functions(p)]
    for line in found:
        print(line)
    if found:
        print(
            f"{len(found)} function(s) over {MAX_LINES} lines: split them, or say why in "
            f'the docstring ("{REASON} ...")',
            file=sys.stderr,
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["argo_agents", "graphs", "bench"]))
