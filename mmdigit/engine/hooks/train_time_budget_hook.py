import time
from typing import Optional, Sequence

import torch
from mmdet.registry import HOOKS
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.logging import print_log


@HOOKS.register_module()
class TrainTimeBudgetHook(Hook):
    """Stop training once a wall-clock budget is spent.

    Used by ``tools/ablate.py --budget Nm`` to give every config the same
    training time. Stops through the train loop's ``stop_training`` flag
    (as mmengine's ``EarlyStoppingHook`` does), after the iteration that
    crosses the budget. In a distributed run rank 0's clock decides and the
    other ranks follow it, so every rank stops after the same iteration
    (each rank's own clock could cross the budget one iteration apart,
    leaving the others waiting in the next collective).

    Args:
        minutes (float): Training time budget in minutes.
    """

    def __init__(self, minutes: float) -> None:
        if minutes <= 0:
            raise ValueError(f'minutes must be positive, got {minutes}')
        self.budget_s = minutes * 60
        self._start: Optional[float] = None

    def before_train(self, runner) -> None:
        """Start the clock."""
        self._start = time.perf_counter()

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        """Stop the loop when the budget is spent."""
        spent = torch.tensor(
            [time.perf_counter() - self._start >= self.budget_s])
        dist.broadcast(spent, src=0)  # a no-op in a single process
        if spent.item():
            runner.train_loop.stop_training = True
            print_log(
                f'time budget of {self.budget_s / 60:g} min spent after '
                f'{runner.iter + 1} iterations; stopping',
                logger='current')
