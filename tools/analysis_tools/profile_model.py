"""Profile a config's model stage by stage: where the time of one training
iteration and of one test batch goes, on this machine.

Runs ``--warmup`` untimed and then ``--iters`` timed iterations of the
runner's own ``model.train_step`` (on the config's train dataloader) and
``model.test_step`` (on its test dataloader, under ``torch.no_grad``), and
splits each iteration's wall time (``time.perf_counter``) into stages:

- training: data loading (waiting for the next batch), data_preprocessor,
  backbone forward, neck forward, RPN head forward + loss + proposals, RoI
  extraction, bbox head forward, RoI losses (assign, sample, targets,
  losses), backward (the whole model at once), optimizer step (with
  gradient clipping and ``zero_grad``);
- test: data loading, data_preprocessor, backbone, neck, RPN (forward +
  proposals), RoI extraction, bbox head forward, post-processing (bbox
  decoding, NMS).

Modules are timed by forward (pre-)hooks, the heads' ``loss`` / ``predict``
methods and the optimizer wrapper's ``backward`` / ``step`` by wrapping
them. A stage's time excludes the stages nested in it (RoI losses exclude
the RoI extraction and the bbox head they call), so the stages and
``other`` (what no stage covers: the detector's glue, ``parse_losses``,
copying data samples) add up to the iteration.

Also reported: the CPU time of this process over the wall time (below 1
with one thread: other processes had the core part of the time), the
backbone's GFLOPs per image at the config's test input size (mmengine's
``FlopAnalyzer``, which counts multiply-adds; a FLOP here is half a
multiply-add, as in a matmul's ``2 n^3``), and the speed reached by
backbone + neck in GFLOP/s, forward in each profile and forward + backward
in a separate run (backward counted as twice the forward FLOPs), as a
share of dense math: a float32 1024x1024 matmul and a 3x3 convolution,
sampled after every timed iteration in the same process with the same
threads, so that both see the same load.

Weights are random (``init_cfg=None``, nothing is downloaded): the cost of
a step does not depend on them, except the NMS, which sees more boxes from
an untrained model. A config whose data are absent (``data/synthetic`` of
``make demo`` not made) gets rendered house numbers
(``SyntheticDigitDataset``) through its own pipelines; the report says
which data were used. Not a test: nothing here asserts a speed.

Example (the CPU model, training on house numbers rendered on the fly, test
on real photos; then the primary at inference):
    python tools/analysis_tools/profile_model.py \
        configs/synthetic/faster_rcnn_r18_fpn_synth-pretrain_2k_digits.py \
        --threads 1 --num-workers 0 --data-root ../shared/data/svhn-mini \
        --out work_dirs/profile/r18.md
    python tools/analysis_tools/profile_model.py \
        configs/faster_rcnn_r50_fpn_digits.py --mode test --threads 1 \
        --data-root ../shared/data/svhn-mini --out work_dirs/profile/r50.md
"""
import argparse
import copy
import functools
import json
import os
import os.path as osp
import shlex
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config, DictAction

from mmdigit.tools import exit_on_user_error, load_cfg
from mmdigit.tools.benchmark import _build, _endless, environment
from mmdigit.tools.report import markdown_table
from mmdigit.utils import (InputNotFoundError, UserInputError,
                           atomic_write_files)

#: Training stages: (key, label, what is timed). Paths start at ``model``
#: or ``optim_wrapper``; a module is timed by hooks around its forward, a
#: method by wrapping it. Data loading is timed by the loop itself.
TRAIN_STAGES = [
    ('data', 'data loading (next batch)', ()),
    ('data_preprocessor', 'data_preprocessor', ('model.data_preprocessor', )),
    ('backbone', 'backbone forward', ('model.backbone', )),
    ('neck', 'neck forward', ('model.neck', )),
    ('rpn', 'RPN head forward + loss + proposals',
     ('model.rpn_head.loss_and_predict', )),
    ('roi_extractor', 'RoI extraction',
     ('model.roi_head.bbox_roi_extractor', )),
    ('bbox_head', 'bbox head forward', ('model.roi_head.bbox_head', )),
    ('roi_losses', 'RoI losses (assign, sample, targets, losses)',
     ('model.roi_head.loss', )),
    ('backward', 'backward (whole model)', ('optim_wrapper.backward', )),
    ('optimizer', 'optimizer step (+ grad clip, zero_grad)',
     ('optim_wrapper.step', 'optim_wrapper.zero_grad')),
]
#: Test stages, as :data:`TRAIN_STAGES`.
TEST_STAGES = [
    ('data', 'data loading (next batch)', ()),
    ('data_preprocessor', 'data_preprocessor', ('model.data_preprocessor', )),
    ('backbone', 'backbone forward', ('model.backbone', )),
    ('neck', 'neck forward', ('model.neck', )),
    ('rpn', 'RPN (forward + proposals)', ('model.rpn_head.predict', )),
    ('roi_extractor', 'RoI extraction',
     ('model.roi_head.bbox_roi_extractor', )),
    ('bbox_head', 'bbox head forward', ('model.roi_head.bbox_head', )),
    ('postprocess', 'post-processing (bbox decoding, NMS)',
     ('model.roi_head.predict', )),
]
OTHER = ('other', 'other (unattributed)')

