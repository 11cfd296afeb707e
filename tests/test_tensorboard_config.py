"""The TensorBoard config is the primary one plus a TensorBoard backend."""
import glob
import json
import os.path as osp

from mmdet.registry import VISUALIZERS
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load(name):
    return Config.fromfile(osp.join(REPO, 'configs', name))


def test_only_the_vis_backends_differ(tmp_path):
    base = load('faster_rcnn_r50_fpn_digits.py')
    cfg = load('faster_rcnn_r50_fpn_tensorboard_digits.py')
    base_dict, tb_dict = base.to_dict(), cfg.to_dict()
    assert [b['type'] for b in base_dict['visualizer'].pop('vis_backends')
            ] == ['LocalVisBackend']
    assert [b['type'] for b in tb_dict['visualizer'].pop('vis_backends')
            ] == ['LocalVisBackend', 'TensorboardVisBackend']
    assert tb_dict == base_dict

    init_default_scope('mmdet')
    vis = VISUALIZERS.build(
        dict(
            cfg.visualizer,
            name='test_tensorboard_config',
            save_dir=str(tmp_path)))
    # both backends receive the scalars: json lines and a TensorBoard file
    vis.add_scalars({'loss': 0.5, 'coco/bbox_mAP': 0.25}, step=3)
    vis.close()
    lines = (tmp_path / 'vis_data' / 'scalars.json').read_text().splitlines()
    assert json.loads(lines[0]) == {
        'loss': 0.5,
        'coco/bbox_mAP': 0.25,
        'step': 3
    }
    events = glob.glob(str(tmp_path / 'vis_data' / 'events.out.tfevents.*'))
    assert len(events) == 1

    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    acc = EventAccumulator(events[0])
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars('loss')] == [(3, 0.5)]
