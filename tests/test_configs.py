"""Every config loads and builds its model with no network access."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdet.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


def test_configs_found():
    assert osp.join(REPO, 'configs', 'faster_rcnn_r50_fpn_digits.py') in \
        CONFIGS


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_builds_offline(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    head = cfg.model.roi_head if 'roi_head' in cfg.model else cfg.model
    assert head.bbox_head.num_classes == 10
    # No RandomFlip anywhere: a mirrored digit is another digit.
    for split in ('train', 'val', 'test'):
        pipeline = cfg[f'{split}_dataloader'].dataset.pipeline
        assert all('Flip' not in t['type'] for t in pipeline)
    model = MODELS.build(cfg.model)  # building never downloads weights
    assert sum(p.numel() for p in model.parameters()) > 0