#: Dense-math references: a float32 matmul of two N x N matrices and a 3x3
#: convolution (input N, C, H, W; C output channels, padding 1).
MATMUL_N = 1024
CONV_INPUT = (1, 64, 64, 128)


class DenseReference:
    """Speed of dense math, sampled between the model's iterations.

    Each :meth:`sample` times one float32 ``MATMUL_N`` x ``MATMUL_N``
    matmul and one 3x3 convolution on ``CONV_INPUT`` (as many output
    channels as input ones, padding 1), with the threads the model uses.
    Sampled after every timed iteration, the references share the load of
    the machine (other processes, clock) with the model, as a measurement
    before or after it would not.
    """

    def __init__(self) -> None:
        n, (b, c, h, w) = MATMUL_N, CONV_INPUT
        self._a, self._b = torch.randn(n, n), torch.randn(n, n)
        self._x, self._w = torch.randn(b, c, h, w), torch.randn(c, c, 3, 3)
        self.flop = dict(matmul=2. * n**3, conv=2. * b * c * h * w * c * 9)
        self.reset()
        self.sample()  # warm-up
        self.reset()

    def reset(self) -> None:
        """Forget the samples so far."""
        self.seconds = dict(matmul=0., conv=0.)
        self.calls = 0

    def sample(self) -> None:
        """Time one matmul and one convolution."""
        with torch.no_grad():
            start = time.perf_counter()
            torch.mm(self._a, self._b)
            middle = time.perf_counter()
            F.conv2d(self._x, self._w, padding=1)
            end = time.perf_counter()
        self.seconds['matmul'] += middle - start
        self.seconds['conv'] += end - middle
        self.calls += 1

    def gflops(self) -> Dict[str, float]:
        """Mean GFLOP/s of the samples: ``matmul`` and ``conv``."""
        return {
            key: self.flop[key] * self.calls / seconds / 1e9
            for key, seconds in self.seconds.items()
        }


class StageTimer:
    """Wall time of nested stages, each without the stages nested in it."""

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = defaultdict(float)
        # open stages: (key, start, [seconds of the stages nested in it])
        self._open: List[Tuple[str, float, List[float]]] = []
        self._undo: List[Callable[[], None]] = []

    def start(self, key: str) -> None:
        """Open stage ``key``."""
        self._open.append((key, time.perf_counter(), [0.]))

    def stop(self) -> None:
        """Close the innermost open stage."""
        key, start, nested = self._open.pop()
        elapsed = time.perf_counter() - start
        self.seconds[key] += elapsed - nested[0]
        if self._open:
            self._open[-1][2][0] += elapsed

    @contextmanager
    def stage(self, key: str) -> Iterator[None]:
        """Time the ``with`` block as stage ``key``."""
        self.start(key)
        try:
            yield
        finally:
            self.stop()

    def reset(self) -> None:
        """Forget the times so far (after the warm-up)."""
        self.seconds.clear()

    def attach(self, key: str, obj, name: str) -> None:
        """Time ``obj.<name>`` as stage ``key``: a module by hooks around
        its forward, a method by wrapping it (undone by :meth:`detach`)."""
        target = getattr(obj, name)
        if isinstance(target, nn.Module):
            handles = [
                target.register_forward_pre_hook(
                    lambda module, args: self.start(key)),
                target.register_forward_hook(
                    lambda module, args, out: self.stop())
            ]
            self._undo.append(lambda: [h.remove() for h in handles])
            return

        @functools.wraps(target)
        def timed(*args, **kwargs):
            with self.stage(key):
                return target(*args, **kwargs)

        own = vars(obj).get(name, None)
        setattr(obj, name, timed)
        self._undo.append(lambda: setattr(obj, name, own)
                          if own is not None else delattr(obj, name))

    def detach(self) -> None:
        """Remove every hook and wrapper of :meth:`attach`."""
        while self._undo:
            self._undo.pop()()


