import importlib.util
import os.path as osp

import pytest

WEBUI = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'demo',
    'webui.py')


@pytest.fixture(scope='session')
def webui():
    """demo/webui.py as a module (it imports Gradio only when serving)."""
    spec = importlib.util.spec_from_file_location('webui', WEBUI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
