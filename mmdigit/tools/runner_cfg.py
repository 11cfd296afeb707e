"""Config loading shared by the tools: a config with the command-line
options every tool takes, and checks of the checkpoints it names.

:mod:`.train_cfg` and :mod:`.test_cfg` apply ``tools/train.py``'s and
``tools/test.py``'s own flags.
"""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from ..utils.config import cfg_set_data_root
from ..utils.errors import CheckpointNotFoundError, ConfigError

CHECKPOINT_FIT_HOOK = 'CheckpointFitHook'


def config_name(config: str) -> str:
    """A config's file name without ``.py`` (its default work-dir name)."""
    return osp.splitext(osp.basename(config))[0]


def load_cfg(config: str,
             work_dir: Optional[str] = None,
             cfg_options: Optional[dict] = None,
             launcher: str = 'none',
             data_root: Optional[str] = None) -> Config:
    """Load a config and apply the options common to training and testing.

    Args:
        config (str): Config file.
        work_dir (str, optional): Overrides ``cfg.work_dir``; by default
            ``work_dirs/<config name>``.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        launcher (str): ``none``, ``pytorch``, ``slurm`` or ``mpi``.
            Defaults to ``'none'``.
        data_root (str, optional): Dataset folder in the course layout;
            rewrites every dataloader and evaluator.

    Returns:
        Config: The loaded config.

    Raises:
        ConfigError: The config file (or a ``_base_`` of it) is missing or
            not valid Python.
    """
    if not osp.isfile(config):
        raise ConfigError(f'config file not found: {config}')
    try:
        cfg = Config.fromfile(config)
    # a missing _base_ file or a syntax error in the config (mmengine's
    # message names the file); anything else keeps its traceback
    except (FileNotFoundError, SyntaxError) as e:
        raise ConfigError(f'{config}: {e}') from e
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data_root:
        cfg_set_data_root(cfg, data_root)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', config_name(config))
    return cfg


def _is_local(path: str) -> bool:
    return '://' not in path


def require_checkpoint(path: str,
                       what: str,
                       made_by: Optional[str] = None) -> None:
    """Raise :class:`CheckpointNotFoundError` for a missing local file.

    Args:
        path (str): The checkpoint.
        what (str): What it is, for the message.
        made_by (str, optional): The command that writes it (a config's
            ``load_from_hint``, e.g. its pretraining), for the message.
    """
    if not _is_local(path) or osp.isfile(osp.expanduser(path)):
        return
    hint = ''
    if made_by:
        hint = f'; make it with: {made_by}'
    elif 'work_dirs' in osp.normpath(path).split(osp.sep):
        # e.g. a fine-tuning config's load_from pointing at the output of
        # the pretraining config
        hint = ('; it is a training output (under work_dirs/): train the '
                'config that writes it (e.g. the pretraining config) first')
    raise CheckpointNotFoundError(f'{what} file not found: {path}{hint}')


def set_custom_hook(cfg: Config,
                    hook_type: str,
                    replace: bool = True,
                    **kwargs) -> None:
    """Add a hook of ``hook_type`` to ``custom_hooks``.

    Args:
        cfg (Config): The config.
        hook_type (str): Registered hook name.
        replace (bool): Replace a hook of that type the config has; when
            False, keep it and add nothing. Defaults to True.
        **kwargs: The hook's arguments.
    """
    hooks = list(cfg.get('custom_hooks', None) or [])
    if any(h.get('type') == hook_type for h in hooks):
        if not replace:
            return
        hooks = [h for h in hooks if h.get('type') != hook_type]
    cfg.custom_hooks = hooks + [dict(type=hook_type, **kwargs)]
