"""The package's import graph: mmdigit's subpackages import each other
one way only, and nothing in mmdigit imports the scripts in tools/."""
import ast
import os
import os.path as osp
from collections import defaultdict

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PKG = osp.join(REPO, 'mmdigit')


def subpackage(path: str) -> str:
    """``mmdigit/evaluation/metrics/x.py`` -> ``'evaluation'``."""
    parts = osp.relpath(path, PKG).split(os.sep)
    return parts[0] if len(parts) > 1 else ''


def imported_modules(path: str):
    """Absolute names of the modules a file imports."""
    module = ['mmdigit'] + osp.relpath(path, PKG)[:-3].split(os.sep)
    if module[-1] == '__init__':
        module = module[:-1]
    package = module if path.endswith('__init__.py') else module[:-1]
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                yield '.'.join(base + ([node.module] if node.module else []))
            else:
                yield node.module


def subpackage_graph():
    graph = defaultdict(set)
    for root, _, files in os.walk(PKG):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = osp.join(root, name)
            src = subpackage(path)
            for module in imported_modules(path):
                parts = module.split('.')
                if parts[0] == 'mmdigit' and len(parts) > 1 and src and \
                        parts[1] != src:
                    graph[src].add(parts[1])
    return graph


def find_cycle(graph):
    state = {}

    def visit(node, path):
        state[node] = 'open'
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 'open':
                return path + [node, nxt]
            if nxt not in state:
                cycle = visit(nxt, path + [node])
                if cycle:
                    return cycle
        state[node] = 'done'
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def test_subpackages_import_one_way():
    graph = subpackage_graph()
    assert find_cycle(graph) is None, find_cycle(graph)
    # the bottom and the top of the package
    assert graph['utils'] == set()
    assert not any('tools' in deps for deps in graph.values())


def test_cycle_finder_finds_a_cycle():
    graph = {'a': {'b'}, 'b': {'c'}, 'c': {'a'}}
    assert find_cycle(graph) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': set()}) is None


def test_nothing_imports_the_tool_scripts():
    for root, _, files in os.walk(PKG):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(root, name)
                assert not any(
                    m.split('.')[0] == 'tools'
                    for m in imported_modules(path)), path
