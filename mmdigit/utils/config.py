"""Small helpers the tools share: pointing a config at a dataset, listing
its evaluator's metrics and reading what a training run recorded in its
checkpoint."""
import os.path as osp
from typing import List, Optional, Tuple, Union

from mmengine.config import Config

#: ``MessageHub`` runtime-info key under which :class:`DigitThresholdHook`
#: stores the validation-best score threshold for reading numbers.
BEST_THR_KEY = 'digit_best_thr'
#: ``MessageHub`` runtime-info key under which :class:`DigitThresholdHook`
#: stores every reader option ``best_thr`` was chosen with.
READER_CFG_KEY = 'digit_reader_cfg'


def _iter_datasets(dataset_cfg):
    """Yield a dataset config and every dataset it wraps."""
    if not isinstance(dataset_cfg, dict):
        return
    yield dataset_cfg
    yield from _iter_datasets(dataset_cfg.get('dataset'))
    for sub in dataset_cfg.get('datasets', []) or []:
        yield from _iter_datasets(sub)


def evaluator_metrics(evaluator: Union[dict, list, None]) -> List[dict]:
    """The metric configs of a ``val_evaluator`` / ``test_evaluator``.

    A config writes an evaluator as one metric dict, a list of them, or an
    ``Evaluator`` dict with ``metrics``; this is the one place that tells
    them apart.

    Args:
        evaluator (dict | list, optional): The evaluator config.

    Returns:
        list[dict]: A new list of the same metric configs (edit them to
        edit the config), ``[]`` for None.
    """
    if evaluator is None:
        return []
    if isinstance(evaluator, dict):
        return list(evaluator.get('metrics', [evaluator]))
    return list(evaluator)


def cfg_set_data_root(cfg: Config, data_root: str) -> Config:
    """Point every dataloader and evaluator of ``cfg`` at ``data_root``.

    Datasets get the new ``data_root`` (their ``ann_file`` and
    ``data_prefix`` stay relative to it, as in the course layout); evaluator
    ``ann_file`` paths keep their file name (``valid.json``) under the new
    root.

    Args:
        cfg (Config): Config to modify in place.
        data_root (str): Folder with ``train/``, ``valid/``, ``test/``,
            ``train.json`` and ``valid.json``.

    Returns:
        Config: ``cfg`` itself.
    """
    data_root = osp.join(data_root, '')  # trailing slash, as mmdet writes it
    cfg.data_root = data_root
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is not None:
            for dataset in _iter_datasets(loader.get('dataset')):
                if 'data_root' in dataset:
                    dataset.data_root = data_root
        for metric in evaluator_metrics(cfg.get(f'{split}_evaluator')):
            if metric.get('ann_file'):
                metric.ann_file = osp.join(data_root,
                                           osp.basename(metric.ann_file))
    return cfg


def cfg_set_img_scale(cfg: Config, img_scale: Tuple[int, int]) -> Config:
    """Set the scale of every ``Resize`` in the train/val/test pipelines.

    Pipelines are resolved when a config file is read, so overriding
    ``img_scale`` after loading changes nothing by itself.

    Args:
        cfg (Config): Config to modify in place.
        img_scale (tuple[int, int]): ``(w, h)`` as in mmdet's ``Resize``.

    Returns:
        Config: ``cfg`` itself.
    """
    cfg.img_scale = tuple(img_scale)
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is None:
            continue
        for dataset in _iter_datasets(loader.get('dataset')):
            for transform in dataset.get('pipeline', []) or []:
                if transform.get('type') == 'Resize':
                    transform.scale = tuple(img_scale)
    return cfg


def recorded_reading(
        checkpoint: dict) -> Tuple[Optional[float], Optional[dict]]:
    """How a training run read numbers best on validation, from a loaded
    checkpoint dict.

    Args:
        checkpoint (dict): An MMEngine checkpoint, as loaded.

    Returns:
        tuple: The score threshold and the reader options recorded by
        ``DigitThresholdHook``, each None when the run did not record it.
    """
    info = (checkpoint.get('message_hub') or {}).get('runtime_info', {})
    thr, reader_cfg = info.get(BEST_THR_KEY), info.get(READER_CFG_KEY)
    return (None if thr is None else float(thr),
            None if reader_cfg is None else dict(reader_cfg))


def read_recorded_reading(
        checkpoint: str) -> Tuple[Optional[float], Optional[dict]]:
    """Read how a training run's validation found numbers read best.

    Args:
        checkpoint (str): Path or URL of an MMEngine checkpoint.

    Returns:
        tuple: The score threshold and the reader options recorded by
        ``DigitThresholdHook`` (:func:`recorded_reading`), each None when
        the run did not record it.
    """
    from mmengine.runner import CheckpointLoader

    from .checkpoint import register_checkpoint_safe_globals
    register_checkpoint_safe_globals()
    ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    return recorded_reading(ckpt)
