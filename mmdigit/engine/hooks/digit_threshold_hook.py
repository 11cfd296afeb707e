from typing import Dict, Optional

from mmengine.hooks import Hook

from mmdet.registry import HOOKS
from ...utils.config import BEST_THR_KEY


@HOOKS.register_module()
class DigitThresholdHook(Hook):
    """Record the validation-best digit score threshold in checkpoints.

    After each validation, copies ``digit/best_thr`` (from
    ``DigitStringMetric``) into the message hub's runtime info, which
    checkpoints carry; ``tools/test.py`` then reads numbers for
    ``pred.csv`` at that threshold. Runs before ``CheckpointHook`` (priority
    ``ABOVE_NORMAL``) so the best checkpoint holds the threshold it was
    chosen with.

    Args:
        key (str): Metric key to record. Defaults to ``'digit/best_thr'``.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, key: str = 'digit/best_thr') -> None:
        self.key = key

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        """Store the threshold if the validation reported it."""
        if metrics and self.key in metrics:
            runner.message_hub.update_info(BEST_THR_KEY,
                                           float(metrics[self.key]))
