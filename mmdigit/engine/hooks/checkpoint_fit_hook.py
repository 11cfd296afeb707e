from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from ...utils.checkpoint import (MIN_LOADED_FRACTION, check_state_dict_fits,
                                 register_checkpoint_safe_globals)


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Stop when a checkpoint's weights do not fit the config's model
    (:func:`~mmdigit.utils.check_state_dict_fits`), checked on the read
    checkpoint before its weights load.

    Args:
        strict (bool): Any mismatch stops (testing, ``--resume``); else a
            warning lists them and less than ``min_loaded`` loaded stops.
    """

    # fail before other hooks act on the checkpoint
    priority = 'VERY_HIGH'

    def __init__(self,
                 strict: bool = True,
                 min_loaded: float = MIN_LOADED_FRACTION) -> None:
        self.strict = strict
        self.min_loaded = min_loaded

    def before_run(self, runner) -> None:
        register_checkpoint_safe_globals()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Raise :class:`CheckpointError` if the weights do not fit."""
        name = runner.cfg.get('load_from') or \
            f'the latest checkpoint in {runner.work_dir}'
        check_state_dict_fits(runner.model, checkpoint, name,
                              runner.cfg.filename or 'in use', self.strict,
                              self.min_loaded)
