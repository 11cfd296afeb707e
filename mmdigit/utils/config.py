"""Config helpers the tools share: pointing a config at a dataset, its
evaluators' metrics, and the reading a training run recorded."""
import os.path as osp
from typing import Iterator, List, Optional, Tuple, Union

from mmengine.config import Config

from .checkpoint import register_checkpoint_safe_globals

#: ``MessageHub`` runtime-info keys under which ``DigitThresholdHook``
#: stores the validation-best score threshold and its reader options.
BEST_THR_KEY = 'digit_best_thr'
READER_CFG_KEY = 'digit_reader_cfg'


def _datasets(cfg: Config) -> Iterator[dict]:
    """Every dataset config of the dataloaders, wrapped ones included."""
    todo = [(cfg.get(f'{split}_dataloader') or {}).get('dataset')
            for split in ('train', 'val', 'test')]
    while todo:
        dataset = todo.pop()
        if isinstance(dataset, dict):
            yield dataset
            todo += [dataset.get('dataset'), *(dataset.get('datasets') or [])]


def evaluator_metrics(evaluator: Union[dict, list, None]) -> List[dict]:
    """A new list of the (editable) metric configs of an evaluator config:
    one metric, a list of them or an ``Evaluator`` with ``metrics``."""
    if isinstance(evaluator, dict):
        return list(evaluator.get('metrics', [evaluator]))
    return list(evaluator or [])


def cfg_set_data_root(cfg: Config, data_root: str) -> Config:
    """Point every dataset and evaluator ``ann_file`` of ``cfg`` (in place)
    at ``data_root`` (course layout; evaluators keep their file names)."""
    data_root = osp.join(data_root, '')  # trailing slash, as mmdet writes it
    cfg.data_root = data_root
    for dataset in _datasets(cfg):
        if 'data_root' in dataset:
            dataset.data_root = data_root
    for split in ('train', 'val', 'test'):
        for metric in evaluator_metrics(cfg.get(f'{split}_evaluator')):
            if metric.get('ann_file'):
                metric.ann_file = osp.join(data_root,
                                           osp.basename(metric.ann_file))
    return cfg


def cfg_set_img_scale(cfg: Config, img_scale: Tuple[int, int]) -> Config:
    """Set ``(w, h)`` of every ``Resize`` in the pipelines of ``cfg`` (in
    place; overriding ``img_scale`` alone changes nothing once read)."""
    cfg.img_scale = tuple(img_scale)
    for dataset in _datasets(cfg):
        for transform in dataset.get('pipeline', []) or []:
            if transform.get('type') == 'Resize':
                transform.scale = tuple(img_scale)
    return cfg


def recorded_reading(
        checkpoint: dict) -> Tuple[Optional[float], Optional[dict]]:
    """The score threshold and reader options ``DigitThresholdHook``
    recorded in a loaded checkpoint, each None if it did not."""
    info = (checkpoint.get('message_hub') or {}).get('runtime_info', {})
    thr, reader_cfg = info.get(BEST_THR_KEY), info.get(READER_CFG_KEY)
    return (None if thr is None else float(thr),
            None if reader_cfg is None else dict(reader_cfg))


def read_recorded_reading(
        checkpoint: str) -> Tuple[Optional[float], Optional[dict]]:
    """:func:`recorded_reading` of a checkpoint path or URL."""
    from mmengine.runner import CheckpointLoader
    register_checkpoint_safe_globals()
    return recorded_reading(
        CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu'))