def attach_stages(timer: StageTimer, stages: List[Tuple], roots: Dict,
                  config: str) -> None:
    """Attach ``timer`` to what each stage times.

    Args:
        timer (StageTimer): The timer.
        stages (list[tuple]): :data:`TRAIN_STAGES` or :data:`TEST_STAGES`.
        roots (dict): ``model`` and, for training, ``optim_wrapper``.
        config (str): The config, for the message of a model without a
            part.

    Raises:
        UserInputError: The model is not a two-stage detector with a neck.
    """
    for key, _, paths in stages:
        for path in paths:
            *parents, name = path.split('.')
            obj = roots[parents[0]]
            try:
                for part in parents[1:]:
                    obj = getattr(obj, part)
                getattr(obj, name)
            except AttributeError:
                raise UserInputError(
                    f'{config}: the model has no {path}; profile_model.py '
                    'times two-stage detectors (backbone, neck, rpn_head, '
                    'roi_head with a bbox head)') from None
            timer.attach(key, obj, name)


class BackboneNeck(nn.Module):
    """Backbone then neck (if any) as one module, for FLOPs and a forward +
    backward of the two alone.

    Args:
        backbone (nn.Module): The detector's backbone.
        neck (nn.Module, optional): Its neck.
    """

    def __init__(self, backbone: nn.Module, neck: Optional[nn.Module]) -> None:
        super().__init__()
        self.backbone, self.neck = backbone, neck

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.backbone(x)
        return x if self.neck is None else self.neck(x)


class FlopCounter:
    """FLOPs per image of backbone (+ neck) at an input size, cached.

    mmengine's ``FlopAnalyzer`` counts one per multiply-add; here a FLOP is
    half of one (2 per multiply-add), as a dense matmul's ``2 n^3``.

    Args:
        model (nn.Module): The detector.
    """

    def __init__(self, model) -> None:
        self.model = model
        self._cache: Dict[Tuple[int, int, bool], float] = {}

    def __call__(self, height: int, width: int, neck: bool = True) -> float:
        """FLOPs of one ``height`` x ``width`` image."""
        key = (height, width, neck)
        if key not in self._cache:
            from mmengine.analysis import FlopAnalyzer
            module = BackboneNeck(self.model.backbone,
                                  self.model.neck if neck else None)
            training = module.training
            module.eval()
            with torch.no_grad():
                analyzer = FlopAnalyzer(module,
                                        (torch.zeros(1, 3, height, width), ))
                analyzer.unsupported_ops_warnings(False)
                analyzer.uncalled_modules_warnings(False)
                self._cache[key] = 2. * analyzer.total()
            module.train(training)
        return self._cache[key]

    def of_shapes(self, shapes: List[Tuple[int, ...]]) -> float:
        """FLOPs of backbone + neck over batches of input ``shapes``."""
        return sum(n * self(h, w) for n, _, h, w in shapes)


def _walk_datasets(dataset_cfg):
    """Yield a dataset config and every dataset it wraps."""
    if isinstance(dataset_cfg, dict):
        yield dataset_cfg
        yield from _walk_datasets(dataset_cfg.get('dataset'))
        for sub in dataset_cfg.get('datasets', None) or []:
            yield from _walk_datasets(sub)


def rendered_dataset_cfg(dataset_cfg: dict, split: str) -> dict:
    """``SyntheticDigitDataset`` with the pipeline of ``dataset_cfg``, its
    file loading replaced by ``LoadImageFromNDArray``."""
    pipeline = next(
        copy.deepcopy(list(d['pipeline'])) for d in _walk_datasets(dataset_cfg)
        if d.get('pipeline'))
    if pipeline[0].get('type') == 'LoadImageFromFile':
        pipeline[0] = dict(type='LoadImageFromNDArray')
    return dict(
        type='SyntheticDigitDataset',
        length=100000,
        seed=0 if split == 'train' else 1,
        pipeline=pipeline,
        test_mode=split == 'test')


