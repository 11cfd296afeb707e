import importlib.util
import os.path as osp
import signal

import pytest

from mmdigit.datasets import make_synthetic_dataset
from mmdigit.utils import register_checkpoint_safe_globals

# The tests read the tools' checkpoints with torch.load(weights_only=True)
# and mmdet's init_detector, as a user's script would after this call.
register_checkpoint_safe_globals()

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_tool(name: str):
    """Import the script ``tools/<name>.py`` as a module (``tools/`` is not
    a package), e.g. to test its functions."""
    spec = importlib.util.spec_from_file_location(
        f'tool_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def sigint_raises():
    """Ctrl-C raises KeyboardInterrupt during the test, as in a terminal
    (a shell's background job starts with SIGINT ignored)."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """A tiny synthetic dataset in the course layout (shared, read-only)."""
    root = str(tmp_path_factory.mktemp('tiny_data'))
    make_synthetic_dataset(
        root, num_train=24, num_valid=8, num_test=6, seed=3, progress=False)
    return root


#: Shrinks a config to seconds on a CPU: 64 px inputs, a 16-channel R18,
#: 4 iterations, no workers, deterministic.
TINY_OVERRIDES = """
img_scale = (128, 64)
max_iters = 4
model = dict(
    backbone=dict(depth=18, base_channels=16),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=16),
        bbox_head=dict(in_channels=16, fc_out_channels=32)))
train_pipeline = [
    *_base_.train_pipeline[:-2],
    dict(_base_.train_pipeline[-2], scale=img_scale),
    _base_.train_pipeline[-1],
]
val_pipeline = [
    _base_.val_pipeline[0],
    dict(_base_.val_pipeline[1], scale=img_scale),
    *_base_.val_pipeline[2:],
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(_base_.test_pipeline[1], scale=img_scale),
    *_base_.test_pipeline[2:],
]
loader = dict(batch_size=2, num_workers=0, persistent_workers=False)
train_dataloader = dict(
    **loader, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(**loader, dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_iters=max_iters, val_interval=2)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, max_keep_ckpts=-1))
randomness = dict(seed=0, deterministic=True)
env_cfg = dict(mp_cfg=dict(opencv_num_threads=1))
"""


def write_tiny_config(path, base: str, extra: str = '') -> str:
    """Write a config that inherits ``base`` shrunk by ``TINY_OVERRIDES``.

    Args:
        path: Where to write it.
        base (str): Path of the config to shrink.
        extra (str): More config lines, after the overrides (they can use
            the overrides' variables, e.g. ``loader``).

    Returns:
        str: ``path``.
    """
    with open(path, 'w') as f:
        f.write(f'_base_ = {base!r}\n{TINY_OVERRIDES}{extra}')
    return str(path)


@pytest.fixture(scope='session')
def tiny_config(tmp_path_factory):
    """The demo config shrunk to seconds: 64 px inputs, 4 iterations."""
    return write_tiny_config(
        tmp_path_factory.mktemp('cfg') / 'tiny_digits.py',
        osp.join(REPO, 'configs', 'faster_rcnn_r18_fpn_demo_digits.py'))
