"""The structure holds (docs/architecture.md): read from the source with `ast`, so a change that breaks it
fails here, whether or not any other test happens to exercise it.

- dependencies between packages run one way: no import cycle between them;
- views do not import other views, and leave the database to the services;
- only reports/ writes a status name or the visibility condition;
- a commit or a rollback is written in one place, core/transaction.py;
- an import inside a function says why, on its line.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cityreport.reports.rules import STATUSES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("cityreport", "worker")
# The composition root: the app factory registers every blueprint and is imported by no package.
ROOT_MODULE = "cityreport"
TEMPLATES = ROOT / "cityreport" / "templates"


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: list[str]
    imports: list[tuple[str, ast.AST, bool]] = field(default_factory=list)  # (target, node, inside a function)

    @property
    def unit(self) -> str:
        """The package a module belongs to: cityreport.<package>, or the module itself at the top."""
        parts = self.name.split(".")
        if parts[0] == "worker":
            return "worker"
        return ".".join(parts[:2])  # a subpackage, or a module at the top of cityreport

    @property
    def is_view(self) -> bool:
        """A module that defines a blueprint: HTTP pages or API endpoints."""
        return any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "bp" for t in node.targets)
                   and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) == "Blueprint"
                   for node in self.tree.body)


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _exists(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _targets(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    if node.level or not node.module:
        return
    for alias in node.names:
        candidate = f"{node.module}.{alias.name}"
        yield candidate if _exists(candidate) else node.module


def _load() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            text = path.read_text()
            module = Module(_module_name(path), path, ast.parse(text), text.splitlines())
            stack: list[tuple[ast.AST, bool]] = [(module.tree, False)]
            while stack:
                node, in_function = stack.pop()
                for child in ast.iter_child_nodes(node):
                    inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                    if isinstance(child, ast.Import | ast.ImportFrom):
                        for target in _targets(child):
                            if target.split(".")[0] in SOURCES:
                                module.imports.append((target, child, in_function))
                    stack.append((child, inside))
            found[module.name] = module
    return found


MODULES = _load()


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def package_edges(modules: dict[str, Module]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for module in modules.values():
        if module.name == ROOT_MODULE:
            continue
        for target, _node, _inside in module.imports:
            if target == ROOT_MODULE or target not in modules:
                continue
            unit = modules[target].unit
            if unit != module.unit:
                edges[module.unit].add(unit)
    return edges


def test_no_import_cycle_between_packages():
    cycles = _cycles(package_edges(MODULES))
    assert cycles == [], "packages that import each other (a cycle): " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_check_finds_a_cycle():
    # The check itself: a made-up import from reports back into notifications is caught.
    fake = dict(MODULES)
    services = MODULES["cityreport.reports.services"]
    tree = ast.parse("from cityreport.notifications import fanout")
    fake[services.name] = Module(services.name, services.path, services.tree, services.lines,
                                 [*services.imports, ("cityreport.notifications.fanout", tree.body[0], False)])
    assert ["cityreport.notifications", "cityreport.reports"] in _cycles(package_edges(fake))


def test_views_do_not_import_other_views():
    views = {name for name, module in MODULES.items() if module.is_view}
    offences = [f"{name} imports {target}" for name in sorted(views) for target, _n, _i in MODULES[name].imports
                if target in views and target != name]
    assert offences == []
    assert len(views) >= 15  # the check sees the blueprints


def test_views_leave_the_database_to_the_services():
    offences = [f"{name}:{node.lineno}" for name, module in MODULES.items() if module.is_view
                for target, node, _inside in module.imports if target == "cityreport.extensions"
                and any(alias.name == "db" for alias in node.names)]
    assert offences == [], "views that use the session themselves: " + ", ".join(offences)


# ---- reports/ alone writes a status name or the visibility condition -----------------------------

# Words spelled like a status that are someone else's vocabulary, each with the reason.
NOT_OUR_STATUSES = {
    ("cityreport/errors.py", "invalid"): "the error code of refused input",
    ("cityreport/opendata/rules.py", "fixed"): "the metric named 'fixed'",
    ("cityreport/notifications/rules.py", "fixed"): "the feedback answer 'fixed' (yes, it is fixed)",
    ("cityreport/open311/rules.py", "in_progress"): "mySociety's Open311 update status",
    ("cityreport/open311/rules.py", "fixed"): "mySociety's Open311 update status",
    ("cityreport/open311/rules.py", "duplicate"): "mySociety's Open311 update status",
    ("cityreport/indicators/rules.py", "fixed"): "the metric named 'fixed'",
    ("cityreport/indicators/pages.py", "fixed"): "the metric named 'fixed'",
}
QUOTED_STATUS = re.compile(r"'(" + "|".join(STATUSES) + r")'")
TEMPLATE_STATUS = re.compile(r"status\s*(==|!=|in\b|not in\b)\s*[(\[]?\s*['\"](" + "|".join(STATUSES) + r")['\"]")


def _docstrings(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _outside_reports() -> Iterator[Module]:
    for module in MODULES.values():
        if not module.name.startswith("cityreport.reports"):
            yield module


def status_literals(modules) -> list[tuple[str, int, str]]:
    found = []
    for module in modules:
        docstrings = _docstrings(module.tree)
        where = str(module.path.relative_to(ROOT))
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in docstrings:
                continue
            value = node.value
            if value in STATUSES and (where, value) not in NOT_OUR_STATUSES:
                found.append((where, node.lineno, value))
            for match in QUOTED_STATUS.finditer(value):
                found.append((where, node.lineno, match.group(0)))
    return found


def visibility_conditions(modules) -> list[tuple[str, int, str]]:
    found = []
    for module in modules:
        where = str(module.path.relative_to(ROOT))
        docstrings = _docstrings(module.tree)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Attribute) and node.attr == "hidden":
                found.append((where, node.lineno, ".hidden"))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and re.search(r"\bhidden\s*(=|<>|!=|IS)|\bNOT\s+\w*\.?hidden\b", node.value, re.IGNORECASE):
                found.append((where, node.lineno, node.value.strip()[:60]))
    return found


def test_no_status_name_is_written_outside_reports():
    assert status_literals(_outside_reports()) == []


def test_every_excused_status_word_is_still_needed():
    used = {(where, value) for module in _outside_reports() for node in ast.walk(module.tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in STATUSES
            for where in [str(module.path.relative_to(ROOT))] for value in [node.value]}
    assert set(NOT_OUR_STATUSES) <= used, set(NOT_OUR_STATUSES) - used


def test_no_template_outside_reports_compares_a_status_with_a_name():
    offences = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file() and path.relative_to(TEMPLATES).parts[0] != "reports":
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if TEMPLATE_STATUS.search(line):
                    offences.append(f"{path.relative_to(ROOT)}:{number}")
    assert offences == []


def test_the_visibility_condition_is_written_only_in_reports():
    assert visibility_conditions(_outside_reports()) == []


@pytest.mark.parametrize("source", [
    'def f(r): return r.status == "invalid"',
    "Q = \"SELECT id FROM reports WHERE status IN ('new', 'acknowledged')\"",
])
def test_the_status_check_catches_a_written_status(source, tmp_path):
    path = ROOT / "cityreport" / "staff" / "invented.py"
    module = Module("cityreport.staff.invented", path, ast.parse(source), source.splitlines())
    assert status_literals([module])


@pytest.mark.parametrize("source", [
    "def f(q, Report): return q.where(Report.hidden.is_(False))",
    'SQL = "SELECT id FROM reports r WHERE r.hidden = false"',
    'SQL = "SELECT id FROM reports WHERE NOT hidden"',
])
def test_the_visibility_check_catches_a_written_condition(source):
    path = ROOT / "cityreport" / "opendata" / "invented.py"
    module = Module("cityreport.opendata.invented", path, ast.parse(source), source.splitlines())
    assert visibility_conditions([module])


# ---- one commit boundary ------------------------------------------------------------------------

TRANSACTION_CALLS = {"commit", "rollback", "begin_nested"}
TRANSACTION_OWNER = "cityreport.core.transaction"


def test_commits_and_rollbacks_are_written_only_in_core_transaction():
    offences = [f"{module.path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()"
                for module in MODULES.values() if module.name != TRANSACTION_OWNER
                for node in ast.walk(module.tree)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in TRANSACTION_CALLS]
    assert offences == []


# ---- imports at the top ---------------------------------------------------------------------------

REASON = re.compile(r"#.*\bdeferred:\s*\S")


def test_an_import_inside_a_function_says_why():
    offences = []
    for module in MODULES.values():
        for _target, node, inside in module.imports:
            if inside and not REASON.search(module.lines[node.lineno - 1]):
                offences.append(f"{module.path.relative_to(ROOT)}:{node.lineno}")
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Import | ast.ImportFrom) and not REASON.search(module.lines[sub.lineno - 1]):
                        offences.append(f"{module.path.relative_to(ROOT)}:{sub.lineno}")
    assert sorted(set(offences)) == []
