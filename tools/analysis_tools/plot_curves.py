"""Plot training curves: one run's losses, learning rate, validation mAP
and whole-number accuracy, or several runs' validation curves with a
Markdown table of their last validation and time to ``--target``.

Examples:
    python tools/analysis_tools/plot_curves.py \
        work_dirs/faster_rcnn_r50_fpn_digits --out work_dirs/curves.png
    # LABEL=WORK_DIR[+WORK_DIR...]: stages trained one after another; a
    # label given twice: seeds of one recipe
    python tools/analysis_tools/plot_curves.py \
        real=work_dirs/real_s0 real=work_dirs/real_s1 \
        'synthetic then real=work_dirs/pre_s0+work_dirs/ft_s0' --target 0.35
"""
import argparse
import os.path as osp
from typing import List, Sequence, Tuple

from mmdigit.utils.cli import exit_on_user_error
from mmdigit.utils.errors import InputNotFoundError
from mmdigit.visualization import (COMPARE_KEYS, X_AXES, format_run_summary,
                                   plot_run_comparison, plot_training_curves,
                                   read_run_curves, read_training_curves,
                                   summarize_runs)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'runs',
        nargs='+',
        metavar='RUN',
        help='work dir, one run\'s timestamp folder or a scalars.json; '
        'several runs (or LABEL=DIR[+DIR...], stages trained one after '
        'another) are compared')
    parser.add_argument(
        '--x',
        choices=X_AXES,
        default='minutes',
        help='x axis when comparing runs (minutes: of training only)')
    parser.add_argument(
        '--target',
        type=float,
        help='time to accuracy: training minutes until --target-key first '
        'reached this value')
    parser.add_argument(
        '--target-key',
        default='coco/bbox_mAP',
        help='validation key of --target (default: coco/bbox_mAP)')
    parser.add_argument(
        '--out',
        help='PNG path (default: curves.png in the work dir, or '
        'compare.png in the current directory when comparing)')
    return parser.parse_args()


def parse_runs(specs: Sequence[str]) -> List[Tuple[str, List[str]]]:
    """``LABEL=DIR[+DIR...]`` or ``DIR`` -> ``(label, stages)``."""
    runs = []
    for spec in specs:
        label, sep, dirs = spec.rpartition('=')
        for stage in dirs.split('+'):
            if not osp.exists(stage):
                raise InputNotFoundError(f'run not found: {stage}')
        runs.append((label if sep else dirs, dirs.split('+')))
    return runs


def main():
    args = parse_args()
    with exit_on_user_error():
        runs = parse_runs(args.runs)
        if args.runs == runs[0][1] and args.target is None:  # one plain dir
            work_dir = args.runs[0]
            out = args.out or osp.join(
                work_dir if osp.isdir(work_dir) else osp.dirname(work_dir),
                'curves.png')
            curves = read_training_curves(work_dir)
            for key in ('loss', 'coco/bbox_mAP', 'digit/accuracy'):
                xs, ys = curves.get(key, ([], []))
                last = (f', last {ys[-1]:.4f} at iteration {xs[-1]:g}'
                        if xs else '')
                print(f'{key}: {len(xs)} points{last}')
            print(f'curves: {plot_training_curves(curves, out, work_dir)}')
            return
        curves = [(label, read_run_curves(stages, args.x))
                  for label, stages in runs]
        for (label, stages), (_, run) in zip(runs, curves):
            points = [
                f'{key} {run[key][1][-1]:.4f}' for key in COMPARE_KEYS
                if key in run
            ]
            end = max(run.get('loss', ([0], []))[0] or [0])
            print(f'{label} ({" + ".join(stages)}): {args.x} {end:.1f}; '
                  f'last validation: {", ".join(points) or "none"}')
        out = plot_run_comparison(curves, args.out or 'compare.png', args.x)
        if args.x != 'minutes':  # the summary is in training minutes
            curves = [(label, read_run_curves(stages))
                      for label, stages in runs]
        target = None if args.target is None else (args.target_key,
                                                   args.target)
        print(format_run_summary(summarize_runs(curves, target)))
    print(f'comparison: {out}')


if __name__ == '__main__':
    main()