def _describe(dataset) -> str:
    name = type(dataset).__name__
    if name == 'SyntheticDigitDataset':
        return ('SyntheticDigitDataset, house numbers rendered on the fly '
                '(the config\'s own data)')
    root = getattr(dataset, 'data_root', None)
    return f'{name}, {len(dataset)} images' + (f' in {root}' if root else '')


def build_loader(cfg: Config,
                 split: str,
                 batch_size: Optional[int],
                 num_workers: Optional[int],
                 fallback: bool = True) -> Tuple[object, str]:
    """The config's ``<split>_dataloader`` and what data it reads.

    Args:
        cfg (Config): The config.
        split (str): ``'train'`` or ``'test'``.
        batch_size (int, optional): Overrides the config's.
        num_workers (int, optional): Overrides the config's.
        fallback (bool): Render images when the config's data are absent
            (otherwise the dataset's error is raised). Defaults to True.

    Returns:
        tuple: The dataloader and a sentence on its data.
    """
    from mmdet.registry import DATASETS
    from mmengine.runner import Runner

    from mmdigit.datasets import DatasetError
    loader_cfg = copy.deepcopy(cfg[f'{split}_dataloader'])
    if batch_size:
        loader_cfg.batch_size = batch_size
    if num_workers is not None:
        loader_cfg.num_workers = num_workers
        loader_cfg.persistent_workers = num_workers > 0
    try:  # built here to see if the data are there, and again below
        data = _describe(DATASETS.build(loader_cfg.dataset))
    except (DatasetError, FileNotFoundError) as e:
        if not fallback:
            raise
        loader_cfg.dataset = rendered_dataset_cfg(loader_cfg.dataset, split)
        reason = ' '.join(str(e).split())
        if reason.startswith('error: '):  # a DatasetError's own prefix
            reason = reason[len('error: '):]
        data = (f'SyntheticDigitDataset, house numbers rendered through the '
                f'config\'s {split} pipeline (its own data are absent: '
                f'{reason})')
    return Runner.build_dataloader(loader_cfg, seed=0), data


def profile_loop(step: Callable, batches: Iterator, timer: StageTimer,
                 reference: DenseReference, warmup: int, iters: int,
                 title: str) -> Dict:
    """Run ``step`` on ``warmup`` + ``iters`` batches; time the last ones.

    Args:
        step (callable): ``model.train_step`` (partial) or ``test_step``.
        batches (Iterator): Batches of the dataloader.
        timer (StageTimer): Attached to the model.
        reference (DenseReference): Sampled after each timed iteration
            (outside its time).
        warmup (int): Untimed iterations first.
        iters (int): Timed iterations.
        title (str): For the progress bar.

    Returns:
        dict: ``seconds`` (by stage, ``other`` included), ``total``
        (seconds), ``cpu`` (this process's CPU seconds in them) and
        ``images``.
    """
    from mmengine.utils import ProgressBar
    print(
        f'{title}: {warmup} warm-up + {iters} timed iterations',
        file=sys.stderr,
        flush=True)
    progress = ProgressBar(warmup + iters, file=sys.stderr)
    total, cpu, images = 0., 0., 0
    for i in range(warmup + iters):
        if i == warmup:
            timer.reset()
            reference.reset()
            total, cpu, images = 0., 0., 0
        start, start_cpu = time.perf_counter(), time.process_time()
        with timer.stage('data'):
            batch = next(batches)
        step(batch)
        total += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        images += len(batch['inputs'])
        if i >= warmup:
            reference.sample()
        progress.update()
    print(file=sys.stderr, flush=True)
    seconds = dict(timer.seconds)
    seconds[OTHER[0]] = total - sum(seconds.values())
    return dict(seconds=seconds, total=total, cpu=cpu, images=images)


def summarise(raw: Dict, stages: List[Tuple], iters: int) -> Dict:
    """Per-iteration milliseconds and shares of each stage."""
    total = raw['total']
    rows = []
    for key, label, *_ in [*stages, OTHER]:
        seconds = raw['seconds'].get(key, 0.)
        rows.append(
            dict(
                key=key,
                label=label,
                ms=1000 * seconds / iters,
                percent=100 * seconds / total))
    return dict(
        stages=rows,
        total_ms=1000 * total / iters,
        cpu_share=raw['cpu'] / total,
        images_per_iter=raw['images'] / iters,
        ms_per_image=1000 * total / raw['images'])


