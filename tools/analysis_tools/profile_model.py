"""Profile a config's model stage by stage: where the time of a training
iteration and of a test batch goes, on this machine.

Times the runner's own ``train_step`` and ``test_step`` split into
:data:`STAGES`, with the backbone's GFLOPs and the GFLOP/s of backbone + neck
against a dense 3x3 convolution. Weights are random; a config whose data are
absent (and no ``--data-root``) gets rendered house numbers.

Example:
    python tools/analysis_tools/profile_model.py \
        configs/synthetic/faster_rcnn_r18_fpn_synth-pretrain_2k_digits.py \
        --threads 1 --num-workers 0 --data-root ../shared/data/svhn-mini \
        --out work_dirs/profile/r18.md
"""
import argparse
import copy
import functools
import os
import os.path as osp
import shlex
import sys
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import DATASETS
from mmengine.analysis import FlopAnalyzer
from mmengine.config import DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner, set_random_seed
from mmengine.utils import track_iter_progress

from mmdigit.datasets import DatasetError, SyntheticDigitDataset
from mmdigit.utils import InputNotFoundError, UserInputError, markdown_table
from mmdigit.utils.cli import (build_model, endless, environment,
                               exit_on_user_error, load_cfg,
                               write_table_report)

#: (key, label, what is timed [in training, in testing if other]): paths
#: from ``model`` or ``optim_wrapper``, a module (its forward) or methods;
#: ``''``: timed by the loop; ``None``: not in that mode.
STAGES = [
    ('data', 'data loading (next batch)', ''),
    ('data_preprocessor', 'data_preprocessor', 'model.data_preprocessor'),
    ('backbone', 'backbone forward', 'model.backbone'),
    ('neck', 'neck forward', 'model.neck'),
    ('rpn', 'RPN head forward + proposals (+ loss in training)',
     'model.rpn_head.loss_and_predict', 'model.rpn_head.predict'),
    ('roi_extractor', 'RoI extraction', 'model.roi_head.bbox_roi_extractor'),
    ('bbox_head', 'bbox head forward', 'model.roi_head.bbox_head'),
    ('roi_rest', 'RoI losses (train) / post-processing, NMS (test)',
     'model.roi_head.loss', 'model.roi_head.predict'),
    ('backward', 'backward (whole model)', 'optim_wrapper.backward', None),
    ('optimizer', 'optimizer step (+ grad clip, zero_grad)',
     'optim_wrapper.step optim_wrapper.zero_grad', None),
    ('other', 'other (unattributed)', ''),
]
#: Dense reference: a float32 3x3 convolution (input, weight; padding 1).
CONV_ARGS = torch.randn(1, 64, 64, 128), torch.randn(64, 64, 3, 3)
CONV_GFLOP = 2e-9 * CONV_ARGS[1].numel() * 64 * 128  # x output pixels


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add = parser.add_argument
    add('config', help='config file')
    add('--mode', choices=['train', 'test', 'both'], default='both')
    add('--iters', type=int, default=20, help='timed iterations')
    add('--warmup', type=int, default=5, help='untimed iterations first')
    add('--batch-size', type=int, help='train and test')
    add('--num-workers', type=int, help='dataloader workers')
    add('--threads', type=int, help='torch threads')
    add('--data-root', help='dataset in the course layout')
    add('--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config (xxx=yyy)')
    add('--out', help='write the report to this .md file and a .json beside')
    args = parser.parse_args()
    if min(args.iters, args.batch_size or 1, args.threads or 1,
           args.warmup + 1, (args.num_workers or 0) + 1) < 1:
        parser.error('expected --iters, --batch-size, --threads >= 1 and '
                     '--warmup, --num-workers >= 0')
    return args


