from .ablation import (budget_cfg, parse_budget, run_ablation,
                       train_and_evaluate, write_summary)
from .benchmark import benchmark_cfg, run_benchmark, write_report
from .cli import (add_common_args, build_runner, exit_on_interrupt,
                  exit_on_user_error, parse_common_args)
from .inferencer import DigitInferencer
from .runner_cfg import (AmpUnavailableError, OutTarget,
                         build_scale_tta_pipeline, check_amp, load_cfg,
                         prepare_test_cfg, prepare_train_cfg,
                         resolve_test_out)

__all__ = [
    'budget_cfg', 'parse_budget', 'run_ablation', 'train_and_evaluate',
    'write_summary', 'benchmark_cfg', 'run_benchmark', 'write_report',
    'add_common_args', 'build_runner', 'exit_on_interrupt',
    'exit_on_user_error',
    'parse_common_args', 'DigitInferencer',
    'AmpUnavailableError', 'build_scale_tta_pipeline', 'check_amp',
    'load_cfg', 'prepare_test_cfg', 'prepare_train_cfg', 'OutTarget',
    'resolve_test_out'
]