def profile_mode(mode: str, cfg: Config, model, config: str, args,
                 flops: FlopCounter) -> Dict:
    """Profile training (``mode='train'``) or testing (``'test'``).

    Args:
        mode (str): ``'train'`` or ``'test'``.
        cfg (Config): The loaded config.
        model (nn.Module): The detector.
        config (str): Config path, for messages.
        args (argparse.Namespace): The tool's arguments.
        flops (FlopCounter): FLOPs of backbone + neck.

    Returns:
        dict: The mode's summary (:func:`summarise`), its data, batch size,
        input sizes and the speed of backbone + neck forward.
    """
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import set_random_seed
    set_random_seed(0)
    loader, data = build_loader(
        cfg,
        mode,
        args.batch_size,
        args.num_workers,
        fallback=args.data_root is None)
    print(f'{mode} data: {data}', file=sys.stderr, flush=True)
    timer = StageTimer()
    roots = dict(model=model)
    if mode == 'train':
        model.train()
        roots['optim_wrapper'] = build_optim_wrapper(model, cfg.optim_wrapper)
        step = functools.partial(
            model.train_step, optim_wrapper=roots['optim_wrapper'])
        stages, grad = TRAIN_STAGES, torch.enable_grad()
    else:
        model.eval()
        step, stages, grad = model.test_step, TEST_STAGES, torch.no_grad()
    attach_stages(timer, stages, roots, config)
    reference = DenseReference()
    shapes: List[Tuple[int, ...]] = []
    hook = model.backbone.register_forward_pre_hook(
        lambda module, inputs: shapes.append(tuple(inputs[0].shape)))
    try:
        with grad:
            raw = profile_loop(step, _endless(loader), timer, reference,
                               args.warmup, args.iters, f'profiling {mode}')
    finally:
        hook.remove()
        timer.detach()
    shapes = shapes[-args.iters:]  # one backbone call per iteration
    result = summarise(raw, stages, args.iters)
    stage_ms = {row['key']: row['ms'] for row in result['stages']}
    (height, width), _ = Counter(s[2:] for s in shapes).most_common(1)[0]
    result.update(
        mode=mode,
        data=data,
        # mmdet's AspectRatioBatchSampler holds the batch size
        batch_size=getattr(loader.batch_sampler, 'batch_size', None)
        or loader.batch_size,
        num_workers=loader.num_workers,
        input_hw=[height, width],
        reference=reference.gflops(),
        forward=dict(
            gflop=flops.of_shapes(shapes) / args.iters / 1e9,
            ms=stage_ms['backbone'] + stage_ms['neck']))
    return result


def time_forward_backward(model: nn.Module, shape: Tuple[int, ...],
                          warmup: int, iters: int) -> Dict:
    """Forward and backward of backbone + neck alone, in training mode.

    On a random batch of ``shape``, with the mean of every output as the
    loss; the dense references are sampled after each timed pass.

    Args:
        model (nn.Module): The detector.
        shape (tuple[int]): ``(N, 3, H, W)``.
        warmup (int): Untimed passes first.
        iters (int): Timed passes.

    Returns:
        dict: Mean ``forward_ms`` and ``backward_ms``, and ``reference``
        (:meth:`DenseReference.gflops`).
    """
    module = BackboneNeck(model.backbone, model.neck)
    module.train()
    x = torch.randn(shape)
    reference = DenseReference()
    forward = backward = 0.
    for i in range(warmup + iters):
        start = time.perf_counter()
        loss = sum(out.mean() for out in module(x))
        middle = time.perf_counter()
        loss.backward()
        end = time.perf_counter()
        module.zero_grad(set_to_none=True)
        if i >= warmup:
            forward += middle - start
            backward += end - middle
            reference.sample()
    return dict(
        forward_ms=1000 * forward / iters,
        backward_ms=1000 * backward / iters,
        reference=reference.gflops())


