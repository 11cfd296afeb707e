from .checkpoint_fit_hook import CheckpointFitHook
from .digit_threshold_hook import DigitThresholdHook
from .non_finite_loss_hook import NonFiniteLossHook
from .rng_state_hook import RNGStateHook
from .train_time_budget_hook import TrainTimeBudgetHook

__all__ = [
    'CheckpointFitHook', 'DigitThresholdHook', 'NonFiniteLossHook',
    'RNGStateHook', 'TrainTimeBudgetHook'
]
