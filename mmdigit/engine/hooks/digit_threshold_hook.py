from typing import Dict, Optional

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ...utils.config import BEST_THR_KEY, READER_CFG_KEY, recorded_reading


@HOOKS.register_module()
class DigitThresholdHook(Hook):
    """Record how validation read numbers best, in checkpoints, and read
    numbers that way when testing.

    Training: after each validation, copies ``digit/best_thr`` (from
    ``DigitStringMetric``) into the message hub's runtime info, which
    checkpoints carry, and beside it, under ``READER_CFG_KEY``, every reader
    option of that metric (its ``reader_cfg`` with the reader's defaults
    filled in), so numbers can later be read exactly as the threshold was
    chosen. Runs before ``CheckpointHook`` (priority ``ABOVE_NORMAL``) so
    the best checkpoint holds what it was chosen with.

    Testing: ``after_load_checkpoint`` keeps what the loaded checkpoint
    recorded (the file is read once, by the runner), and ``before_test``
    gives it to every ``DigitSubmissionDumper`` of the test evaluator whose
    ``csv_score_thr`` / ``reader_cfg`` was not set; a dumper left without a
    threshold uses ``DEFAULT_CSV_SCORE_THR``. The threshold used and where
    it came from are logged.

    Args:
        key (str): Metric key to record. Defaults to ``'digit/best_thr'``.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, key: str = 'digit/best_thr') -> None:
        self.key = key
        self.recorded_thr: Optional[float] = None
        self.recorded_reader_cfg: Optional[dict] = None

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        """Store the threshold and reader options if validation reported
        the threshold."""
        if metrics and self.key in metrics:
            runner.message_hub.update_info(BEST_THR_KEY,
                                           float(metrics[self.key]))
            reader_cfg = self.find_reader_cfg(runner)
            if reader_cfg is not None:
                runner.message_hub.update_info(READER_CFG_KEY, reader_cfg)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the threshold and reader options the checkpoint recorded."""
        self.recorded_thr, self.recorded_reader_cfg = recorded_reading(
            checkpoint)

    def before_test(self, runner) -> None:
        """Give the recorded reading to the submission dumpers that were
        not told how to read."""
        from ...evaluation import DigitSubmissionDumper, resolve_reading
        dumpers = [
            m for m in getattr(runner.test_loop.evaluator, 'metrics', [])
            if isinstance(m, DigitSubmissionDumper)
        ]
        for dumper in dumpers:
            dumper.csv_score_thr, dumper.reader_cfg, source = \
                resolve_reading(
                    dumper.csv_score_thr, dumper.reader_cfg,
                    (self.recorded_thr, self.recorded_reader_cfg))
            print_log(
                f'pred.csv score threshold: {dumper.csv_score_thr} '
                f'({source})',
                logger='current')

    @staticmethod
    def find_reader_cfg(runner) -> Optional[dict]:
        """Every reader option of the validation's ``DigitStringMetric``.

        Returns:
            dict, optional: The resolved options, None without that metric.
        """
        from ...evaluation import DigitStringMetric, resolve_reader_cfg
        for metric in getattr(runner.val_evaluator, 'metrics', []):
            if isinstance(metric, DigitStringMetric):
                return resolve_reader_cfg(metric.reader_cfg)
        return None
