"""Argument handling shared by ``tools/train.py`` and ``tools/test.py``."""
import argparse
import os

from mmengine.config import Config, DictAction


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add mmdet's common tool flags plus ``--data-root``.

    Args:
        parser (argparse.ArgumentParser): Parser to extend.
    """
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--data-root',
        help='dataset folder in the course layout (train/, valid/, test/, '
        'train.json, valid.json); overrides the config')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank to the script.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_common_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse and export ``LOCAL_RANK`` as mmdet's tools do.

    Args:
        parser (argparse.ArgumentParser): Parser with the common flags.

    Returns:
        argparse.Namespace: Parsed arguments.
    """
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_runner(cfg: Config):
    """Build the runner a config asks for (``runner_type`` or the default).

    Args:
        cfg (Config): Prepared config.

    Returns:
        mmengine.runner.Runner: The runner.
    """
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)
