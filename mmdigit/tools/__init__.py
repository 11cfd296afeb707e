"""What the scripts in ``tools/`` run, importable: argument and error
handling shared by every script (:mod:`.cli`), config loading
(:mod:`.runner_cfg`), the flags of training (:mod:`.train_cfg`) and testing
(:mod:`.test_cfg`), and the benchmark and ablation harnesses."""
from .ablation import (budget_cfg, parse_budget, run_ablation,
                       train_and_evaluate, write_summary)
from .benchmark import benchmark_cfg, run_benchmark, write_report
from .cli import (add_common_args, build_runner, exit_on_interrupt,
                  exit_on_user_error, parse_common_args)
from .runner_cfg import config_name, load_cfg, require_checkpoint
from .test_cfg import (OutTarget, build_scale_tta_pipeline, prepare_test_cfg,
                       resolve_test_out, select_test_split, set_test_outputs,
                       use_checkpoint, use_read_model, use_scale_tta)
from .train_cfg import AmpUnavailableError, check_amp, prepare_train_cfg

__all__ = [
    'budget_cfg', 'parse_budget', 'run_ablation', 'train_and_evaluate',
    'write_summary', 'benchmark_cfg', 'run_benchmark', 'write_report',
    'add_common_args', 'build_runner', 'exit_on_interrupt',
    'exit_on_user_error', 'parse_common_args', 'config_name', 'load_cfg',
    'require_checkpoint', 'OutTarget', 'build_scale_tta_pipeline',
    'prepare_test_cfg', 'resolve_test_out', 'select_test_split',
    'set_test_outputs', 'use_checkpoint', 'use_read_model', 'use_scale_tta',
    'AmpUnavailableError', 'check_amp', 'prepare_train_cfg'
]