def speed_rows(model: nn.Module, results: List[Dict], flops: FlopCounter,
               warmup: int, iters: int) -> List[Dict]:
    """GFLOP/s of backbone + neck, and as shares of dense math's.

    Rows: per profiled mode the forward of backbone + neck (its stage
    times and input sizes) and, after training, a separate forward +
    backward of the two at the training batch's usual shape
    (:func:`time_forward_backward`; backward counted as 2x the forward
    FLOPs). Each row is compared with the dense references sampled
    between its own iterations.

    Args:
        model (nn.Module): The detector.
        results (list[dict]): From :func:`profile_mode`.
        flops (FlopCounter): FLOPs of backbone + neck.
        warmup (int): Untimed forward + backward passes first (at most 2).
        iters (int): Timed forward + backward passes.

    Returns:
        list[dict]: ``name``, ``gflop``, ``ms``, ``gflops``,
        ``reference`` (matmul and conv GFLOP/s), ``percent_of_matmul`` and
        ``percent_of_conv``.
    """
    rows = []
    for result in results:
        h, w = result['input_hw']
        rows.append(
            dict(
                name=f'forward, {result["mode"]} profile (batch '
                f'{result["batch_size"]}, mostly {w}x{h})',
                reference=result['reference'],
                **result['forward']))
        if result['mode'] != 'train':
            continue
        batch = result['batch_size']
        timed = time_forward_backward(model, (batch, 3, h, w),
                                      min(warmup, 2) or 1, iters)
        rows.append(
            dict(
                name=f'forward + backward, separate run (batch {batch}, '
                f'{w}x{h}): forward {timed["forward_ms"]:.1f} + backward '
                f'{timed["backward_ms"]:.1f} ms',
                gflop=3 * batch * flops(h, w) / 1e9,
                ms=timed['forward_ms'] + timed['backward_ms'],
                **timed))
    for row in rows:
        row['gflops'] = row['gflop'] / row['ms'] * 1e3
        for key in ('matmul', 'conv'):
            row[f'percent_of_{key}'] = \
                100 * row['gflops'] / row['reference'][key]
    return rows


def config_test_hw(cfg: Config) -> Tuple[int, int]:
    """``(h, w)`` of the test pipeline's ``Resize`` scale."""
    for dataset in _walk_datasets(cfg.test_dataloader.get('dataset')):
        for transform in dataset.get('pipeline', None) or []:
            if transform.get('type') == 'Resize' and 'scale' in transform:
                w, h = transform['scale']
                return h, w
    w, h = cfg.get('img_scale', (320, 160))
    return h, w


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (or ``unknown``)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown'


def profile_model(config: str, cfg: Config, args) -> Dict:
    """Profile the modes of ``args.mode``; FLOPs and dense references.

    Args:
        config (str): Config path.
        cfg (Config): The loaded config.
        args (argparse.Namespace): The tool's arguments.

    Returns:
        dict: ``meta``, ``modes`` (one summary per mode), ``flops`` and
        ``speed`` (GFLOP/s rows).
    """
    if args.threads:
        torch.set_num_threads(args.threads)
    model = _build(cfg, 'cpu')
    flops = FlopCounter(model)
    modes = ['train', 'test'] if args.mode == 'both' else [args.mode]
    results = [
        profile_mode(mode, cfg, model, config, args, flops) for mode in modes
    ]

    print(
        'FLOPs, backbone + neck forward + backward, dense references',
        file=sys.stderr,
        flush=True)
    speed = speed_rows(model, results, flops, args.warmup, args.iters)
    height, width = config_test_hw(cfg)
    meta = environment('cpu')
    meta.update(
        cpu=cpu_model(),
        cpus=os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
        config=config,
        command='python ' + shlex.join(sys.argv),
        iters=args.iters,
        warmup=args.warmup)
    return dict(
        meta=meta,
        modes=results,
        flops=dict(
            input_hw=[height, width],
            backbone_gflop=flops(height, width, neck=False) / 1e9,
            backbone_neck_gflop=flops(height, width) / 1e9),
        speed=speed)