class StageTimer(ExitStack):
    """Wall time of nested stages, each without the stages nested in it;
    leaving its ``with`` block removes its wrappers and hooks."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = defaultdict(float)
        self.ended = {}  # when each stage last ended
        self._nested = 0.  # seconds of the stages nested in the open one

    @contextmanager
    def stage(self, key: str):
        """Time the block as ``key``."""
        start, outer, self._nested = time.perf_counter(), self._nested, 0.
        yield
        self.ended[key] = end = time.perf_counter()
        self.seconds[key] += end - start - self._nested
        self._nested = outer + end - start

    def attach(self, key: str, obj, name: str) -> None:
        """Time ``obj.<name>``, a method or a module's forward, as ``key``."""
        if isinstance(getattr(obj, name), nn.Module):
            obj, name = getattr(obj, name), 'forward'
        target = getattr(obj, name)

        @functools.wraps(target)
        def timed(*args, **kwargs):
            with self.stage(key):
                return target(*args, **kwargs)

        setattr(obj, name, timed)
        self.callback(delattr, obj, name)  # the class's method again


def build_loader(cfg, split: str, args):
    """The config's ``<split>_dataloader`` and a sentence on its data: its
    own or, if absent (and no ``--data-root``), house numbers rendered
    through its pipeline."""
    loader_cfg = copy.deepcopy(cfg[f'{split}_dataloader'])
    loader_cfg.batch_size = args.batch_size or loader_cfg.batch_size
    if args.num_workers is not None:
        loader_cfg.update(
            num_workers=args.num_workers,
            persistent_workers=args.num_workers > 0)
    try:
        dataset = DATASETS.build(loader_cfg.dataset)
        root = getattr(dataset, 'data_root', '')
        data = f'{type(dataset).__name__}, {len(dataset)} images ' + (
            f'in {root}' if root else 'rendered on the fly (its own data)')
    except (DatasetError, FileNotFoundError) as e:
        if args.data_root:
            raise
        dataset_cfg = loader_cfg.dataset
        while not dataset_cfg.get('pipeline'):  # a wrapper: the first one
            dataset_cfg = dataset_cfg.get('dataset') or dataset_cfg.datasets[0]
        pipeline = list(dataset_cfg.pipeline)  # of the copy
        if pipeline[0].type == 'LoadImageFromFile':
            pipeline[0] = dict(type='LoadImageFromNDArray')
        test = split != 'train'
        dataset = SyntheticDigitDataset(
            length=100000, seed=int(test), pipeline=pipeline, test_mode=test)
        reason = ' '.join(str(e).split()).removeprefix('error: ')
        data = ('SyntheticDigitDataset, house numbers rendered through the '
                f'config\'s {split} pipeline (its own data are absent: '
                f'{reason})')
    loader_cfg.dataset = dataset
    return Runner.build_dataloader(loader_cfg, seed=0), data


@functools.lru_cache()
def gflop(model, height: int, width: int, neck: bool = True) -> float:
    """GFLOPs of backbone (+ neck) forward for one image."""
    module = nn.Sequential(model.backbone, *[model.neck][:neck]).eval()
    with torch.no_grad():
        analyzer = FlopAnalyzer(module, torch.zeros(1, 3, height, width))
        return 2e-9 * analyzer.unsupported_ops_warnings(
            False).uncalled_modules_warnings(False).total()


