from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from ...utils.checkpoint import (MIN_LOADED_FRACTION, check_state_dict_fits,
                                 register_checkpoint_safe_globals)


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Stop when a checkpoint's weights do not fit the config's model.

    MMEngine loads checkpoints with ``strict=False``, so testing a
    checkpoint of another config logs size-mismatch warnings and goes on
    with a mostly random model. ``after_load_checkpoint`` runs after the
    file is read and before the weights go into the model, so the
    comparison (:func:`~mmdigit.utils.check_state_dict_fits`) costs no
    second read, and a bad pair stops before anything is written.

    ``before_run`` (which precedes the runner's ``load_or_resume``) lets
    ``torch.load(weights_only=True)`` read MMEngine checkpoints
    (:func:`~mmdigit.utils.register_checkpoint_safe_globals`).

    ``tools/test.py`` and ``--resume`` add it with ``strict=True`` (every
    key must match); fine-tuning from ``load_from`` with ``strict=False``:
    a warning lists what did not load, and the run stops when less than
    ``min_loaded`` of the model's weights would.

    Args:
        strict (bool): Any missing, unexpected or mis-shaped key stops.
            Defaults to True.
        min_loaded (float): Smallest loaded share of the model's weights
            when not ``strict``. Defaults to ``MIN_LOADED_FRACTION`` (0.5).
    """

    # fail before other hooks act on the checkpoint
    priority = 'VERY_HIGH'

    def __init__(self,
                 strict: bool = True,
                 min_loaded: float = MIN_LOADED_FRACTION) -> None:
        self.strict = strict
        self.min_loaded = min_loaded

    def before_run(self, runner) -> None:
        """Allow-list MMEngine's checkpoint types before anything loads."""
        register_checkpoint_safe_globals()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Compare the checkpoint with ``runner.model``.

        Raises:
            CheckpointError: The weights do not fit.
        """
        cfg = runner.cfg
        name = cfg.get('load_from') or \
            f'the latest checkpoint in {runner.work_dir}'
        check_state_dict_fits(
            runner.model,
            checkpoint,
            checkpoint_name=name,
            config_name=getattr(cfg, 'filename', None) or 'in use',
            strict=self.strict,
            min_loaded=self.min_loaded)
