import logging
import math

import torch
from mmdet.registry import HOOKS
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper

from ...utils.errors import NonFiniteLossError


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first NaN/Inf loss term (checked every
    ``interval`` iterations), naming the iteration and the terms (mmdet's
    ``CheckInvalidLossHook`` asserts on the total), before ``CheckpointHook``
    saves the weights.

    Ranks stop together: DDP averages gradients, so ``clip_grad``'s logged
    grad norm turns non-finite on all; without it (or under AMP, whose
    scaler expects inf norms) an ``all_reduce`` agrees.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1) -> None:
        self.interval = interval
        self._norms = None

    @staticmethod
    def _grad_norms(runner):
        buffer = runner.message_hub.log_scalars.get('train/grad_norm')
        return None if buffer is None else buffer.data[0]

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        """Keep the grad-norm history, to tell this iteration's norm."""
        self._norms = self._grad_norms(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        """Raise :class:`NonFiniteLossError` if a logged loss is not finite."""
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        # the summed 'loss' still carries its graph: detach before reading
        values = {
            k: float(v.detach() if isinstance(v, torch.Tensor) else v)
            for k, v in outputs.items() if k.startswith('loss')
        }
        bad = [f'{k}={v}' for k, v in values.items() if not math.isfinite(v)]
        norms = self._grad_norms(runner)
        # HistoryBuffer.update replaces its array: a new one has this iteration
        if (norms is not None and norms is not self._norms
                and not isinstance(runner.optim_wrapper, AmpOptimWrapper)):
            if not bad and not math.isfinite(norms[-1]):
                bad = [f'grad_norm={norms[-1]}']
                if dist.is_distributed():
                    bad[0] += ' (a non-finite loss on another rank)'
        elif dist.is_distributed():
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
