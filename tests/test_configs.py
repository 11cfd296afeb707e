"""Every config loads and builds its model with no network access, and
every variant differs from its base only in what its name says."""
import ast
import fnmatch
import glob
import os.path as osp
import re

import pytest
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def dataset_pipelines(dataset):
    """The pipeline of a dataset config, or of every dataset a wrapper
    (``ConcatDataset``, ``RepeatDataset``...) holds."""
    if 'pipeline' in dataset:
        return [dataset.pipeline]
    inner = list(dataset.get(
        'datasets', [])) + ([dataset.dataset] if 'dataset' in dataset else [])
    assert inner, f'a dataset without a pipeline: {dataset}'
    return [p for d in inner for p in dataset_pipelines(d)]


def test_configs_found():
    assert osp.join(REPO, 'configs', 'faster_rcnn_r50_fpn_digits.py') in \
        CONFIGS


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_builds_offline(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    head = cfg.model.roi_head if 'roi_head' in cfg.model else cfg.model
    assert head.bbox_head.num_classes == 10
    # No RandomFlip anywhere: a mirrored digit is another digit.
    for split in ('train', 'val', 'test'):
        for pipeline in dataset_pipelines(cfg[f'{split}_dataloader'].dataset):
            assert all('Flip' not in t['type'] for t in pipeline)
    model = MODELS.build(cfg.model)  # building never downloads weights
    assert sum(p.numel() for p in model.parameters()) > 0


# --- Variants differ from their base only in what their name says. -------

PRIMARY = osp.join(REPO, 'configs', 'faster_rcnn_r50_fpn_digits.py')
RESIZES = ('Resize', 'RandomResize')


def rel(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


def single_base(path):
    """The config file a config inherits from, or None for a list of bases
    or a base in another package."""
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if (isinstance(node, ast.Assign)
                and getattr(node.targets[0], 'id', None) == '_base_'):
            base = ast.literal_eval(node.value)
            if isinstance(base, str) and '::' not in base:
                return osp.normpath(osp.join(osp.dirname(path), base))
    return None


def _keyed(value):
    """A list of dicts with distinct ``type`` (a pipeline, the schedulers,
    the hooks) as a dict keyed by type, so that inserting a transform shows
    as that one transform."""
    if (isinstance(value, (list, tuple)) and value
            and all(isinstance(v, dict) and 'type' in v for v in value)):
        types = [v['type'] for v in value]
        if len(set(types)) == len(types):
            return dict(zip(types, value))
    return value


def config_diff(a, b, prefix=''):
    """Dotted keys where two config trees differ. A key present on one side
    only is reported once, not with everything under it; ``_scope_`` (which
    mmengine adds to values read from an external base) is ignored."""
    a, b = _keyed(a), _keyed(b)
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set()
        for key in set(a) | set(b):
            if key == '_scope_':
                continue
            if key not in a or key not in b:
                keys.add(prefix + key)
            else:
                keys |= config_diff(a[key], b[key], f'{prefix}{key}.')
        return keys
    return set() if a == b else {prefix[:-1]}


def train_aug(*types):
    """Keys of transforms added to (or removed from) the train pipeline."""
    return {
        f'{where}.{t}'
        for t in types
        for where in ('train_pipeline', 'train_dataloader.dataset.pipeline')
    }


def resize_scale(*splits):
    return {
        f'{where}.Resize.scale'
        for split in splits
        for where in (f'{split}_pipeline',
                      f'{split}_dataloader.dataset.pipeline')
    }


# config (relative to configs/) -> fnmatch patterns of the dotted keys in
# which it differs from its `_base_` file. Every differing key must match a
# pattern and every pattern some differing key. Required for every config
# in ablations/ and baselines/; other configs are checked when listed.
EXPECTED_DELTA = {
    'faster_rcnn_r50_fpn_tensorboard_digits.py':
    {'visualizer.vis_backends.TensorboardVisBackend'},
    'synthetic/faster_rcnn_r18_fpn_synth10k-finetune_1.5k_digits.py':
    {'load_from', 'load_from_hint'},
    'baselines/faster_rcnn_r50_fpn_1333x800_1x_digits.py': {
        'img_scale', *resize_scale('train', 'val', 'test'), 'train_proposals',
        'train_rois', 'test_proposals',
        'model.roi_head.bbox_roi_extractor.roi_layer.sampling_ratio',
        'model.train_cfg.rpn_proposal.nms_pre',
        'model.train_cfg.rpn_proposal.max_per_img',
        'model.train_cfg.rcnn.sampler.num', 'model.test_cfg.rpn.max_per_img'
    },
    'ablations/faster_rcnn_r50_fpn_tuned-anchors_1x_digits.py': {
        'anchor_scales', 'anchor_ratios',
        'model.rpn_head.anchor_generator.scales',
        'model.rpn_head.anchor_generator.ratios'
    },
    'ablations/faster_rcnn_r50_fpn_colorjitter-blur_1x_digits.py':
    {'jitter', 'aug_prob', *train_aug('ColorJitter', 'GaussianBlur')},
    'ablations/faster_rcnn_r50_fpn_multiscale_1x_digits.py':
    {'scale_ratio_range', *train_aug('Resize', 'RandomResize')},
    'ablations/faster_rcnn_r50_fpn_affine_1x_digits.py':
    {'max_rotate_degree', 'max_shear_degree', *train_aug('RandomAffine')},
    'ablations/faster_rcnn_r50_fpn_giou_1x_digits.py': {
        'model.roi_head.bbox_head.loss_bbox.*',
        'model.roi_head.bbox_head.reg_decoded_bbox'
    },
    # diou and ciou inherit the GIoU variant
    'ablations/faster_rcnn_r50_fpn_diou_1x_digits.py':
    {'model.roi_head.bbox_head.loss_bbox.type'},
    'ablations/faster_rcnn_r50_fpn_ciou_1x_digits.py': {
        'model.roi_head.bbox_head.loss_bbox.type',
        'model.roi_head.bbox_head.loss_bbox.loss_weight'
    },
    'ablations/faster_rcnn_r50_fpn_v2-heads_1x_digits.py': {
        'model.rpn_head.num_convs', 'model.roi_head.bbox_head.type',
        'model.roi_head.bbox_head.conv_out_channels',
        'model.roi_head.bbox_head.norm_cfg'
    },
    'ablations/faster_rcnn_mobilenetv2_fpn_1x_digits.py':
    {'model.backbone.*', 'model.neck.in_channels'},
    'ablations/faster_rcnn_regnetx-400mf_fpn_1x_digits.py':
    {'model.backbone.*', 'model.neck.in_channels'},
    'ablations/fcos_r50_fpn_gn-head_1x_digits.py':
    {'model.*', 'optim_wrapper.paramwise_cfg'},
    'ablations/faster_rcnn_r50_fpn_adamw-cosine_1x_digits.py': {
        'lr', 'weight_decay', 'optim_wrapper.optimizer.*',
        'param_scheduler.MultiStepLR', 'param_scheduler.CosineAnnealingLR'
    },
    'ablations/faster_rcnn_r50_fpn_amp_1x_digits.py':
    {'optim_wrapper.type', 'optim_wrapper.loss_scale'},
    # input scale: every Resize (the primary's own scale changes nothing)
    'ablations/faster_rcnn_r50_fpn_256x128_1x_digits.py':
    {'img_scale', *resize_scale('train', 'val', 'test')},
    'ablations/faster_rcnn_r50_fpn_320x160_1x_digits.py': set(),
    'ablations/faster_rcnn_r50_fpn_416x208_1x_digits.py':
    {'img_scale', *resize_scale('train', 'val', 'test')},
    'ablations/faster_rcnn_r50_fpn_2x_digits.py': {
        'max_epochs', 'train_cfg.max_epochs',
        'param_scheduler.MultiStepLR.end',
        'param_scheduler.MultiStepLR.milestones'
    },
}
# Configs whose input scale differs from their base's on purpose (names
# with a WxH token count too).
SCALE_VARIANTS = {
    'faster_rcnn_r18_fpn_demo_digits.py',
    'baselines/faster_rcnn_r50_fpn_1333x800_1x_digits.py',
}
DERIVED = [p for p in CONFIGS if single_base(p)]


def test_every_ablation_and_baseline_declares_its_delta():
    required = {
        rel(p)
        for p in CONFIGS if rel(p).startswith(('ablations/', 'baselines/'))
    }
    assert required - set(EXPECTED_DELTA) == set()
    assert set(EXPECTED_DELTA) <= {rel(p) for p in DERIVED}


def test_config_diff_reports_added_transforms_and_changed_values():
    base = dict(
        lr=0.01,
        model=dict(type='A', head=dict(depth=2)),
        pipeline=[dict(type='Load'),
                  dict(type='Resize', scale=1)])
    child = dict(
        lr=0.01,
        extra=1,
        model=dict(type='A', head=dict(depth=3)),
        pipeline=[
            dict(type='Load'),
            dict(type='Jitter', p=1),
            dict(type='Resize', scale=2, _scope_='mmdet')
        ])
    assert config_diff(base, child) == {
        'extra', 'model.head.depth', 'pipeline.Jitter', 'pipeline.Resize.scale'
    }
    assert config_diff(base, base) == set()


@pytest.mark.parametrize('name', sorted(EXPECTED_DELTA))
def test_variant_differs_from_its_base_only_in_its_change(name):
    path = osp.join(REPO, 'configs', name)
    delta = config_diff(
        Config.fromfile(single_base(path)).to_dict(),
        Config.fromfile(path).to_dict())
    patterns = EXPECTED_DELTA[name]
    unexpected = {
        k
        for k in delta if not any(fnmatch.fnmatchcase(k, p) for p in patterns)
    }
    stale = {
        p
        for p in patterns if not any(fnmatch.fnmatchcase(k, p) for k in delta)
    }
    assert (unexpected, stale) == (set(), set())


def resize_scales(cfg):
    """``{split: [[scale of each Resize or RandomResize] per pipeline]}``;
    a dataset wrapper has one pipeline per dataset it holds."""
    return {
        split:
        [[t['scale'] for t in pipeline if t['type'] in RESIZES]
         for pipeline in dataset_pipelines(cfg[f'{split}_dataloader'].dataset)]
        for split in ('train', 'val', 'test')
    }


def distinct_scales(cfg):
    """``{split: sorted distinct Resize scales}``."""
    return {
        split: sorted({tuple(s)
                       for p in pipelines for s in p})
        for split, pipelines in resize_scales(cfg).items()
    }


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_resize_follows_img_scale(path):
    """A pipeline left at another scale than ``img_scale`` (a stale copy)
    trains or tests at a scale nobody chose."""
    cfg = Config.fromfile(path)
    if 'img_scale' not in cfg:
        pytest.skip('no img_scale')
    # one Resize at img_scale in every pipeline
    for split, pipelines in resize_scales(cfg).items():
        assert pipelines and all(p == [cfg.img_scale] for p in pipelines), \
            (split, pipelines)


@pytest.mark.parametrize(
    'path', DERIVED, ids=[osp.relpath(p, REPO) for p in DERIVED])
def test_resize_agrees_with_base_unless_about_scale(path):
    cfg = Config.fromfile(path)
    base = Config.fromfile(single_base(path))
    named = re.search(r'_(\d+)x(\d+)_', osp.basename(path))
    if named:  # the scale its name says
        assert tuple(cfg.img_scale) == (int(named[1]), int(named[2]))
    elif rel(path) in SCALE_VARIANTS:
        assert cfg.img_scale != base.img_scale
    else:
        assert cfg.get('img_scale') == base.get('img_scale')
        assert distinct_scales(cfg) == distinct_scales(base)


# --- The new augmentations run on a real image with boxes. ---------------

BOXES = [[30, 10, 44, 38], [50, 10, 64, 38]]  # two digits in a 104x48 image


@pytest.fixture(scope='module')
def digit_image(tmp_path_factory):
    import mmcv
    import numpy as np
    path = str(tmp_path_factory.mktemp('img') / 'digits.png')
    img = np.full((48, 104, 3), 200, np.uint8)
    for x1, y1, x2, y2 in BOXES:
        img[y1:y2, x1:x2] = 30
    mmcv.imwrite(img, path)
    return path


def run_train_pipeline(config, img_path, seed, zoom_out=False):
    """The config's train pipeline on one image; without the base's
    zoom-out (random) unless ``zoom_out``."""
    import random

    import numpy as np
    from mmengine.dataset import Compose
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    init_default_scope('mmdet')
    import_modules_from_strings(cfg.custom_imports.imports)
    pipeline = Compose([
        t for t in cfg.train_dataloader.dataset.pipeline
        if zoom_out or t['type'] != 'Expand'
    ])
    random.seed(seed)
    np.random.seed(seed)
    out = pipeline(
        dict(
            img_path=img_path,
            img_id=0,
            height=48,
            width=104,
            instances=[
                dict(bbox=b, bbox_label=i + 1, ignore_flag=0)
                for i, b in enumerate(BOXES)
            ]))
    sample = out['data_samples']
    return (tuple(out['inputs'].shape[1:]), sample.gt_instances.bboxes.tensor,
            sample.gt_instances.labels.tolist())


@pytest.mark.slow
def test_primary_zooms_out_half_of_the_photos_up_to_2x(digit_image):
    import torch
    config = 'faster_rcnn_r50_fpn_digits.py'
    plain_shape, plain, _ = run_train_pipeline(config, digit_image, 0)
    ratios = []
    for seed in range(20):
        shape, boxes, labels = run_train_pipeline(
            config, digit_image, seed, zoom_out=True)
        # the canvas keeps the photo's aspect (to a pixel), so the input
        # size stays
        assert shape[1] == plain_shape[1] == 320 and labels == [1, 2]
        assert abs(shape[0] - plain_shape[0]) <= 5
        widths = boxes[:, 2] - boxes[:, 0]
        ratio = (widths / (plain[:, 2] - plain[:, 0])).mean().item()
        # both digits shrink together, by 1 / (1 to 2)
        assert torch.allclose(
            widths / (plain[:, 2] - plain[:, 0]),
            torch.tensor(ratio),
            atol=0.02)
        ratios.append(ratio)
    assert all(0.49 <= r <= 1.001 for r in ratios)
    zoomed = sum(r < 0.99 for r in ratios)
    assert 4 <= zoomed <= 16  # p = 0.5 over 20 seeds


def test_multiscale_resizes_to_0_75_to_1_25_of_the_primary_scale(digit_image):
    import torch
    config = 'ablations/faster_rcnn_r50_fpn_multiscale_1x_digits.py'
    shapes = set()
    for seed in range(4):
        (h, w), boxes, labels = run_train_pipeline(config, digit_image, seed)
        # keep_ratio: the long side fits 320 * r, r in [0.75, 1.25]
        assert 240 <= w <= 400 and h == round(48 * w / 104)
        assert labels == [1, 2]
        scale = torch.tensor([w / 104, h / 48] * 2)
        assert torch.allclose(boxes, torch.tensor(BOXES) * scale)
        shapes.add((h, w))
    assert len(shapes) == 4


def test_affine_turns_boxes_slightly_and_keeps_the_primary_scale(digit_image):
    import torch
    from mmdet.structures.bbox import bbox_overlaps
    plain_shape, plain, _ = run_train_pipeline('faster_rcnn_r50_fpn_digits.py',
                                               digit_image, 0)
    assert plain_shape == (148, 320)
    for seed in range(4):
        shape, boxes, labels = run_train_pipeline(
            'ablations/faster_rcnn_r50_fpn_affine_1x_digits.py', digit_image,
            seed)
        assert shape == plain_shape and labels == [1, 2]
        assert not torch.equal(boxes, plain)
        # a few degrees: each box stays mostly where it was
        assert bbox_overlaps(boxes, plain).diag().min() > 0.5
