"""Read the number in any image: :class:`DigitInferencer` and the loop behind
``tools/read_numbers.py``."""
import copy
import csv
import glob
import io
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
from mmdet.apis.det_inferencer import IMG_EXTENSIONS
from mmdet.structures import DetDataSample
from mmdet.utils import ConfigType
from mmengine.dataset import Compose
from mmengine.structures import InstanceData

from ..datasets.image_folder import PLACEHOLDER_SIZE
from ..evaluation.functional import (NO_NUMBER, check_reader_cfg, read_number,
                                     resolve_reading)
from ..evaluation.metrics import DigitSubmissionDumper
from ..utils.checkpoint import (check_state_dict_fits,
                                register_checkpoint_safe_globals)
from ..utils.config import evaluator_metrics, recorded_reading

InputType = Union[str, np.ndarray]
InputsType = Union[InputType, Sequence[InputType]]

#: Pictures are drawn with the shorter side at least this long, so boxes and
#: scores stay legible on 100x50 px crops.
MIN_VIS_SIDE = 256


class UnreadableImageWarning(UserWarning):
    """An input file could not be read; it is returned with no number."""


def _natural_key(path: str) -> list:
    """Sort ``2.png`` before ``10.png``."""
    return [
        int(s) if s.isdigit() else s.lower() for s in re.split(r'(\d+)', path)
    ]


def _is_image_name(path: str) -> bool:
    # case-insensitive: phones write IMG_0001.JPG
    return path.lower().endswith(IMG_EXTENSIONS)


def is_folder_or_pattern(path: str) -> bool:
    """Whether :func:`list_images` expands ``path`` (a folder or a glob)."""
    return osp.isdir(path) or (glob.has_magic(path) and not osp.exists(path))


def list_images(inputs: Union[InputsType, Iterable]) -> list:
    """Expand folders and glob patterns into image paths.

    - a folder: its image files (not recursive), in natural order;
    - a pattern with ``*``, ``?`` or ``[``, unless it names an existing
      file: the matching image files, in natural order;
    - any other string: kept as given, even if missing (reading it then
      fails and is reported per image);
    - an array: converted to 3-channel BGR (:func:`to_bgr`);
    - a list or tuple: each item expanded in turn.

    Args:
        inputs (str | np.ndarray | Sequence): What to read.

    Returns:
        list: Paths and arrays, one per image.
    """
    if isinstance(inputs, (str, os.PathLike, np.ndarray, dict)):
        inputs = [inputs]
    images = []
    for item in inputs:
        if isinstance(item, np.ndarray):
            images.append(to_bgr(item))
            continue
        if not isinstance(item, (str, os.PathLike)):
            images.append(item)  # e.g. a dict, as DetInferencer accepts
            continue
        item = os.fspath(item)
        if not is_folder_or_pattern(item):
            images.append(item)
            continue
        paths = [osp.join(item, name) for name in os.listdir(item)] \
            if osp.isdir(item) else glob.glob(item)
        images += sorted(
            (p for p in paths if _is_image_name(p) and osp.isfile(p)),
            key=_natural_key)
    return images


def to_bgr(img: np.ndarray) -> np.ndarray:
    """Make an array image 3-channel BGR as the test pipeline expects.

    A grayscale image (``H x W`` or ``H x W x 1``) is repeated to three
    channels; an alpha channel (``H x W x 4``, BGRA) is dropped, as
    ``cv2.imdecode`` does when a config's ``LoadImageFromFile`` reads an
    RGBA file, so arrays and files of the same picture read alike.

    Args:
        img (np.ndarray): ``H x W``, ``H x W x 1``, ``H x W x 3`` or
            ``H x W x 4`` image.

    Returns:
        np.ndarray: ``H x W x 3`` image.
    """
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4):
        raise ValueError(
            f'an image array must be HxW, HxWx1, HxWx3 or HxWx4, not '
            f'{img.shape}')
    if img.shape[2] == 1:
        return np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


def config_reader_cfg(cfg: ConfigType) -> Optional[dict]:
    """The reader options the config gives ``tools/test.py`` for
    ``pred.csv``: the ``reader_cfg`` of its ``DigitSubmissionDumper``.

    Args:
        cfg (Config): A digit config.

    Returns:
        dict, optional: Reader options (``READER_OPTIONS``); None when the
        config sets none (then the checkpoint's recorded ones apply).
    """
    for metric in evaluator_metrics(cfg.get('test_evaluator')):
        kind = metric.get('type')
        name = getattr(kind, '__name__', str(kind)).split('.')[-1]
        if name == DigitSubmissionDumper.__name__ and \
                metric.get('reader_cfg') is not None:
            return dict(metric['reader_cfg'])
    return None


