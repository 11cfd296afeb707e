from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ...utils.digits import label_to_category_id, xyxy_to_xywh
# DEFAULT_CSV_SCORE_THR: the pred.csv threshold when the checkpoint recorded
# no validation-best one; importable from here too
from ..functional import (DEFAULT_CSV_SCORE_THR, NO_NUMBER, boxes_to_number,
                          check_reader_cfg, write_submission)


@METRICS.register_module()
class DigitSubmissionDumper(BaseMetric):
    """Write the course submission: ``pred.json``, ``pred.csv`` and a zip.

    - ``pred.json`` (Task 1): COCO detections ``{image_id, bbox: [x, y, w,
      h], score, category_id}`` in original-image pixels with
      ``category_id = label + 1``
      (:func:`~mmdigit.utils.label_to_category_id`), every box scoring
      ``>= json_score_thr`` (low-score boxes raise mAP, so the default
      keeps them all).
    - ``pred.csv`` (Task 2): header ``image_id,pred_label`` and one row per
      image in ``image_id`` order; the number is read with
      :func:`boxes_to_number` at ``csv_score_thr``, ``-1`` when no digit is
      kept or the image could not be read.
    - ``zip_name``: a zip holding exactly ``pred.json`` and ``pred.csv``.

    The three files are written as one group (all old or all new, see
    :func:`~mmdigit.evaluation.write_submission`): an interrupted or failed
    job never leaves a truncated file or a new ``pred.json`` beside an old
    ``pred.csv``. Only the main process writes, once, after results are
    collected from all ranks.

    Args:
        out_dir (str): Folder for the three files.
        zip_name (str): File name of the zip. Defaults to
            ``'submission.zip'``.
        json_score_thr (float): Minimum score of a box in ``pred.json``.
            Defaults to 0.
        csv_score_thr (float, optional): Score threshold for reading
            numbers. Defaults to None: the validation-best threshold the
            tested checkpoint recorded (set by ``DigitThresholdHook``
            before the test), else ``DEFAULT_CSV_SCORE_THR`` (0.5).
        reader_cfg (dict, optional): Reader options for ``pred.csv``,
            keyword arguments of :func:`boxes_to_number` other than
            ``score_thr``. Defaults to None: the options the checkpoint's
            run validated with (set by ``DigitThresholdHook``), else the
            reader's defaults.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'submission'``.
    """

    default_prefix: Optional[str] = 'submission'

    def __init__(self,
                 out_dir: str,
                 zip_name: str = 'submission.zip',
                 json_score_thr: float = 0.0,
                 csv_score_thr: Optional[float] = None,
                 reader_cfg: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_dir = out_dir
        self.zip_name = zip_name
        self.json_score_thr = json_score_thr
        self.csv_score_thr = csv_score_thr
        self.reader_cfg = None if reader_cfg is None else \
            check_reader_cfg(reader_cfg)

    @property
    def read_score_thr(self) -> float:
        """The threshold ``pred.csv`` is read at: ``csv_score_thr``, or
        ``DEFAULT_CSV_SCORE_THR`` when no one set it."""
        if self.csv_score_thr is None:
            return DEFAULT_CSV_SCORE_THR
        return self.csv_score_thr

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each image's predictions as CPU numpy.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): Samples with ``pred_instances``
                (boxes in original-image pixels).
        """
        for sample in data_samples:
            pred = sample['pred_instances']
            self.results.append(
                dict(
                    img_id=int(sample['img_id']),
                    unreadable=bool(sample.get('unreadable', False)),
                    bboxes=pred['bboxes'].cpu().numpy(),
                    scores=pred['scores'].cpu().numpy(),
                    labels=pred['labels'].cpu().numpy()))

    def format_results(self, results: List[dict]):
        """Build the ``pred.json`` entries and ``pred.csv`` rows.

        Args:
            results (list[dict]): Items stored by :meth:`process`.

        Returns:
            tuple[list[dict], list[tuple[int, str]]]: Detections and
            ``(image_id, pred_label)`` rows, both in ``image_id`` order.
        """
        detections, rows = [], []
        for r in sorted(results, key=lambda r: r['img_id']):
            if r['unreadable']:
                rows.append((r['img_id'], NO_NUMBER))
                continue
            keep = r['scores'] >= self.json_score_thr
            # float64: the same numbers as subtracting Python floats
            bboxes = xyxy_to_xywh(r['bboxes'][keep], dtype=np.float64)
            for bbox, score, label in zip(bboxes.tolist(), r['scores'][keep],
                                          r['labels'][keep]):
                detections.append(
                    dict(
                        image_id=r['img_id'],
                        bbox=bbox,
                        score=float(score),
                        category_id=label_to_category_id(int(label))))
            number = boxes_to_number(r['bboxes'], r['scores'], r['labels'],
                                     self.read_score_thr,
                                     **(self.reader_cfg or {}))
            rows.append((r['img_id'], number or NO_NUMBER))
        return detections, rows

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the submission files.

        Args:
            results (list[dict]): Items stored by :meth:`process`, from all
                ranks.

        Returns:
            dict[str, float]: ``num_images``, ``num_read`` (rows other than
            ``-1``), ``num_boxes`` (entries of ``pred.json``).
        """
        detections, rows = self.format_results(results)
        zip_path = write_submission(self.out_dir, detections, rows,
                                    self.zip_name)
        num_read = sum(number != NO_NUMBER for _, number in rows)
        MMLogger.get_current_instance().info(
            f'wrote {zip_path} (pred.json: {len(detections)} boxes with '
            f'score >= {self.json_score_thr}; pred.csv: {len(rows)} rows, '
            f'{num_read} numbers read at score >= {self.read_score_thr})')
        return dict(
            num_images=float(len(rows)),
            num_read=float(num_read),
            num_boxes=float(len(detections)))
