from typing import Dict, Optional

import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook

RNG_KEY = 'rng_state'


def _get_state() -> Dict[str, object]:
    state = {'torch': torch.get_rng_state()}
    if torch.cuda.is_initialized():  # False without CUDA
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def _set_state(state: Dict[str, object]) -> None:
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Carry torch's random state through checkpoints so resumes are exact.

    MMEngine checkpoints lack it, so a resumed run would draw other RPN/RoI
    samples. The CPU (and CUDA) states are saved in each checkpoint and
    restored on a resume (not on ``load_from``), and put back after each
    validation so it draws nothing from the training stream.
    """

    # before CheckpointHook (VERY_LOW) re-saves after validation
    priority = 'ABOVE_NORMAL'

    def __init__(self) -> None:
        self._loaded: Optional[dict] = None
        self._before_val: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[RNG_KEY] = _get_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # kept until before_train tells whether this load is a resume
        self._loaded = checkpoint.get(RNG_KEY)

    def before_train(self, runner) -> None:
        if self._loaded is not None and runner.iter > 0:
            _set_state(self._loaded)
        self._loaded = None

    def before_val_epoch(self, runner) -> None:
        self._before_val = _get_state()

    def after_val_epoch(self, runner, metrics=None) -> None:
        _set_state(self._before_val)
