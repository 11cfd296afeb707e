"""Writing, reading and scoring submissions the way the course grader
does."""
import contextlib
import csv
import io
import json
import os.path as osp
import zipfile
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...utils.digits import category_id_to_label, xywh_to_xyxy
from ...utils.errors import InputNotFoundError, UserInputError
from ...utils.fileio import atomic_write_files
from .digit_string import (DEFAULT_CSV_SCORE_THR, NO_NUMBER, boxes_to_number,
                           gt_to_number, number_metrics)

#: COCOeval.stats indices reported, with CocoMetric's names.
COCO_STATS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s',
              'bbox_mAP_m', 'bbox_mAP_l')


def resolve_reading(
    score_thr: Optional[float] = None,
    reader_cfg: Optional[dict] = None,
    recorded: Tuple[Optional[float], Optional[dict]] = (None, None)
) -> Tuple[float, Optional[dict], str]:
    """The score threshold and reader options to read numbers with.

    The one rule of ``tools/test.py`` (through ``DigitThresholdHook``),
    ``DigitInferencer``, ``tools/read_numbers.py`` and ``tools/demo.py``:
    what was given wins, else what the checkpoint's run recorded on
    validation, else :data:`DEFAULT_CSV_SCORE_THR` and the reader's
    defaults.

    Args:
        score_thr (float, optional): A given threshold.
        reader_cfg (dict, optional): Given reader options (an argument or
            the config's test evaluator).
        recorded (tuple): ``(threshold, reader options)`` the checkpoint
            recorded (:func:`~mmdigit.utils.recorded_reading`).

    Returns:
        tuple: The threshold, the reader options (None: the defaults) and
        where the threshold came from, in words.
    """
    recorded_thr, recorded_cfg = recorded
    if score_thr is not None:
        source = 'given'
    elif recorded_thr is not None:
        score_thr = recorded_thr
        source = 'recorded on validation by the checkpoint\'s run'
    else:
        score_thr = DEFAULT_CSV_SCORE_THR
        source = 'default; the checkpoint recorded no digit/best_thr'
    if reader_cfg is None:
        reader_cfg = recorded_cfg
    return float(score_thr), reader_cfg, source


def write_submission(out_dir: str,
                     detections: Sequence[dict],
                     rows: Sequence[Tuple[int, str]],
                     zip_name: str = 'submission.zip') -> str:
    """Write ``pred.json``, ``pred.csv`` and a zip holding exactly those two.

    The three files are written as one group
    (:func:`~mmdigit.utils.atomic_write_files`): all are written in full to
    temporary files first, then put in place together with Ctrl-C and
    SIGTERM held back, so an interrupted or failed job leaves the previous
    three files (or none), never a truncated file or a new ``pred.json``
    beside an old ``pred.csv``.

    Args:
        out_dir (str): Folder for the three files, created if needed.
        detections (Sequence[dict]): ``pred.json`` entries.
        rows (Sequence[tuple[int, str]]): ``(image_id, pred_label)`` rows of
            ``pred.csv``, written in this order under the header
            ``image_id,pred_label``.
        zip_name (str): File name of the zip. Defaults to
            ``'submission.zip'``.

    Returns:
        str: Path of the zip.
    """
    json_bytes = json.dumps(list(detections)).encode()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(['image_id', 'pred_label'])
    writer.writerows(rows)
    csv_bytes = buf.getvalue().encode()

    zip_buf = io.BytesIO()
    with zipfile.ZipFile(zip_buf, 'w', zipfile.ZIP_DEFLATED) as zf:
        zf.writestr('pred.json', json_bytes)
        zf.writestr('pred.csv', csv_bytes)
    zip_path = osp.join(out_dir, zip_name)
    atomic_write_files({
        osp.join(out_dir, 'pred.json'): json_bytes,
        osp.join(out_dir, 'pred.csv'): csv_bytes,
        zip_path: zip_buf.getvalue(),
    })
    return zip_path


def read_numbers(detections: Sequence[dict],
                 img_ids: Sequence[int],
                 score_thr: float = DEFAULT_CSV_SCORE_THR,
                 **reader_cfg) -> List[Tuple[int, str]]:
    """Read each image's number from ``pred.json`` entries.

    The same reading as ``DigitSubmissionDumper`` (:func:`boxes_to_number`),
    from COCO ``[x, y, w, h]`` boxes with ``category_id = digit + 1``.

    Args:
        detections (Sequence[dict]): ``pred.json`` entries.
        img_ids (Sequence[int]): Images to read, in the order of the rows.
        score_thr (float): Minimum score of a kept box. Defaults to
            ``DEFAULT_CSV_SCORE_THR`` (0.5).
        **reader_cfg: Reader options of :func:`boxes_to_number`; left
            out, they keep its defaults.

    Returns:
        list[tuple[int, str]]: ``(image_id, pred_label)`` rows, ``'-1'``
        where no digit is kept.
    """
    by_image: Dict[int, List[dict]] = defaultdict(list)
    for det in detections:
        by_image[int(det['image_id'])].append(det)
    rows = []
    for img_id in img_ids:
        dets = by_image.get(img_id, [])
        bboxes = xywh_to_xyxy([d['bbox'] for d in dets])
        scores = [d['score'] for d in dets]
        labels = [category_id_to_label(d['category_id']) for d in dets]
        number = boxes_to_number(bboxes, scores, labels, score_thr,
                                 **reader_cfg)
        rows.append((img_id, number or NO_NUMBER))
    return rows