def profile_mode(mode: str, cfg, model, args) -> dict:
    """Profile ``train_step`` or ``test_step``: stage times, FLOPs of
    backbone + neck and their GFLOP/s."""
    set_random_seed(0)
    loader, data = build_loader(cfg, mode, args)
    train = mode == 'train'
    model.train(train)
    roots, step = dict(model=model), model.test_step
    if train:
        roots['optim_wrapper'] = build_optim_wrapper(model, cfg.optim_wrapper)
        step = functools.partial(
            model.train_step, optim_wrapper=roots['optim_wrapper'])
    column = 0 if train else -1
    stages = [(key, label, paths[column]) for key, label, *paths in STAGES
              if paths[column] is not None]
    timer, shapes, grad_ready = StageTimer(), [], []

    def on_neck(module, args, outs):  # the start of its backward
        for out in outs:
            if out.requires_grad:
                out.register_hook(
                    lambda _: grad_ready.append(time.perf_counter()))

    with timer, torch.set_grad_enabled(train):
        for key, _, paths in stages:
            for path in paths.split():
                root, *parents, name = path.split('.')
                obj = functools.reduce(getattr, parents, roots[root])
                timer.attach(key, obj, name)
        timer.enter_context(
            model.backbone.register_forward_pre_hook(
                lambda m, inputs: shapes.append(inputs[0].shape)))
        timer.enter_context(model.neck.register_forward_hook(on_neck))
        batches = endless(loader)
        print(f'profiling {mode}; data: {data}', file=sys.stderr)
        cpu = images = backward = 0.
        F.conv2d(*CONV_ARGS, padding=1)  # warm-up
        for i in track_iter_progress(
                range(args.warmup + args.iters), file=sys.stderr):
            if i == args.warmup:  # the timed iterations begin
                timer.seconds.clear()
                cpu = images = backward = 0.
            start_cpu = time.process_time()
            with timer.stage('other'):  # the iteration, stages nested
                with timer.stage('data'):
                    batch = next(batches)
                grad_ready.clear()
                step(batch)
            cpu += time.process_time() - start_cpu
            images += len(batch['inputs'])
            if grad_ready:
                backward += timer.ended['backward'] - min(grad_ready)
            with timer.stage('conv'):  # the dense reference
                F.conv2d(*CONV_ARGS, padding=1)
    seconds = {key: timer.seconds[key] for key, _, _ in stages}
    total, conv = sum(seconds.values()), timer.seconds['conv']
    ms = {key: 1000 * value / args.iters for key, value in seconds.items()}
    shapes = shapes[-args.iters:]  # one backbone call per iteration
    (height, width), _ = Counter(s[2:] for s in shapes).most_common(1)[0]
    return dict(
        mode=mode,
        data=data,
        # mmdet's AspectRatioBatchSampler holds the batch size
        batch_size=getattr(loader.batch_sampler, 'batch_size', None)
        or loader.batch_size,
        num_workers=loader.num_workers,
        input_hw=[height, width],
        stages=[
            dict(
                key=k, label=label, ms=ms[k], percent=100 * seconds[k] / total)
            for k, label, _ in stages
        ],
        total_ms=1000 * total / args.iters,
        ms_per_image=1000 * total / images,
        images_per_iter=images / args.iters,
        cpu_share=cpu / total,
        conv_gflops=CONV_GFLOP * args.iters / conv,
        backbone_neck=dict(
            gflop=sum(n * gflop(model, h, w)
                      for n, _, h, w in shapes) / args.iters,
            forward_ms=ms['backbone'] + ms['neck'],
            backward_ms=1000 * backward / args.iters if train else None))


