from typing import Dict, List, Optional, Sequence

from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ...utils.digits import label_to_category_id
from ..functional import (NO_NUMBER, check_reader_cfg, instances_to_numpy,
                          number_instances, read_number, resolve_reading,
                          write_submission)
from ..functional.submission import coco_detections


@METRICS.register_module()
class DigitSubmissionDumper(BaseMetric):
    """Write the course submission: ``pred.json``, ``pred.csv`` and a zip.

    ``pred.json`` (Task 1): COCO detections in original-image pixels
    scoring ``>= json_score_thr`` (low-score boxes raise mAP); ``pred.csv``
    (Task 2): ``image_id,pred_label`` rows of :func:`read_number` (``-1``:
    none, or an unreadable image); written once, as one group, by the main
    process (:func:`~mmdigit.evaluation.write_submission`).

    Args:
        csv_score_thr (float, optional): Score threshold of ``pred.csv``;
            None: the checkpoint's recorded one (``DigitThresholdHook``
            sets it), else 0.5.
        reader_cfg (dict, optional): Reader options of ``pred.csv``; None:
            the checkpoint's recorded ones, else the defaults.
        collect_device, prefix: As :class:`BaseMetric`'s.
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

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each image's predictions (original-image pixels) and the
        boxes its number is read from (:func:`number_instances`)."""
        for sample in data_samples:
            pred = sample['pred_instances']
            self.results.append(
                dict(
                    img_id=int(sample['img_id']),
                    unreadable=bool(sample.get('unreadable', False)),
                    bboxes=pred['bboxes'].cpu().numpy(),
                    scores=pred['scores'].cpu().numpy(),
                    labels=pred['labels'].cpu().numpy(),
                    number=instances_to_numpy(number_instances(sample))))

    def format_results(self, results: List[dict]):
        """``pred.json`` entries and ``pred.csv`` rows, by ``image_id``."""
        thr, reader_cfg, _ = resolve_reading(self.csv_score_thr,
                                             self.reader_cfg)
        detections, rows = [], []
        for r in sorted(results, key=lambda r: r['img_id']):
            if r['unreadable']:
                rows.append((r['img_id'], NO_NUMBER))
                continue
            keep = r['scores'] >= self.json_score_thr
            detections += coco_detections(
                r['img_id'], r['bboxes'][keep], r['scores'][keep],
                label_to_category_id(r['labels'][keep]))
            # results built elsewhere (demo/webui_browse.py) may have no
            # 'number': read from the boxes of pred.json then
            number, _ = read_number(
                *r.get('number', (r['bboxes'], r['scores'], r['labels'])), thr,
                **reader_cfg)
            rows.append((r['img_id'], number or NO_NUMBER))
        return detections, rows

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the submission files of all ranks' results; returns
        ``num_images``, ``num_read`` (rows not ``-1``) and ``num_boxes``."""
        detections, rows = self.format_results(results)
        zip_path = write_submission(self.out_dir, detections, rows,
                                    self.zip_name)
        num_read = sum(number != NO_NUMBER for _, number in rows)
        MMLogger.get_current_instance().info(
            f'wrote {zip_path} (pred.json: {len(detections)} boxes with '
            f'score >= {self.json_score_thr}; pred.csv: {len(rows)} rows, '
            f'{num_read} numbers read at score >= '
            f'{resolve_reading(self.csv_score_thr)[0]})')
        return dict(
            num_images=float(len(rows)),
            num_read=float(num_read),
            num_boxes=float(len(detections)))
