import time
from typing import Optional

import torch
from mmdet.registry import HOOKS
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.logging import print_log


@HOOKS.register_module()
class TrainTimeBudgetHook(Hook):
    """Stop training after the iteration that spends a wall-clock budget
    (``tools/ablate.py --budget``); rank 0's clock decides for all ranks.

    Args:
        minutes (float): Training time budget in minutes.
    """

    def __init__(self, minutes: float) -> None:
        if minutes <= 0:
            raise ValueError(f'minutes must be positive, got {minutes}')
        self.budget_s = minutes * 60
        self._start: Optional[float] = None

    def before_train(self, runner) -> None:
        self._start = time.perf_counter()

    def after_train_iter(self, runner, *args, **kwargs) -> None:
        spent = torch.tensor(
            [time.perf_counter() - self._start >= self.budget_s])
        dist.broadcast(spent, src=0)  # a no-op in a single process
        if spent.item():
            runner.train_loop.stop_training = True
            print_log(
                f'time budget of {self.budget_s / 60:g} min spent after '
                f'{runner.iter + 1} iterations; stopping',
                logger='current')