def load_submission(path: str) -> Tuple[List[dict], Dict[int, str]]:
    """Read ``pred.json`` and ``pred.csv`` from a folder or a zip.

    Args:
        path (str): Folder holding both files, or ``submission.zip``.

    Returns:
        tuple[list[dict], dict[int, str]]: The detections and
        ``{image_id: pred_label}``.

    Raises:
        InputNotFoundError: ``path`` does not exist.
        UserInputError: A file is missing or not a submission file.
    """
    if not osp.exists(path):
        raise InputNotFoundError(f'submission not found: {path}')
    texts = {}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for name in ('pred.json', 'pred.csv'):
                if name not in zf.namelist():
                    raise UserInputError(f'{path}: the zip has no {name}')
                texts[name] = zf.read(name).decode()
    elif osp.isdir(path):
        for name in ('pred.json', 'pred.csv'):
            if not osp.isfile(osp.join(path, name)):
                raise UserInputError(f'{path}: no {name} in this folder')
            with open(osp.join(path, name)) as f:
                texts[name] = f.read()
    else:
        raise UserInputError(
            f'{path}: not a submission (a folder or a zip with pred.json '
            'and pred.csv)')
    rows = list(csv.DictReader(io.StringIO(texts['pred.csv'])))
    if rows and set(rows[0]) != {'image_id', 'pred_label'}:
        raise UserInputError(f'{path}: pred.csv header must be '
                             f'image_id,pred_label, got {",".join(rows[0])}')
    try:
        labels = {int(r['image_id']): r['pred_label'].strip() for r in rows}
        detections = json.loads(texts['pred.json'])
    except (ValueError, TypeError, AttributeError) as e:
        raise UserInputError(f'{path}: not a valid submission ({e})') from e
    return detections, labels


def load_coco(ann_file: str):
    """Read a labelled COCO json into pycocotools' API, quietly.

    Args:
        ann_file (str): Json path.

    Returns:
        pycocotools.coco.COCO: The indexed annotations.

    Raises:
        DatasetError: The file is missing or not a COCO json (one line).
    """
    from pycocotools.coco import COCO

    from ...datasets.checks import load_coco_json
    coco = COCO()
    coco.dataset = load_coco_json(ann_file)
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def load_gt_numbers(coco) -> Dict[int, str]:
    """Ground-truth numbers of a labelled COCO json.

    Args:
        coco (str | pycocotools.coco.COCO): Json path or loaded COCO api.

    Returns:
        dict[int, str]: ``{image_id: number}``, digits sorted by left edge,
        crowd boxes ignored.
    """
    if isinstance(coco, str):
        coco = load_coco(coco)
    numbers = {}
    for img_id in sorted(coco.getImgIds()):
        anns = [a for a in coco.imgToAnns[img_id] if not a.get('iscrowd', 0)]
        # only x_min matters for the order
        x_min_boxes = [[a['bbox'][0], 0, 0, 0] for a in anns]
        boxes = np.array(x_min_boxes).reshape(-1, 4)
        numbers[img_id] = gt_to_number(
            boxes, [category_id_to_label(a['category_id']) for a in anns])
    return numbers


def evaluate_submission(path: str, ann_file: str) -> Dict[str, float]:
    """Score a submission against a labelled COCO json.

    Task 1 is pycocotools' COCOeval on ``pred.json`` (what the course
    grader runs); Task 2 compares ``pred.csv`` with the GT numbers (labels
    sorted by left edge). Every image of ``ann_file`` must have a row.

    Args:
        path (str): Submission folder or zip.
        ann_file (str): Labelled json in the course layout.

    Returns:
        dict[str, float]: ``coco/bbox_mAP...`` and ``digit/...`` keys, as in
        the validation log.
    """
    from pycocotools.cocoeval import COCOeval

    detections, labels = load_submission(path)
    coco_gt = load_coco(ann_file)
    img_ids = sorted(coco_gt.getImgIds())
    missing = [i for i in img_ids if i not in labels]
    if missing:
        raise UserInputError(
            f'{path}: pred.csv has no row for {len(missing)} image(s) of '
            f'{ann_file}, e.g. {missing[:5]}')

    metrics = OrderedDict()
    if detections:
        with contextlib.redirect_stdout(io.StringIO()):
            coco_dt = coco_gt.loadRes(detections)
            coco_eval = COCOeval(coco_gt, coco_dt, 'bbox')
            coco_eval.evaluate()
            coco_eval.accumulate()
            coco_eval.summarize()
        stats = coco_eval.stats
    else:
        stats = np.zeros(len(COCO_STATS))
    for i, name in enumerate(COCO_STATS):
        metrics[f'coco/{name}'] = float(stats[i])

    gt_numbers = load_gt_numbers(coco_gt)
    gts = [gt_numbers[i] for i in img_ids]
    preds = [labels[i] for i in img_ids]
    for key, value in number_metrics(preds, gts).items():
        metrics[f'digit/{key}'] = value
    metrics['digit/num_read'] = float(sum(p != NO_NUMBER for p in preds))
    return metrics