class DigitInferencer(DetInferencer):
    """Read house numbers with a checkpoint of any ``configs/*.py``.

    mmdet's :class:`~mmdet.apis.DetInferencer` (input handling, batching,
    drawing, output files) plus the read number. Each prediction dict has
    mmdet's ``bboxes`` (``x1, y1, x2, y2`` in original-image pixels),
    ``scores`` and ``labels`` (label ``i`` = digit ``i``), and:

    - ``number`` (str): the digits read left to right by
      :func:`~mmdigit.evaluation.functional.boxes_to_number` at
      :attr:`score_thr` with :attr:`reader_cfg`, ``''`` when none is kept
      (what ``tools/test.py`` writes to ``pred.csv``);
    - ``number_score`` (float | None): the lowest score among the digits
      read (a number is only right if every digit is), None without one;
    - ``unreadable`` (bool): the file could not be read (no boxes, no
      number; a :class:`UnreadableImageWarning` names it).

    Inputs are paths, folders, glob patterns, BGR arrays (grayscale and BGRA
    are converted, see :func:`to_bgr`) or lists of them. Files are decoded
    by the config's ``LoadImageFromFile``, exactly as ``tools/test.py``
    reads them: any size, PNG/JPEG/..., grayscale or RGBA become 3-channel
    BGR and an EXIF orientation (phone photos) is applied by OpenCV's
    ``imdecode``.
    Pictures (``out_dir/vis/``) show the boxes scoring at least
    ``pred_score_thr`` (default :attr:`score_thr`) under a band with the
    read number.

    Args:
        model (str | Config, optional): Config file or config; None takes
            the config stored in ``weights``.
        weights (str, optional): Checkpoint.
        device (str, optional): ``'cpu'``, ``'cuda'``...; None picks CUDA
            when available.
        score_thr (float, optional): Score threshold for reading numbers.
            None: the validation-best threshold recorded in the checkpoint
            (``DigitThresholdHook``), else ``DEFAULT_CSV_SCORE_THR`` (0.5),
            as ``tools/test.py`` does for ``pred.csv``.
        reader_cfg (dict, optional): Reader options of
            :func:`~mmdigit.evaluation.functional.select_digits`. None: the
            config's dumper's (:func:`config_reader_cfg`), else those
            recorded in the checkpoint with the threshold, else the
            reader's defaults, as ``tools/test.py`` reads ``pred.csv``.
        palette (str): Box colours, as in ``DetInferencer``. Defaults to
            ``'none'`` (the dataset's palette).
        show_progress (bool): Show a progress bar while inferring.
            Defaults to True.

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
        self.recorded_thr: Optional[float] = None
        self.recorded_reader_cfg: Optional[dict] = None
        # names for check_state_dict_fits' message
        if isinstance(model, str):
            config_name = model
        else:
            config_name = (
                getattr(model, 'filename', None) or 'the given config')
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
        #: Threshold for reading numbers; may be changed between calls.
        self.score_thr: float
        self.score_thr, reader_cfg, self.score_thr_source = resolve_reading(
            score_thr, reader_cfg,
            (self.recorded_thr, self.recorded_reader_cfg))
        #: Reader options (``READER_OPTIONS``) for reading numbers.
        self.reader_cfg = check_reader_cfg(reader_cfg)

    def _init_model(self,
                    cfg: ConfigType,
                    weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        """The detector, wrapped in the config's ``read_model`` when it has
        one (as ``tools/test.py`` reads, e.g. the two-pass
        :class:`~mmdigit.models.DigitScaleNormTTAModel`)."""
        register_checkpoint_safe_globals()
        if cfg.get('read_model'):
            cfg = copy.deepcopy(cfg)
            cfg.model = dict(**cfg.read_model, module=cfg.model)
        return super()._init_model(cfg, weights, device)

    def _load_weights_to_model(self, model: nn.Module,
                               checkpoint: Optional[dict],
                               cfg: Optional[ConfigType]) -> None:
        """Load weights as mmdet does and keep the recorded threshold and
        reader options.

        The checkpoint dict is the one ``BaseInferencer._init_model`` loaded,
        so the file is read once. Weights that do not fit the config's
        model stop with :class:`~mmdigit.utils.CheckpointError`, as in
        ``tools/test.py``.
        """
        if checkpoint is not None:
            check_state_dict_fits(model, checkpoint, *self._fit_names)
        super()._load_weights_to_model(model, checkpoint, cfg)
        self.recorded_thr, self.recorded_reader_cfg = recorded_reading(
            checkpoint or {})

    def _init_pipeline(self, cfg: ConfigType) -> 'ImageLoadingPipeline':
        """mmdet's test pipeline, reporting unreadable files per image."""
        pipeline = super()._init_pipeline(cfg)
        return ImageLoadingPipeline(pipeline)

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """Expand folders and globs, make arrays BGR (:func:`list_images`)."""
        return list_images(inputs)

    def __call__(self,
                 inputs: InputsType,
                 batch_size: int = 1,
                 pred_score_thr: Optional[float] = None,
                 **kwargs) -> dict:
        """Read the numbers in ``inputs``.

        Args:
            inputs (str | np.ndarray | Sequence): Images, folders, globs.
            batch_size (int): Images per forward pass. Defaults to 1.
            pred_score_thr (float, optional): Minimum score of a drawn box;
                None draws the boxes scoring at least :attr:`score_thr`.
            **kwargs: ``DetInferencer.__call__``'s other options, e.g.
                ``out_dir``, ``no_save_pred``, ``return_vis``, ``show``.

        Returns:
            dict: ``predictions`` (one dict per image, see the class) and
            ``visualization``.
        """
        if pred_score_thr is None:
            pred_score_thr = self.score_thr
        return super().__call__(
            inputs,
            batch_size=batch_size,
            pred_score_thr=pred_score_thr,
            **kwargs)

    def forward(self, inputs: Union[dict, tuple],
                **kwargs) -> List[DetDataSample]:
        """Predict, then read each image's number into its metainfo."""
        preds = super().forward(inputs, **kwargs)
        for pred in preds:
            if pred.metainfo.get('unreadable', False):
                # boxes found on the black stand-in image mean nothing
                pred.pred_instances = pred.pred_instances[:0]
            number, score = self.read_number(pred.pred_instances)
            pred.set_metainfo(dict(number=number, number_score=score))
        return preds

    def read_number(self,
                    instances: InstanceData) -> Tuple[str, Optional[float]]:
        """Read one image's number from its predicted instances
        (:func:`~mmdigit.evaluation.functional.read_number`).

        Args:
            instances (InstanceData): ``bboxes``, ``scores``, ``labels``.

        Returns:
            tuple[str, float | None]: The digits (``''`` if none) and the
            lowest score among them (None if none).
        """
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
                  draw_pred: bool = True,
                  pred_score_thr: float = 0.3,
                  no_save_vis: bool = False,
                  img_out_dir: str = '',
                  **kwargs) -> Optional[List[np.ndarray]]:
        """Draw boxes (mmdet's drawing) under a band with the read number.

        Small images are enlarged to :data:`MIN_VIS_SIDE` first. Files are
        decoded as the pipeline decodes them; an unreadable one is drawn as
        the black stand-in. Pictures go to ``img_out_dir/vis/`` named as
        mmdet names them (the file's name, or a counter for arrays).

        Returns:
            list[np.ndarray] | None: RGB pictures when ``return_vis``.
        """
        if no_save_vis:
            img_out_dir = ''
        if not show and img_out_dir == '' and not return_vis:
            return None
        names, images, vis_preds = [], [], []
        for i, (single_input, pred) in enumerate(zip(inputs, preds)):
            if isinstance(single_input, str):
                names.append(osp.basename(single_input))
            else:  # mmdet's naming of array inputs
                names.append(f'{self.num_visualized_imgs + i:08d}.jpg')
            img = self._image_to_draw(single_input, pred)
            h, w = img.shape[:2]
            vis_pred = pred.clone()
            if min(h, w) < MIN_VIS_SIDE:
                img = mmcv.imrescale(img, MIN_VIS_SIDE / min(h, w))
                # per axis: the new size is rounded
                scale = img.shape[1] / w, img.shape[0] / h
                vis_pred.pred_instances.bboxes = \
                    vis_pred.pred_instances.bboxes * \
                    vis_pred.pred_instances.bboxes.new_tensor(scale * 2)
            images.append(img)
            vis_preds.append(vis_pred)
        # mmdet draws the boxes (RGB arrays in, RGB pictures out)
        drawn = super().visualize(
            images,
            vis_preds,
            return_vis=True,
            draw_pred=draw_pred,
            pred_score_thr=pred_score_thr,
            no_save_vis=True)
        results = []
        for name, img, pred in zip(names, drawn, preds):
            img = self._draw_number_band(img, pred)
            if img_out_dir != '':
                mmcv.imwrite(img[..., ::-1], osp.join(img_out_dir, 'vis',
                                                      name))
            if show:
                self.visualizer.show(img, win_name=name, wait_time=wait_time)
            results.append(img)
        return results

    def _image_to_draw(self, single_input, pred: DetDataSample) -> np.ndarray:
        """The RGB image a prediction was made on."""
        if pred.metainfo.get('unreadable', False):
            return np.zeros((PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, 3), np.uint8)
        if isinstance(single_input, str):
            # decoded as LoadImageFromFile decodes it (mmcv, colour, EXIF)
            img = mmcv.imfrombytes(mmengine.fileio.get(single_input))
        elif isinstance(single_input, np.ndarray):
            img = to_bgr(single_input)
        else:
            raise ValueError(f'Unsupported input type: {type(single_input)}')
        return np.ascontiguousarray(img[..., ::-1])

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
        """mmdet's dict plus ``number``, ``number_score``, ``unreadable``.

        With ``pred_out_dir`` it is written to ``pred_out_dir/preds/`` as
        mmdet names it (``<file stem>.json``, or a counter for arrays).
        """
        result = super().pred2dict(data_sample, '')
        result.update(
            number=data_sample.number,
            number_score=data_sample.number_score,
            unreadable=bool(data_sample.metainfo.get('unreadable', False)))
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


