from typing import Optional, Tuple

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ...utils.config import BEST_THR_KEY, READER_CFG_KEY, recorded_reading


@HOOKS.register_module()
class DigitThresholdHook(Hook):
    """Record in checkpoints how validation read numbers best, and read
    ``pred.csv`` that way when testing.

    After each validation, metric ``key`` and the ``DigitStringMetric``'s
    reader options go into the message hub's runtime info, which
    checkpoints carry; when testing, each ``DigitSubmissionDumper`` gets
    what the loaded checkpoint recorded
    (:func:`~mmdigit.evaluation.resolve_reading`).
    """

    priority = 'ABOVE_NORMAL'  # before CheckpointHook saves

    def __init__(self, key: str = 'digit/best_thr') -> None:
        self.key = key
        self.recorded: Tuple[Optional[float], Optional[dict]] = (None, None)

    def after_val_epoch(self, runner, metrics=None) -> None:
        """Record the threshold and reader options, if reported."""
        from ...evaluation import DigitStringMetric, resolve_reader_cfg
        if not metrics or self.key not in metrics:
            return
        runner.message_hub.update_info(BEST_THR_KEY, float(metrics[self.key]))
        for metric in getattr(runner.val_evaluator, 'metrics', []):
            if isinstance(metric, DigitStringMetric):
                runner.message_hub.update_info(
                    READER_CFG_KEY, resolve_reader_cfg(metric.reader_cfg))
                break

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self.recorded = recorded_reading(checkpoint)

    def before_test(self, runner) -> None:
        from ...evaluation import DigitSubmissionDumper, resolve_reading
        for dumper in getattr(runner.test_loop.evaluator, 'metrics', []):
            if isinstance(dumper, DigitSubmissionDumper):
                dumper.csv_score_thr, dumper.reader_cfg, source = \
                    resolve_reading(dumper.csv_score_thr, dumper.reader_cfg,
                                    self.recorded)
                print_log(
                    f'pred.csv score threshold: {dumper.csv_score_thr} '
                    f'({source})',
                    logger='current')
