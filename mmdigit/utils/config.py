"""Config helpers the tools share: pointing a config at a dataset, its
evaluators' metrics, and the reading a training run recorded."""
import os.path as osp
from typing import List, Optional, Tuple, Union

from mmengine.config import Config

#: ``MessageHub`` runtime-info keys under which ``DigitThresholdHook``
#: stores the validation-best score threshold and its reader options.
BEST_THR_KEY = 'digit_best_thr'
READER_CFG_KEY = 'digit_reader_cfg'


def _iter_datasets(dataset_cfg):
    """Yield a dataset config and every dataset it wraps."""
    if not isinstance(dataset_cfg, dict):
        return
    yield dataset_cfg
    yield from _iter_datasets(dataset_cfg.get('dataset'))
    for sub in dataset_cfg.get('datasets', []) or []:
        yield from _iter_datasets(sub)


def _split_datasets(cfg: Config):
    """Every dataset config of the train/val/test dataloaders."""
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is not None:
            yield from _iter_datasets(loader.get('dataset'))


def evaluator_metrics(evaluator: Union[dict, list, None]) -> List[dict]:
    """The metric configs of an evaluator config, written as one metric, a
    list of them or an ``Evaluator`` with ``metrics``.

    Returns:
        list[dict]: A new list of the same (editable) metric configs.
    """
    if evaluator is None:
        return []
    if isinstance(evaluator, dict):
        return list(evaluator.get('metrics', [evaluator]))
    return list(evaluator)


def cfg_set_data_root(cfg: Config, data_root: str) -> Config:
    """Point every dataset and evaluator ``ann_file`` of ``cfg`` (in place)
    at ``data_root``, a folder in the course layout; an evaluator keeps its
    ``ann_file``'s name."""
    data_root = osp.join(data_root, '')  # trailing slash, as mmdet writes it
    cfg.data_root = data_root
    for dataset in _split_datasets(cfg):
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
    place): they are resolved when the file is read, so overriding
    ``img_scale`` alone changes nothing."""
    cfg.img_scale = tuple(img_scale)
    for dataset in _split_datasets(cfg):
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

    from .checkpoint import register_checkpoint_safe_globals
    register_checkpoint_safe_globals()
    return recorded_reading(
        CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu'))
