"""The package's shape: a sub-package per stage, imports pointing down the stages, no circles.

Every `import` counts, a lazy one inside a function too: a circle through a lazy import is still
two modules that cannot be understood (or tested) one without the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
MAX_LINES = 300

# Stages from the bottom up. A module may import its own stage or a lower one, never a higher one
# nor a sideways one (hearing and speaking know nothing of each other).
RANK = {"shared": 0, "understanding": 1, "dialogue": 2, "hearing": 3, "speaking": 3,
        "room": 4, "satellites": 4, "app": 5, "cli": 6, "main": 7}
SHARED = {"assistant", "assistant.errors", "assistant.messages", "assistant.audio", "assistant.yamlfile",
          "assistant.download", "assistant.private_files", "assistant.memory"}


def stage(module: str) -> str:
    parts = module.split(".")
    if module in SHARED:
        return "shared"
    if module == "assistant.app":
        return "app"
    if module == "assistant.__main__":
        return "main"
    assert len(parts) >= 2 and parts[1] in RANK and parts[1] not in ("shared", "app", "main"), \
        f"{module} is in no stage: put it in a stage's sub-package"
    return parts[1]


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        found[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The assistant modules `name` imports (`from assistant.x import y` counts y when y is a module)."""
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "assistant"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "assistant":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def circles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in g:
        if v not in index:
            visit(v)
    return out


def test_every_module_sits_in_a_stage_with_a_docstring_saying_what_it_does():
    for name, path in modules().items():
        stage(name)
        if path.name == "__init__.py" and name != "assistant":
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            assert doc and len(doc.splitlines()) <= 3, f"{path}: say in two lines what the stage does and hands on"


def test_no_module_imports_a_higher_stage_or_a_sideways_one():
    wrong = []
    for name, deps in graph().items():
        for dep in deps:
            a, b = stage(name), stage(dep)
            if a != b and RANK[b] >= RANK[a]:
                wrong.append(f"{name} ({a}) imports {dep} ({b})")
    assert not wrong, "imports must point down the stages:\n" + "\n".join(sorted(wrong))


def test_no_import_circles():
    assert circles(graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert stage("assistant.hearing.capture") == "hearing" and stage("assistant.errors") == "shared"


def test_every_module_is_at_most_300_lines():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules (at most {MAX_LINES} lines): {long}"