class ImageLoadingPipeline:
    """A test pipeline whose image loading may fail per image.

    When the loader cannot read a file (missing, truncated, not an image),
    an :class:`UnreadableImageWarning` names it and a black
    ``PLACEHOLDER_SIZE`` square goes through the rest of the pipeline, its
    sample marked ``unreadable=True``, as ``DigitImageFolderDataset`` does
    for ``tools/test.py``. Errors after loading still raise.

    Args:
        pipeline (Compose): The inferencer's pipeline, starting with
            ``InferencerLoader``.
    """

    def __init__(self, pipeline: Compose) -> None:
        transforms = list(pipeline.transforms)
        idx = next(i for i, t in enumerate(transforms)
                   if type(t).__name__ == 'InferencerLoader')
        self.load = Compose(transforms[:idx + 1])
        self.rest = Compose(transforms[idx + 1:])

    def __call__(self, inputs) -> dict:
        """Load and transform one input.

        Args:
            inputs (str | np.ndarray | dict): One input of the inferencer.

        Returns:
            dict: ``inputs`` and ``data_samples`` for the model.
        """
        if isinstance(inputs, dict):  # the loader writes into it
            inputs = copy.deepcopy(inputs)
        try:
            results = self.load(inputs)
        except Exception as e:  # cv2/mmcv/fileio raise many types
            if isinstance(inputs, np.ndarray):
                raise
            results, error = None, f'{type(e).__name__}: {e}'
        else:
            error = 'could not be decoded'
        unreadable = results is None
        if unreadable:
            path = inputs.get('img_path') if isinstance(inputs,
                                                        dict) else inputs
            warnings.warn(
                f'unreadable image {path} ({error}); no number is read',
                UnreadableImageWarning)
            results = self.load(
                np.zeros((PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, 3), np.uint8))
            results['img_path'] = path
        results = self.rest(results)
        results['data_samples'].set_metainfo(dict(unreadable=unreadable))
        return results


