"""demo/webui.py without a browser: its helpers and its errors (these
run without Gradio too)."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WEBUI = osp.join(REPO, 'demo', 'webui.py')


@pytest.fixture(scope='module')
def webui():
    """demo/webui.py as a module (it imports Gradio only when serving)."""
    spec = importlib.util.spec_from_file_location('webui', WEBUI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_strip_external_refs(webui):
    page = ('<head><link rel="preconnect" href="https://fonts.example" />'
            '<link rel="icon" href="./favicon.png" />'
            '<script src="https://cdn.example/x.js" async></script>'
            '<script type="module" src="./assets/index.js"></script></head>')
    assert webui.strip_external_refs(page) == (
        '<head><link rel="icon" href="./favicon.png" />'
        '<script type="module" src="./assets/index.js"></script></head>')


def test_rows_are_read_numbers_rows(webui):
    rows = [('a.png', '128', 0.91234), ('b.jpg', '-1', None)]
    assert webui.table_rows(rows) == [['a.png', '128', '0.9123'],
                                      ['b.jpg', '-1', '']]


def test_missing_checkpoint_is_one_error_line(tiny_config, tmp_path):
    missing = str(tmp_path / 'missing.pth')
    proc = subprocess.run([sys.executable, WEBUI, tiny_config, missing],
                          capture_output=True,
                          text=True,
                          cwd=REPO,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    spec = importlib.util.find_spec('gradio')
    if spec is None or spec.origin is None:  # none, or a folder left behind
        expected = 'error: the web page needs Gradio: make web'
    else:
        expected = f'error: checkpoint file not found: {missing}'
    assert proc.stderr.strip().splitlines()[-1].startswith(expected)
