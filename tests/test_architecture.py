"""docs/architecture.md matches the tree, and the library keeps its rules."""
import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, 'docs', 'architecture.md')
# docs/architecture.md's table: each stage may import only those before it.
STAGES = ['ops', 'data', 'models', 'training', 'io', 'evaluation', 'extensions', 'cli']
TOP_LEVEL = {'__init__', 'compat', 'blas_threads'}


def library_modules():
    found = []
    for folder, _, names in os.walk(os.path.join(ROOT, 'dcgan')):
        for name in names:
            if name.endswith('.py'):
                found.append(os.path.relpath(os.path.join(folder, name), ROOT))
    return sorted(p.replace(os.sep, '/') for p in found)


def stage_of(path):
    parts = path.split('/')
    return parts[1] if len(parts) > 2 else None


def dcgan_imports(path):
    """(line, stage or top-level module) for every dcgan import in ``path``."""
    tree = ast.parse(open(os.path.join(ROOT, path)).read())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == 'dcgan':
                names = ['dcgan.' + a.name for a in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split('.')
            if parts[0] == 'dcgan' and len(parts) > 1:
                yield node.lineno, parts[1]


def test_the_page_lists_every_module_and_only_modules_that_exist():
    text = open(DOC).read()
    listed = set(re.findall(r'`(dcgan/[\w/]+\.py)`', text))
    modules = set(library_modules())
    assert modules - listed == set(), 'modules missing from docs/architecture.md'
    assert listed - modules == set(), 'docs/architecture.md names modules that do not exist'
    for stage in STAGES:
        assert '`dcgan/{}/`'.format(stage) in text, stage


def test_imports_flow_one_way():
    wrong = []
    for path in library_modules():
        stage = stage_of(path)
        if stage is None:
            allowed = TOP_LEVEL  # the import-time set-up uses nothing else of ours
        else:
            allowed = set(STAGES[:STAGES.index(stage) + 1])
        for line, target in dcgan_imports(path):
            if target not in allowed:
                wrong.append('{}:{} imports dcgan.{}'.format(path, line, target))
    assert wrong == []


def test_only_the_cli_prints_or_parses_arguments():
    wrong = []
    for path in library_modules():
        if stage_of(path) == 'cli':
            continue
        tree = ast.parse(open(os.path.join(ROOT, path)).read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'print':
                wrong.append('{}:{} print()'.format(path, node.lineno))
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, 'module', None) or '']
                if 'argparse' in names:
                    wrong.append('{}:{} imports argparse'.format(path, node.lineno))
            if (isinstance(node, ast.Attribute) and getattr(node.value, 'id', None) == 'sys'
                    and node.attr in ('argv', 'stdout', 'stderr')):
                wrong.append('{}:{} sys.{}'.format(path, node.lineno, node.attr))
    assert wrong == []


def test_the_check_sees_a_wrong_import(tmp_path):
    # The import check must be able to fail: a data module importing training.
    bad = tmp_path / 'bad.py'
    bad.write_text('from dcgan.training import updater\nimport dcgan.models.nets\n')
    assert [t for _, t in dcgan_imports(os.path.relpath(str(bad), ROOT))] == [
        'training', 'models']