def format_report(report: Dict) -> str:
    """The report as Markdown: set-up, one table per mode, GFLOP/s."""
    meta, fl = report['meta'], report['flops']
    lines = [
        f'Profile of `{meta["config"]}`, {meta["date"]}', '',
        f'- machine: {meta["cpu"]}, {meta["cpus"]} CPUs, torch threads: '
        f'{meta["torch_threads"]} (OMP_NUM_THREADS='
        f'{meta["omp_num_threads"]}), torch {meta["torch"]}, mmcv '
        f'{meta["mmcv"]}, mmdet {meta["mmdet"]}',
        f'- command: `{meta["command"]}`',
        f'- mean of {meta["iters"]} timed iterations ({meta["warmup"]} '
        'warm-up iterations first); random weights', ''
    ]
    for result in report['modes']:
        h, w = result['input_hw']
        lines += [
            f'**{result["mode"]}**: batch {result["batch_size"]}, inputs '
            f'mostly {w}x{h} (padded), {result["num_workers"]} loader '
            f'workers, {result["total_ms"]:.1f} ms per iteration '
            f'({result["ms_per_image"]:.1f} ms per image), CPU time of this '
            f'process / wall time {result["cpu_share"]:.2f}; data: '
            f'{result["data"]}', ''
        ]
        rows = [[r['label'], f'{r["ms"]:.1f}', f'{r["percent"]:.1f}']
                for r in result['stages']]
        rows.append(['total', f'{result["total_ms"]:.1f}', '100.0'])
        lines += [markdown_table(['stage', 'ms / iter', '%'], rows), '']
    h, w = fl['input_hw']
    lines += [
        f'Backbone: **{fl["backbone_gflop"]:.2f} GFLOPs per image** at the '
        f'test input {w}x{h} (backbone + neck: '
        f'{fl["backbone_neck_gflop"]:.2f}); 1 multiply-add = 2 FLOPs, '
        'counted by mmengine\'s FlopAnalyzer.', ''
    ]
    rows = [[
        r['name'], f'{r["gflop"]:.2f}', f'{r["ms"]:.1f}', f'{r["gflops"]:.1f}',
        f'{r["reference"]["matmul"]:.1f}', f'{r["percent_of_matmul"]:.0f}',
        f'{r["reference"]["conv"]:.1f}', f'{r["percent_of_conv"]:.0f}'
    ] for r in report['speed']]
    b, c, ch, cw = CONV_INPUT
    note = (f'Dense references, sampled after each timed iteration of the '
            f'row (same process, same threads, same load): a float32 '
            f'{MATMUL_N}x{MATMUL_N} matmul and a 3x3 conv2d {c}->{c} '
            f'channels on {b}x{c}x{ch}x{cw}.')
    if any('backward_ms' in r for r in report['speed']):
        note += (' Forward + backward counts backward as 2x the forward '
                 'FLOPs (input and weight gradients); frozen stages and the '
                 'first convolution need less, so its GFLOP/s is an upper '
                 'bound.')
    lines += [
        markdown_table([
            'backbone + neck', 'GFLOP', 'ms', 'GFLOP/s', 'matmul GFLOP/s',
            '% of dense matmul', 'conv GFLOP/s', '% of conv'
        ], rows), '', note
    ]
    return '\n'.join(lines) + '\n'


def _at_least(minimum: int) -> Callable[[str], int]:
    """Argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f'expected >= {minimum}, got {text}')
        return value

    return parse


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--mode',
        choices=['train', 'test', 'both'],
        default='both',
        help='profile a training iteration, a test batch or both')
    parser.add_argument(
        '--iters', type=_at_least(1), default=20, help='timed iterations')
    parser.add_argument(
        '--warmup',
        type=_at_least(0),
        default=5,
        help='untimed iterations first')
    parser.add_argument(
        '--batch-size',
        type=_at_least(1),
        help='train and test batch size (default: the config\'s)')
    parser.add_argument(
        '--num-workers',
        type=_at_least(0),
        help='dataloader workers (default: the config\'s; 0: load and '
        'render in this process, so the data stage shows its whole cost)')
    parser.add_argument(
        '--threads',
        type=_at_least(1),
        help='torch threads (default: torch\'s)')
    parser.add_argument(
        '--data-root',
        help='dataset folder in the course layout; overrides the config '
        '(without it, absent data are replaced by rendered images)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config (xxx=yyy)')
    parser.add_argument(
        '--out', help='write the report to this .md file and a .json beside')
    return parser.parse_args()


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
        report = profile_model(args.config, cfg, args)
        text = format_report(report)
        print(text)
        if args.out:
            json_path = osp.splitext(args.out)[0] + '.json'
            os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
            atomic_write_files({
                args.out: text.encode(),
                json_path: json.dumps(report, indent=1).encode()
            })
            print(f'wrote {args.out} and {json_path}', file=sys.stderr)


if __name__ == '__main__':
    main()
