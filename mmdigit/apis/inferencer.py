"""Read the number in any image: :class:`DigitInferencer` and the loop behind
``tools/read_numbers.py``."""
import glob
import os
import os.path as osp
import re
import sys
import warnings
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import mmcv
import mmengine
import numpy as np
import torch.nn as nn
from mmdet.apis import DetInferencer
from mmdet.apis.det_inferencer import IMG_EXTENSIONS, InputsType
from mmdet.structures import DetDataSample
from mmdet.utils import ConfigType
from mmengine.structures import InstanceData

from ..datasets.image_folder import PLACEHOLDER_SIZE, StandInPipeline
from ..evaluation.functional import (NO_NUMBER, number_instances, read_number,
                                     resolve_reading)
from ..evaluation.functional.submission import csv_text
from ..evaluation.metrics import DigitSubmissionDumper
from ..utils.checkpoint import (check_state_dict_fits,
                                register_checkpoint_safe_globals)
from ..utils.config import evaluator_metrics, recorded_reading

#: Pictures are drawn with the shorter side at least this long, so boxes and
#: scores stay legible on 100x50 px crops.
MIN_VIS_SIDE = 256


class UnreadableImageWarning(UserWarning):
    """An input file could not be read; it gets no number."""


def _natural_key(path: str) -> list:
    """Sort ``2.png`` before ``10.png``."""
    return [
        int(s) if s.isdigit() else s.lower() for s in re.split(r'(\d+)', path)
    ]


def is_folder_or_pattern(path: str) -> bool:
    """Whether :func:`list_images` expands ``path`` (a folder or a glob)."""
    return osp.isdir(path) or (glob.has_magic(path) and not osp.exists(path))


def list_images(inputs: Union[InputsType, Iterable]) -> list:
    """Paths and arrays, one per image, of what to read: a folder or a glob
    gives its image files (any extension case, natural order, not
    recursive), other strings are kept even if missing (they fail per
    image), arrays become BGR (:func:`to_bgr`)."""
    if isinstance(inputs, (str, os.PathLike, np.ndarray, dict)):
        inputs = [inputs]
    images = []
    for item in inputs:
        if isinstance(item, os.PathLike):
            item = os.fspath(item)
        if isinstance(item, np.ndarray):
            images.append(to_bgr(item))
        elif isinstance(item, str) and is_folder_or_pattern(item):
            paths = [osp.join(item, name) for name in os.listdir(item)] \
                if osp.isdir(item) else glob.glob(item)
            images += sorted(
                (p for p in paths
                 if osp.isfile(p) and p.lower().endswith(IMG_EXTENSIONS)),
                key=_natural_key)
        else:  # a file, or a dict as DetInferencer takes
            images.append(item)
    return images


def to_bgr(img: np.ndarray) -> np.ndarray:
    """Make an ``H x W (x 1|3|4)`` array ``H x W x 3`` BGR, dropping alpha
    as ``cv2.imdecode`` does."""
    if img.ndim == 2 or img.ndim == 3 and img.shape[2] == 1:
        return mmcv.gray2bgr(img)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(
            f'an image array must be HxW, HxWx1, HxWx3 or HxWx4, not '
            f'{img.shape}')
    return np.ascontiguousarray(img[..., :3])


def config_reader_cfg(cfg: ConfigType) -> Optional[dict]:
    """The ``reader_cfg`` of the config's ``DigitSubmissionDumper``, if
    any."""
    for metric in evaluator_metrics(cfg.get('test_evaluator')):
        kind = metric.get('type')
        name = getattr(kind, '__name__', str(kind)).split('.')[-1]
        if name == DigitSubmissionDumper.__name__ and \
                metric.get('reader_cfg') is not None:
            return dict(metric['reader_cfg'])
    return None


