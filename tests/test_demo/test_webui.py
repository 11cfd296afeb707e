"""demo/webui.py without a browser: its helpers and its errors (these
run without Gradio too)."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import types

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmdigit.apis import DigitInferencer

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WEBUI = osp.join(REPO, 'demo', 'webui.py')


@pytest.fixture(scope='module')
def webui():
    """demo/webui.py as a module (it imports Gradio only when serving)."""
    spec = importlib.util.spec_from_file_location('webui', WEBUI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reread_keeps_the_digits_read_and_captions_them(webui):
    reader = types.SimpleNamespace(score_thr=0.5, reader_cfg={})
    reader.read_number = lambda inst: DigitInferencer.read_number(reader, inst)
    sample = DetDataSample()
    # a 2 and an 8 read left to right, a box under the threshold left out
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([[30., 0, 40, 20], [0, 0, 10, 20], [15, 0, 25,
                                                                20]]),
        scores=torch.tensor([0.75, 0.9, 0.25]),
        labels=torch.tensor([8, 2, 5]))
    read = webui.reread(reader, sample)
    assert (read.number, read.number_score) == ('28', 0.75)
    assert read.pred_instances.labels.tolist() == [2, 8]
    assert len(sample.pred_instances) == 3  # the original is kept
    assert webui.caption('a.png', 0.5, read) == 'a.png: 28 (2 0.90, 8 0.75)'
    reader.score_thr = 0.95
    none = webui.reread(reader, sample)
    assert (none.number, none.number_score) == ('', None)
    assert webui.caption('a.png', 0.95, none) == \
        'a.png: no number (no digit scores 0.95)'


@pytest.mark.slow
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
