from typing import Dict, List, Optional, Sequence

from mmdet.registry import METRICS
from mmdet.structures.bbox import get_box_tensor
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from ..functional import (DEFAULT_CSV_SCORE_THR, SWEEP_THRS, check_reader_cfg,
                          gt_to_number, instances_to_numpy, number_instances,
                          number_metrics, read_number, sweep_score_thr)


@METRICS.register_module()
class DigitStringMetric(BaseMetric):
    """Whole-number accuracy of digit detections (the course's Task 2).

    Reports (prefix ``digit/``) :func:`number_metrics` of the numbers read
    at ``score_thr``, and ``best_thr`` / ``best_accuracy`` of the
    :func:`sweep_score_thr` over ``sweep_thrs``, which
    ``DigitThresholdHook`` records for ``pred.csv``.

    Args:
        reader_cfg (dict, optional): Reader options (``READER_OPTIONS``).
        collect_device, prefix: As :class:`BaseMetric`'s.
    """

    default_prefix: Optional[str] = 'digit'

    def __init__(self,
                 score_thr: float = DEFAULT_CSV_SCORE_THR,
                 reader_cfg: Optional[dict] = None,
                 sweep_thrs: Sequence[float] = SWEEP_THRS,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.score_thr = score_thr
        self.reader_cfg = check_reader_cfg(reader_cfg)
        self.sweep_thrs = [float(t) for t in sweep_thrs]

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each image's predictions and GT number."""
        for sample in data_samples:
            gt = sample['gt_instances']
            gt_boxes = get_box_tensor(gt['bboxes']).cpu().numpy()
            self.results.append(
                dict(
                    gt=gt_to_number(gt_boxes, gt['labels'].cpu().numpy()),
                    number=instances_to_numpy(number_instances(sample))))

    def read(self, results: List[dict], score_thr: float) -> List[str]:
        """Every image's number at ``score_thr`` (``''``: none read)."""
        return [
            read_number(*r['number'], score_thr, **self.reader_cfg)[0]
            for r in results
        ]

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The digit-string metrics of all ranks' results, to 4 decimals."""
        logger: MMLogger = MMLogger.get_current_instance()
        gts = [r['gt'] for r in results]
        metrics = number_metrics(self.read(results, self.score_thr), gts)
        metrics['best_thr'], metrics['best_accuracy'], sweep = \
            sweep_score_thr(lambda thr: self.read(results, thr), gts,
                            self.sweep_thrs)

        table = [['score_thr', 'accuracy']]
        table += [[f'{t:.2f}', f'{a:.4f}']
                  for t, a in zip(self.sweep_thrs, sweep)]
        logger.info('digit-string accuracy by score threshold:\n' +
                    AsciiTable(table).table)
        logger.info(f'digit-string at score_thr={self.score_thr}: ' +
                    ', '.join(f'{k}={v:.4f}' for k, v in metrics.items()
                              if k not in ('best_thr', 'best_accuracy')) +
                    f'; best_thr={metrics["best_thr"]:.2f} '
                    f'(accuracy {metrics["best_accuracy"]:.4f}) over '
                    f'{len(results)} images; reader options: '
                    f'{self.reader_cfg or "defaults"}')
        return {k: round(float(v), 4) for k, v in metrics.items()}