def read_image_numbers(
        inferencer: DigitInferencer,
        inputs: Sequence[str],
        out_dir: Optional[str] = None,
        batch_size: int = 1,
        progress: bool = False) -> List[Tuple[str, str, Optional[float]]]:
    """Read the number in each image file (``tools/read_numbers.py``).

    Args:
        inferencer (DigitInferencer): The reader, built with
            ``show_progress=False`` when ``progress`` is asked for here
            (mmdet's bar counts batches, on stdout).
        inputs (Sequence[str]): Image paths (see :func:`list_images`).
        out_dir (str, optional): Write pictures with boxes and the read
            number to ``out_dir/vis/``.
        batch_size (int): Images per forward pass. Defaults to 1.
        progress (bool): Show a progress bar on stderr. Defaults to False.

    Returns:
        list[tuple[str, str, float | None]]: ``(file, number, score)`` per
        image in input order; the number is ``'-1'`` (and the score None)
        when nothing is read or the file is unreadable, the score the lowest
        score among the digits read.
    """
    rows = []
    bar = mmengine.ProgressBar(len(inputs), file=sys.stderr) \
        if progress else None
    for start in range(0, len(inputs), batch_size):
        chunk = list(inputs[start:start + batch_size])
        preds = inferencer(
            chunk,
            batch_size=batch_size,
            out_dir=out_dir or '',
            no_save_pred=True)['predictions']
        for path, pred in zip(chunk, preds):
            number = pred['number'] or NO_NUMBER
            rows.append((path, number, pred['number_score']))
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.file.write('\n')
    return rows


def number_rows_to_csv(
        rows: Sequence[Tuple[str, str, Optional[float]]]) -> str:
    """CSV text of :func:`read_image_numbers`' rows.

    Args:
        rows (Sequence[tuple]): ``(file, number, score)`` rows.

    Returns:
        str: Header ``file,number,score`` and one line per row; the score
        has 4 decimals, empty when no number was read.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(['file', 'number', 'score'])
    for path, number, score in rows:
        writer.writerow(
            [path, number, '' if score is None else f'{score:.4f}'])
    return buf.getvalue()
