"""``make demo``'s script end to end, shrunk to a tiny model and dataset."""
import json
import os.path as osp
import subprocess
import sys
import zipfile

import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.slow
def test_demo_writes_submission_pictures_and_metrics(tiny_config, tmp_path):
    data, work = tmp_path / 'data', tmp_path / 'demo'
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'demo.py'), '--config', tiny_config,
        '--data-root',
        str(data), '--work-dir',
        str(work), '--num-train', '8', '--num-valid', '4', '--num-test', '5'
    ],
                          capture_output=True,
                          text=True,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'mmdigit demo finished' in proc.stdout
    with zipfile.ZipFile(work / 'submission' / 'submission.zip') as zf:
        assert sorted(zf.namelist()) == ['pred.csv', 'pred.json']
    rows = (work / 'submission' / 'pred.csv').read_text().splitlines()
    assert rows[0] == 'image_id,pred_label' and len(rows) == 1 + 5
    metrics = json.loads((work / 'valid_metrics.json').read_text())
    assert 0 <= metrics['coco/bbox_mAP'] <= 1
    assert 0 <= metrics['digit/accuracy'] <= 1
    for png in ('test_predictions.png', 'valid_predictions.png', 'curves.png'):
        assert Image.open(work / png).size[0] > 0
    assert len(list((work / 'read_numbers' / 'vis').iterdir())) == 4
