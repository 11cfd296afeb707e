import json
import os.path as osp
import subprocess
import sys

import pytest
from PIL import Image

from mmdigit.visualization import (find_scalar_logs, plot_training_curves,
                                   read_training_curves)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def train(it, loss, lr=0.01):
    # as MMEngine's LoggerHook writes them (iteration-based loop)
    return dict(
        lr=lr,
        data_time=0.01,
        loss=loss,
        loss_cls=loss / 2,
        time=0.5,
        iter=it,
        memory=100,
        step=it)


def val(mAP, acc):
    # step is 0: log_metric_by_epoch=True in an iteration-based loop
    return {
        'coco/bbox_mAP': mAP,
        'coco/bbox_mAP_50': 2 * mAP,
        'digit/accuracy': acc,
        'digit/best_accuracy': acc,
        'data_time': 0.02,
        'time': 0.3,
        'step': 0
    }


@pytest.fixture
def work_dir(tmp_path):
    """A run killed after iteration 4, resumed from iteration 2's
    checkpoint: it logs iterations 3 and 4 again."""
    # yapf: disable
    runs = {
        '20250101_120000': [train(1, 2.0, 0.001), train(2, 1.8),
                            val(0.1, 0.2), train(3, 1.6), train(4, 1.5),
                            val(0.15, 0.3)],
        '20250102_090000': [train(3, 1.61), train(4, 1.41), val(0.2, 0.4),
                            train(5, 1.2)],
    }
    # yapf: enable
    for stamp, records in runs.items():
        folder = tmp_path / stamp / 'vis_data'
        folder.mkdir(parents=True)
        (folder / 'scalars.json').write_text(''.join(
            json.dumps(r) + '\n' for r in records))
    (tmp_path / 'iter_4.pth').write_bytes(b'')  # not a run folder
    return tmp_path


def test_read_joins_resumed_runs(work_dir):
    curves = read_training_curves(str(work_dir))
    assert curves['loss'] == ([1, 2, 3, 4, 5], [2.0, 1.8, 1.61, 1.41, 1.2])
    assert curves['lr'] == ([1, 2, 3, 4, 5], [0.001, 0.01, 0.01, 0.01, 0.01])
    # validation: at the last training iteration logged before it; the
    # first run's validation at 4 was replaced by the resumed run's
    assert curves['coco/bbox_mAP'] == ([2, 4], [0.1, 0.2])
    assert curves['digit/accuracy'] == ([2, 4], [0.2, 0.4])
    # training 'time' only, no x keys as curves
    assert curves['time'][0] == [1, 2, 3, 4, 5]
    assert not {'iter', 'step', 'epoch', 'coco/bbox_mAP_75'} & set(curves)


def test_find_logs(work_dir):
    logs = find_scalar_logs(str(work_dir))
    assert [osp.relpath(p, work_dir) for p in logs] == [
        osp.join(s, 'vis_data', 'scalars.json')
        for s in ('20250101_120000', '20250102_090000')
    ]
    # one run by its folder or its file
    assert find_scalar_logs(str(work_dir / '20250102_090000')) == logs[1:]
    resumed = read_training_curves(logs[1])
    assert resumed['loss'] == ([3, 4, 5], [1.61, 1.41, 1.2])
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        find_scalar_logs(str(work_dir / '20250101_120000' / 'vis_data'))


def test_plot_png_size_and_cli(work_dir, tmp_path):
    out = plot_training_curves(str(work_dir), str(tmp_path / 'c' / 'x.png'))
    assert Image.open(out).size == (1200, 800)
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'plot_curves.py')
    proc = subprocess.run(
        [sys.executable, tool, str(work_dir)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'loss: 5 points, last 1.2000 at iteration 5' in proc.stdout
    assert 'digit/accuracy: 2 points, last 0.4000 at iteration 4' in \
        proc.stdout
    assert Image.open(work_dir / 'curves.png').size == (1200, 800)


def test_plot_training_only_log(tmp_path):
    log = tmp_path / 'scalars.json'
    log.write_text(json.dumps(train(1, 1.0)) + '\n')
    out = plot_training_curves(str(log), str(tmp_path / 'c.png'))
    assert Image.open(out).size == (1200, 800)
