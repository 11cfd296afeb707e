from .runner_cfg import (AmpUnavailableError, build_scale_tta_pipeline,
                         check_amp, load_cfg, prepare_test_cfg,
                         prepare_train_cfg)

__all__ = [
    'AmpUnavailableError', 'build_scale_tta_pipeline', 'check_amp',
    'load_cfg', 'prepare_test_cfg', 'prepare_train_cfg'
]