class DigitInferencer(DetInferencer):
    """Read house numbers as ``tools/test.py`` does: mmdet's
    :class:`~mmdet.apis.DetInferencer` with the config's ``read_model``,
    threshold and reader options.

    Inputs are paths, folders, globs, arrays or lists of them
    (:func:`list_images`). Each prediction dict adds ``number`` (``''``:
    none), ``number_score`` (its lowest digit score) and ``unreadable``.

    Args:
        score_thr (float, optional): None: the checkpoint's recorded one,
            else 0.5 (:func:`~mmdigit.evaluation.resolve_reading`).
        reader_cfg (dict, optional): None: the config's dumper's
            (:func:`config_reader_cfg`), else the checkpoint's.

    Example:
        >>> from mmdigit.apis import DigitInferencer
        >>> reader = DigitInferencer('configs/faster_rcnn_r50_fpn_digits.py',
        ...                          'work_dirs/.../best.pth', device='cpu')
        >>> reader('photo.jpg')['predictions'][0]['number']
        '128'
    """

    def __init__(self,
                 model: Optional[Union[ConfigType, str]] = None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 score_thr: Optional[float] = None,
                 reader_cfg: Optional[dict] = None,
                 palette: str = 'none',
                 show_progress: bool = True) -> None:
        self.recorded: Tuple[Optional[float], Optional[dict]] = (None, None)
        # names for check_state_dict_fits' message
        config_name = model if isinstance(model, str) else getattr(
            model, 'filename', None) or 'the given config'
        self._fit_names = (str(weights), config_name)
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope='mmdet',
            palette=palette,
            show_progress=show_progress)
        if reader_cfg is None:
            reader_cfg = config_reader_cfg(self.cfg)
        # the threshold and reader options of the reading; may be changed
        self.score_thr, self.reader_cfg, self.score_thr_source = \
            resolve_reading(score_thr, reader_cfg, self.recorded)

    def _init_model(self,
                    cfg: ConfigType,
                    weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        """The detector, wrapped in the config's ``read_model`` if any."""
        register_checkpoint_safe_globals()
        if cfg.get('read_model'):  # cfg is BaseInferencer's own copy
            cfg.model = dict(**cfg.read_model, module=cfg.model)
        return super()._init_model(cfg, weights, device)

    def _load_weights_to_model(self, model: nn.Module,
                               checkpoint: Optional[dict],
                               cfg: Optional[ConfigType]) -> None:
        """Load weights that fit the model; keep the recorded reading."""
        if checkpoint is not None:
            check_state_dict_fits(model, checkpoint, *self._fit_names)
        super()._load_weights_to_model(model, checkpoint, cfg)
        self.recorded = recorded_reading(checkpoint or {})

    def _init_pipeline(self, cfg: ConfigType) -> StandInPipeline:
        """mmdet's test pipeline, an unreadable file getting a stand-in."""
        pipeline = super()._init_pipeline(cfg)
        num_load = 1 + next(i for i, t in enumerate(pipeline.transforms)
                            if type(t).__name__ == 'InferencerLoader')
        return StandInPipeline(
            pipeline, num_load, lambda path, error: warnings.warn(
                f'unreadable image {path} ({error}); no number is read',
                UnreadableImageWarning))

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """Expand folders and globs, make arrays BGR (:func:`list_images`)."""
        return list_images(inputs)

    def __call__(self,
                 inputs: InputsType,
                 batch_size: int = 1,
                 pred_score_thr: Optional[float] = None,
                 **kwargs) -> dict:
        """``pred_score_thr`` defaults to :attr:`score_thr`."""
        if pred_score_thr is None:
            pred_score_thr = self.score_thr
        return super().__call__(
            inputs, batch_size, **kwargs, pred_score_thr=pred_score_thr)

    def forward(self, inputs: Union[dict, tuple],
                **kwargs) -> List[DetDataSample]:
        """Predict, then read each image's number into its metainfo."""
        preds = super().forward(inputs, **kwargs)
        for pred in preds:
            if pred.metainfo.get('unreadable', False):
                # boxes found on the black stand-in image mean nothing
                pred.pred_instances = pred.pred_instances[:0]
                if 'number_instances' in pred:
                    del pred.number_instances
            number, score = self.read_number(number_instances(pred))
            pred.set_metainfo(dict(number=number, number_score=score))
        return preds

    def read_number(self,
                    instances: InstanceData) -> Tuple[str, Optional[float]]:
        """:func:`~mmdigit.evaluation.read_number` of one prediction."""
        return read_number(instances.bboxes.cpu().numpy(),
                           instances.scores.cpu().numpy(),
                           instances.labels.cpu().numpy(), self.score_thr,
                           **self.reader_cfg)

    def visualize(self,
                  inputs: list,
                  preds: List[DetDataSample],
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: int = 0,
                  no_save_vis: bool = False,
                  img_out_dir: str = '',
                  **kwargs) -> Optional[List[np.ndarray]]:
        """mmdet's drawing on the image enlarged to :data:`MIN_VIS_SIDE`,
        under a band with the number; RGB pictures if ``return_vis``."""
        img_out_dir = '' if no_save_vis else img_out_dir
        if not (show or img_out_dir or return_vis):
            return None
        imgs, vis_preds = zip(*map(self._enlarged, inputs, preds))
        pictures = super().visualize(
            list(imgs), list(vis_preds), return_vis=True, **kwargs)
        first = self.num_visualized_imgs - len(inputs)  # mmdet's array names
        results = []
        for i, (x, pred, img) in enumerate(zip(inputs, preds, pictures)):
            name = osp.basename(x) if isinstance(x, str) else \
                f'{first + i:08d}.jpg'
            img = self._draw_number_band(img, pred)
            if img_out_dir != '':
                mmcv.imwrite(img[..., ::-1], osp.join(img_out_dir, 'vis',
                                                      name))
            if show:
                self.visualizer.show(img, win_name=name, wait_time=wait_time)
            results.append(img)
        return results

    @staticmethod
    def _enlarged(single_input, pred: DetDataSample) -> tuple:
        """The RGB image and a copy of its prediction, enlarged."""
        if pred.metainfo.get('unreadable', False):
            img = np.zeros((PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, 3), np.uint8)
        elif isinstance(single_input, str):
            # decoded as LoadImageFromFile decodes it (mmcv, colour, EXIF)
            img = mmcv.imread(single_input, channel_order='rgb')
        elif isinstance(single_input, np.ndarray):
            img = mmcv.bgr2rgb(to_bgr(single_input))
        else:
            raise ValueError(f'Unsupported input type: {type(single_input)}')
        h, w = img.shape[:2]
        pred = pred.clone()
        if min(h, w) < MIN_VIS_SIDE:
            img = mmcv.imrescale(img, MIN_VIS_SIDE / min(h, w))
            # per axis: the new size is rounded
            scale = img.shape[1] / w, img.shape[0] / h
            boxes = pred.pred_instances.bboxes
            pred.pred_instances.bboxes = boxes * boxes.new_tensor(scale * 2)
        return img, pred

    def _draw_number_band(self, img: np.ndarray,
                          pred: DetDataSample) -> np.ndarray:
        """Put a white band with the read number above an RGB picture."""
        if pred.metainfo.get('unreadable', False):
            text = 'unreadable'
        elif pred.number:
            text = f'{pred.number}  ({pred.number_score:.2f})'
        else:
            text = 'no number'
        band = max(24, img.shape[0] // 8)
        canvas = np.full((img.shape[0] + band, img.shape[1], 3), 255, np.uint8)
        canvas[band:] = img
        self.visualizer.set_image(canvas)
        self.visualizer.draw_texts(
            text,
            np.array([band // 4, band // 2]),
            font_sizes=int(band * 0.6),
            colors='black',
            vertical_alignments='center')
        return self.visualizer.get_image()

    def pred2dict(self,
                  data_sample: DetDataSample,
                  pred_out_dir: str = '') -> dict:
        """mmdet's dict plus ``number``, ``number_score``, ``unreadable``
        and, from a reading model that keeps them apart, the boxes numbers
        are read from (``number_instances``: ``labels``, ``scores``,
        ``bboxes``), written as mmdet's would be."""
        result = super().pred2dict(data_sample, '')
        result.update(
            number=data_sample.number,
            number_score=data_sample.number_score,
            unreadable=bool(data_sample.metainfo.get('unreadable', False)))
        if 'number_instances' in data_sample:
            inst = data_sample.number_instances
            result['number_instances'] = dict(
                labels=inst.labels.tolist(),
                scores=inst.scores.tolist(),
                bboxes=inst.bboxes.tolist())
        if pred_out_dir != '':
            img_path = data_sample.metainfo.get('img_path')
            if img_path:
                stem = osp.splitext(osp.basename(img_path))[0]
            else:
                stem = str(self.num_predicted_imgs)
                self.num_predicted_imgs += 1
            mmengine.dump(result,
                          osp.join(pred_out_dir, 'preds', stem + '.json'))
        return result


def read_image_numbers(
        inferencer: DigitInferencer,
        inputs: Sequence[str],
        out_dir: Optional[str] = None,
        batch_size: int = 1,
        progress: bool = False) -> List[Tuple[str, str, Optional[float]]]:
    """``(file, number, score)`` of each image (``'-1'``, None: nothing
    read), pictures in ``out_dir/vis/``, a progress bar of images on stderr
    if asked (mmdet's counts batches: build with ``show_progress=False``).
    """
    rows = []
    bar = mmengine.ProgressBar(len(inputs), file=sys.stderr) \
        if progress else None
    for start in range(0, len(inputs), batch_size):
        chunk = list(inputs[start:start + batch_size])
        preds = inferencer(chunk, batch_size, out_dir=out_dir or '')
        rows += [(path, pred['number'] or NO_NUMBER, pred['number_score'])
                 for path, pred in zip(chunk, preds['predictions'])]
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.file.write('\n')
    return rows


def number_rows_text(
        rows: Sequence[Tuple[str, str, Optional[float]]]) -> List[list]:
    """:func:`read_image_numbers`' rows as text, scores to 4 decimals."""
    return [[path, number, '' if score is None else f'{score:.4f}']
            for path, number, score in rows]


def number_rows_to_csv(
        rows: Sequence[Tuple[str, str, Optional[float]]]) -> str:
    """CSV text of :func:`read_image_numbers`' rows, with a header."""
    return csv_text(['file', 'number', 'score'], number_rows_text(rows))
