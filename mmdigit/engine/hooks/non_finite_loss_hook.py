import logging
import math
from typing import Optional, Sequence

import torch
from mmdet.registry import HOOKS
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ...utils.errors import NonFiniteLossError


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first NaN/Inf loss, naming the iteration and
    the loss terms.

    Checks every loss term the model logged after each training iteration
    (mmdet's ``CheckInvalidLossHook`` checks only the total, every 50
    iterations, with an assertion). Runs before ``CheckpointHook``
    (priority ``ABOVE_NORMAL``) so the weights the bad step produced are
    never saved: the last checkpoint stays good to resume from, e.g. with a
    lower learning rate. In distributed runs the ranks agree on the verdict
    so all of them stop together.

    Args:
        interval (int): Check every ``interval`` iterations. Defaults to 1.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1) -> None:
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        """Raise :class:`NonFiniteLossError` if a logged loss is not finite."""
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        # the summed 'loss' still carries its graph: detach before reading
        values = {
            k: float(v.detach() if isinstance(v, torch.Tensor) else v)
            for k, v in outputs.items() if k.startswith('loss')
        }
        bad = [f'{k}={v}' for k, v in values.items() if not math.isfinite(v)]
        if dist.is_distributed():
            flag = torch.tensor([float(len(bad))])
            dist.all_reduce(flag, op='sum')
            if flag.item() > 0 and not bad:
                bad = ['on another rank']
        if bad:
            message = (f'non-finite loss at iteration {runner.iter + 1}: '
                       f'{", ".join(bad)}; training stopped, last good '
                       'checkpoint kept (try a lower lr or --resume it)')
            print_log(message, logger='current', level=logging.ERROR)
            raise NonFiniteLossError(message)