def report_parts(report: dict):
    """The Markdown report: paragraphs before the stage table, its headers
    and rows, and paragraphs after it (FLOPs, GFLOP/s, notes)."""
    meta, fl, modes = report['meta'], report['flops'], report['modes']
    intro = [
        f'Profile of `{meta["config"]}`, {meta["date"]}', '\n'.join([
            f'- machine: {meta["device"]} (OMP_NUM_THREADS='
            f'{meta["omp_num_threads"]}), torch {meta["torch"]}, mmcv '
            f'{meta["mmcv"]}, mmdet {meta["mmdet"]}',
            f'- command: `{meta["command"]}`',
            f'- mean of {meta["iters"]} timed iterations ({meta["warmup"]} '
            'warm-up iterations first); random weights'
        ] + [
            f'- **{r["mode"]}**: batch {r["batch_size"]}, inputs mostly '
            f'{r["input_hw"][1]}x{r["input_hw"][0]} (padded), '
            f'{r["num_workers"]} loader workers, {r["total_ms"]:.1f} ms per '
            f'iteration ({r["ms_per_image"]:.1f} ms per image), CPU time of '
            f'this process / wall time {r["cpu_share"]:.2f}; data: '
            f'{r["data"]}' for r in modes
        ])
    ]
    headers = [
        'stage', *(f'{r["mode"]} {c}' for r in modes for c in ('ms', '%'))
    ]
    timed = [{s['key']: s for s in r['stages']} for r in modes]
    rows = [[label] + [
        f'{t[key][c]:.1f}' if key in t else '-' for t in timed
        for c in ('ms', 'percent')
    ] for key, label, *_ in STAGES if any(key in t for t in timed)]
    rows.append(
        ['total'] +
        [cell for r in modes for cell in (f'{r["total_ms"]:.1f}', '100.0')])
    speed = []
    for r in modes:
        bn, conv = r['backbone_neck'], r['conv_gflops']
        runs = [('forward', bn['gflop'], bn['forward_ms'])]
        if bn['backward_ms'] is not None:
            runs.append((f'forward + backward ({bn["forward_ms"]:.1f} + '
                         f'{bn["backward_ms"]:.1f} ms)', 3 * bn['gflop'],
                         bn['forward_ms'] + bn['backward_ms']))
        speed += [[
            f'{name}, {r["mode"]} profile', f'{g:.2f}', f'{ms:.1f}',
            f'{1e3 * g / ms:.1f}', f'{conv:.1f}', f'{1e5 * g / ms / conv:.0f}'
        ] for name, g, ms in runs]
    h, w = fl['input_hw']
    b, c, ch, cw = CONV_ARGS[0].shape
    notes = [
        f'Backbone: **{fl["backbone_gflop"]:.2f} GFLOPs per image** at the '
        f'{modes[-1]["mode"]} input {w}x{h} (backbone + neck: '
        f'{fl["backbone_neck_gflop"]:.2f}); 1 multiply-add = 2 FLOPs, '
        'counted by mmengine\'s FlopAnalyzer.',
        markdown_table([
            'backbone + neck', 'GFLOP / iter', 'ms / iter', 'GFLOP/s',
            'conv GFLOP/s', '% of conv'
        ], speed),
        f'Dense reference: a float32 3x3 conv2d {c}->{c} channels on '
        f'{b}x{c}x{ch}x{cw}, timed after each timed iteration of the '
        'profile (same process, same threads, same load).' +
        (' Backward of backbone + neck: from the first gradient of a neck '
         'output to the end of backward, counted as 2x the forward FLOPs '
         '(frozen stages and the first convolution need less: an upper '
         'bound).') * (len(speed) > len(modes))
    ]
    return intro, headers, rows, notes


def main():
    args = parse_args()
    with exit_on_user_error():
        if args.data_root and not osp.isdir(args.data_root):
            raise InputNotFoundError(
                f'--data-root: no such folder: {args.data_root}')
        cfg = load_cfg(
            args.config,
            cfg_options=args.cfg_options,
            data_root=args.data_root)
        if args.threads:
            torch.set_num_threads(args.threads)
        model = build_model(cfg, 'cpu')
        if not all(
                getattr(model, f'with_{part}', False)
                for part in ('neck', 'rpn', 'bbox')):
            raise UserInputError(
                f'{args.config}: profile_model.py times two-stage detectors '
                '(backbone, neck, rpn_head, roi_head with a bbox head)')
        modes = ['train', 'test'] if args.mode == 'both' else [args.mode]
        results = [profile_mode(mode, cfg, model, args) for mode in modes]
    h, w = results[-1]['input_hw']
    report = dict(
        meta=dict(
            environment('cpu'),
            torch_threads=torch.get_num_threads(),
            omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
            config=args.config,
            command='python ' + shlex.join(sys.argv),
            iters=args.iters,
            warmup=args.warmup),
        modes=results,
        flops=dict(
            input_hw=[h, w],
            backbone_gflop=gflop(model, h, w, neck=False),
            backbone_neck_gflop=gflop(model, h, w)))
    intro, headers, rows, notes = report_parts(report)
    print('\n\n'.join([*intro, markdown_table(headers, rows), *notes]))
    if args.out:
        paths = write_table_report(
            *osp.split(osp.splitext(args.out)[0]),
            headers,
            rows,
            intro=intro,
            notes=notes,
            json_data=report)
        print(f'wrote {paths["md"]} and {paths["json"]}', file=sys.stderr)


if __name__ == '__main__':
    main()
