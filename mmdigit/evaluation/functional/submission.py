"""Writing, reading and scoring submissions as the course grader does."""
import contextlib
import csv
import io
import json
import os.path as osp
import zipfile
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import mmengine
import numpy as np

from ...utils.digits import category_id_to_label, xywh_to_xyxy, xyxy_to_xywh
from ...utils.errors import InputNotFoundError, UserInputError
from ...utils.fileio import atomic_write_files
from .digit_string import (DEFAULT_CSV_SCORE_THR, NO_NUMBER, READER_OPTIONS,
                           check_reader_cfg, gt_to_number, number_metrics,
                           read_number)

#: COCOeval.stats indices reported, with CocoMetric's names.
COCO_STATS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s',
              'bbox_mAP_m', 'bbox_mAP_l')


def resolve_reading(
    score_thr: Optional[float] = None,
    reader_cfg: Optional[dict] = None,
    recorded: Tuple[Optional[float], Optional[dict]] = (None, None)
) -> Tuple[float, dict, str]:
    """The score threshold and reader options to read numbers with, and
    where the threshold came from, in words: what was given, else what the
    checkpoint ``recorded`` (:func:`~mmdigit.utils.recorded_reading`; options
    the reader no longer has are ignored), else the defaults."""
    recorded_thr, recorded_cfg = recorded
    source = 'given'
    if score_thr is None and recorded_thr is not None:
        score_thr = recorded_thr
        source = 'recorded on validation by the checkpoint\'s run'
    elif score_thr is None:
        score_thr = DEFAULT_CSV_SCORE_THR
        source = 'default; the checkpoint recorded no digit/best_thr'
    if reader_cfg is None:
        reader_cfg = {
            k: v
            for k, v in (recorded_cfg or {}).items() if k in READER_OPTIONS
        }
    return float(score_thr), check_reader_cfg(reader_cfg), source


def csv_text(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """CSV text of a header and rows, lines ending in a newline."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator='\n').writerows([header, *rows])
    return buf.getvalue()


def write_submission(out_dir: str,
                     detections: Sequence[dict],
                     rows: Sequence[Tuple[int, str]],
                     zip_name: str = 'submission.zip') -> str:
    """Write ``pred.json``, ``pred.csv`` and a zip of both to ``out_dir`` as
    one group; returns the zip's path."""
    json_bytes = json.dumps(list(detections)).encode()
    csv_bytes = csv_text(['image_id', 'pred_label'], rows).encode()
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


def coco_detections(img_id: int, bboxes: np.ndarray, scores: Sequence[float],
                    category_ids: Sequence[int]) -> List[dict]:
    """``pred.json`` entries of one image's ``x1, y1, x2, y2`` boxes."""
    # float64: the same numbers as subtracting Python floats
    xywh = xyxy_to_xywh(bboxes, dtype=np.float64).tolist()
    return [
        dict(
            image_id=img_id, bbox=bbox, score=float(score), category_id=int(c))
        for bbox, score, c in zip(xywh, scores, category_ids)
    ]


def read_numbers(detections: Sequence[dict],
                 img_ids: Sequence[int],
                 score_thr: float = DEFAULT_CSV_SCORE_THR,
                 **reader_cfg) -> List[Tuple[int, str]]:
    """The ``pred.csv`` rows of ``img_ids`` read from ``pred.json`` entries
    as ``DigitSubmissionDumper`` reads them."""
    by_image: Dict[int, List[dict]] = defaultdict(list)
    for det in detections:
        by_image[int(det['image_id'])].append(det)
    rows = []
    for img_id in img_ids:
        dets = by_image.get(img_id, [])
        bboxes = xywh_to_xyxy([d['bbox'] for d in dets])
        labels = [category_id_to_label(d['category_id']) for d in dets]
        number, _ = read_number(bboxes, [d['score'] for d in dets], labels,
                                score_thr, **reader_cfg)
        rows.append((img_id, number or NO_NUMBER))
    return rows


def load_submission(path: str) -> Tuple[List[dict], Dict[int, str]]:
    """The detections of ``pred.json`` and ``{image_id: pred_label}`` of
    ``pred.csv`` in a folder or a zip (:class:`UserInputError` if not)."""
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
            texts[name] = mmengine.get_text(osp.join(path, name))
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
    """A labelled COCO json in pycocotools' API, indexed quietly."""
    from pycocotools.coco import COCO

    from ...datasets.checks import load_coco_json
    coco = COCO()
    coco.dataset = load_coco_json(ann_file)
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def load_gt_numbers(coco) -> Dict[int, str]:
    """``{image_id: number}`` of a labelled COCO json (path or COCO api),
    crowd boxes ignored."""
    if isinstance(coco, str):
        coco = load_coco(coco)
    numbers = {}
    for img_id in sorted(coco.getImgIds()):
        anns = [a for a in coco.imgToAnns[img_id] if not a.get('iscrowd', 0)]
        numbers[img_id] = gt_to_number(
            [[a['bbox'][0], 0, 0, 0] for a in anns],  # x_min orders them
            [category_id_to_label(a['category_id']) for a in anns])
    return numbers


def evaluate_submission(path: str, ann_file: str) -> Dict[str, float]:
    """Score a submission (folder or zip) against a labelled COCO json:
    ``coco/bbox_mAP...`` of pycocotools' COCOeval on ``pred.json`` (as the
    grader) and ``digit/...`` of ``pred.csv`` (a row per image needed)."""
    from pycocotools.cocoeval import COCOeval

    detections, labels = load_submission(path)
    coco_gt = load_coco(ann_file)
    img_ids = sorted(coco_gt.getImgIds())
    missing = [i for i in img_ids if i not in labels]
    if missing:
        raise UserInputError(
            f'{path}: pred.csv has no row for {len(missing)} image(s) of '
            f'{ann_file}, e.g. {missing[:5]}')

    if detections:
        with contextlib.redirect_stdout(io.StringIO()):
            coco_eval = COCOeval(coco_gt, coco_gt.loadRes(detections), 'bbox')
            coco_eval.evaluate()
            coco_eval.accumulate()
            coco_eval.summarize()
        stats = coco_eval.stats
    else:
        stats = np.zeros(len(COCO_STATS))
    metrics = {f'coco/{name}': float(s) for name, s in zip(COCO_STATS, stats)}
    gt_numbers = load_gt_numbers(coco_gt)
    preds = [labels[i] for i in img_ids]
    digit = number_metrics(preds, [gt_numbers[i] for i in img_ids])
    metrics.update({f'digit/{key}': value for key, value in digit.items()})
    metrics['digit/num_read'] = float(sum(p != NO_NUMBER for p in preds))
    return metrics
