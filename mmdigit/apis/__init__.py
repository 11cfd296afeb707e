from .cli import add_common_args, build_runner, parse_common_args
from .runner_cfg import (AmpUnavailableError, build_scale_tta_pipeline,
                         check_amp, load_cfg, prepare_test_cfg,
                         prepare_train_cfg)

__all__ = [
    'add_common_args', 'build_runner', 'parse_common_args',
    'AmpUnavailableError', 'build_scale_tta_pipeline', 'check_amp',
    'load_cfg', 'prepare_test_cfg', 'prepare_train_cfg'
]
