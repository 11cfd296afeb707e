import csv
import json
import math
import os.path as osp
import threading

import pytest
from conftest import load_tool
from mmengine.config import Config

from mmdigit.utils.cli import load_cfg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRIMARY = osp.join(REPO, 'configs', 'faster_rcnn_r50_fpn_digits.py')
ABLATIONS = osp.join(REPO, 'configs', 'ablations')
CPU_BASE = osp.join(REPO, 'configs', 'synthetic',
                    'faster_rcnn_r18_fpn_synth-finetune_1.5k_digits.py')
ablation = load_tool('ablate')
budget_cfg, parse_budget = ablation.budget_cfg, ablation.parse_budget
rebase_config, summarize = ablation.rebase_config, ablation.summarize


def run_ablation(*argv):
    """tools/ablate.py's runs and summary, with these arguments."""
    return ablation.run_ablation(ablation.parse_args([str(a) for a in argv]))


def scales_and_types(cfg):
    pipeline = cfg.train_dataloader.dataset.pipeline
    return ([t['type'] for t in pipeline],
            [t['scale'] for t in pipeline if 'scale' in t])


def test_rebase_applies_the_change_onto_another_base(tmp_path):
    # ciou -> giou -> primary: the chain is re-rooted on the CPU base
    path = rebase_config(
        osp.join(ABLATIONS, 'faster_rcnn_r50_fpn_ciou_1x_digits.py'), CPU_BASE,
        str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'faster_rcnn_r50_fpn_ciou_1x_digits.py',
        'faster_rcnn_r50_fpn_giou_1x_digits.py'
    ]
    cfg, base = Config.fromfile(path), Config.fromfile(CPU_BASE)
    head = cfg.model.roi_head.bbox_head
    assert (head.loss_bbox.type, head.reg_decoded_bbox) == ('CIoULoss', True)
    # everything else is the new base's
    assert cfg.model.backbone == base.model.backbone
    assert cfg.model.neck == base.model.neck
    assert (cfg.img_scale, cfg.load_from,
            cfg.train_cfg) == (base.img_scale, base.load_from, base.train_cfg)


def test_rebase_keeps_the_pipeline_change_at_the_new_scale(tmp_path):
    cfg = Config.fromfile(
        rebase_config(
            osp.join(ABLATIONS,
                     'faster_rcnn_r50_fpn_colorjitter-blur_1x_digits.py'),
            CPU_BASE, str(tmp_path)))
    assert scales_and_types(cfg) == ([
        'LoadImageFromFile', 'LoadAnnotations', 'ColorJitter', 'GaussianBlur',
        'Expand', 'Resize', 'PackDetInputs'
    ], [(256, 128)])


def test_rebase_root_and_base_stand_for_the_new_base(tmp_path):
    assert rebase_config(PRIMARY, CPU_BASE, str(tmp_path)) == CPU_BASE
    assert rebase_config(CPU_BASE, CPU_BASE, str(tmp_path)) == CPU_BASE
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize('text,expected', [('200', dict(iters=200)),
                                           ('15m', dict(minutes=15.0)),
                                           ('0.5min', dict(minutes=0.5))])
def test_parse_budget(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize('text', ['', 'ten', '5h', '-3'])
def test_parse_budget_rejects(text):
    with pytest.raises(ValueError):
        parse_budget(text)


def test_budget_cfg_makes_an_iteration_budget_of_the_own_schedule():
    cfg = budget_cfg(
        load_cfg(PRIMARY), iters=30, seed=7, batch_size=2, from_scratch=True)
    assert cfg.train_cfg == dict(
        type='IterBasedTrainLoop', max_iters=30, val_interval=30, val_begin=31)
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.randomness.seed == 7
    assert cfg.model.backbone.init_cfg is None
    assert cfg.model.backbone.frozen_stages == -1
    assert cfg.model.backbone.norm_eval is False
    # the config's own optimiser and schedule are kept
    primary = Config.fromfile(PRIMARY)
    assert cfg.optim_wrapper == primary.optim_wrapper
    assert cfg.param_scheduler == primary.param_scheduler
    with pytest.raises(ValueError):
        budget_cfg(load_cfg(PRIMARY))


@pytest.mark.slow
def test_run_ablation_time_budget_and_resume(tiny_data, tiny_config, tmp_path):
    variant = tmp_path / 'tiny_lr_variant.py'
    variant.write_text(f'_base_ = {tiny_config!r}\n'
                       'optim_wrapper = dict(optimizer=dict(lr=1e-3))\n')
    configs = [tiny_config, str(variant)]
    work_dir = str(tmp_path / 'ablation')
    # A budget far below one iteration: each run stops after iteration 1.
    # Both runs at once, each with its output in its own worker.log.
    results = run_ablation(*configs, '--work-dir', work_dir, '--budget',
                           '0.001m', '--data-root', tiny_data, '--seed', 0,
                           '--jobs', 2)
    assert [r.get('error') for r in results] == [None, None]
    for name in ('tiny_digits', 'tiny_lr_variant'):
        log = osp.join(work_dir, name, 'seed_0', 'worker.log')
        assert 'Iter(val)' in open(log).read()
    assert [r['seed'] for r in results] == [0, 0]
    for r in results:
        assert r['iters'] == 1
        assert 0 <= r['coco/bbox_mAP'] <= 1
        assert 0 <= r['digit/accuracy'] <= 1
        assert 0 <= r['digit/count_accuracy'] <= 1
        assert r['train_img_per_s'] > 0 and r['peak_mem_mb'] > 0
    with open(osp.join(work_dir, 'summary.csv')) as f:
        rows = list(csv.DictReader(f))
    assert [r['config'] for r in rows] == ['tiny_digits', 'tiny_lr_variant']
    md = open(osp.join(work_dir, 'summary.md')).read()
    assert '| tiny_lr_variant |' in md
    assert osp.getsize(osp.join(work_dir, 'summary.png')) > 0

    # Finished configs are not re-run: tamper a result and see it kept.
    result_file = osp.join(work_dir, 'tiny_digits', 'seed_0', 'result.json')
    saved = json.load(open(result_file))
    saved['iters'] = 12345
    json.dump(saved, open(result_file, 'w'))
    again = run_ablation(*configs, '--work-dir', work_dir, '--budget',
                         '0.001m', '--data-root', tiny_data)
    assert again[0]['iters'] == 12345


def _stats(values):
    """Summary of one config's mAP over seeds with the given values."""
    rows = summarize([_run('c.py', s, v) for s, v in enumerate(values)])
    return rows.loc['c', 'coco/bbox_mAP'].to_dict()


def test_summarize_gives_mean_sample_std_and_range():
    assert _stats([0.25, 0.75, 0.5]) == dict(
        count=3, mean=0.5, std=0.25, min=0.25, max=0.75, noise=False)
    one = _stats([0.5])
    assert math.isnan(one.pop('std'))  # no sample std of one value
    assert one == dict(count=1, mean=0.5, min=0.5, max=0.5, noise=False)


@pytest.mark.parametrize(
    'base,other,expected',
    [
        # |0.5625 - 0.375| = 0.1875 <= the base's range 0.25
        ([0.25, 0.5], [0.5, 0.625], True),
        # 0.4375 > max(0.25, 0.125)
        ([0.25, 0.5], [0.75, 0.875], False),
        # the wider range of the two rows counts: 0.25 <= the other's 0.5
        ([0.5, 0.5], [0.5, 1.0], True),
        # no spread and no difference: nothing to tell apart
        ([0.5, 0.5], [0.5, 0.5], True),
        ([0.5, 0.5], [0.625, 0.625], False),
        # one seed: no spread to judge by
        ([0.5], [0.5, 0.625], False),
        ([0.25, 0.5], [0.5], False),
    ])
def test_within_noise(base, other, expected):
    rows = summarize([_run('base.py', s, v) for s, v in enumerate(base)] +
                     [_run('other.py', s, v) for s, v in enumerate(other)])
    assert rows['coco/bbox_mAP', 'noise'].tolist() == [False, expected]


def _run(config, seed, map_, digit_acc=None, **extra):
    result = {
        'config': config,
        'seed': seed,
        'coco/bbox_mAP': map_,
        'iters': 10
    }
    if digit_acc is not None:
        result['digit/accuracy'] = digit_acc
    return dict(result, **extra)


def test_summarize_aggregates_seeds_and_marks_noise_against_first_row():
    rows = summarize([
        _run('a/base.py', 0, 0.25, digit_acc=0.5),
        _run('a/base.py', 1, 0.5, digit_acc=0.5),
        _run('b/close.py', 0, 0.5, digit_acc=0.75),
        _run('b/close.py', 1, 0.625, digit_acc=0.75),
        _run('far.py', 3, 0.875),
        _run('far.py', 4, 0.75),
        dict(config='far.py', seed=5, error='exit code 1'),
    ])
    assert rows.index.tolist() == ['base', 'close', 'far']
    assert rows['run', 'seeds'].tolist() == [[0, 1], [0, 1], [3, 4]]
    assert rows['run', 'errors'].tolist() == [[], [], ['seed 5: exit code 1']]
    assert rows.loc['base', 'coco/bbox_mAP'].to_dict() == dict(
        count=2,
        mean=0.375,
        std=pytest.approx(0.25 / 2**0.5),
        min=0.25,
        max=0.5,
        noise=False)
    assert rows.loc['far', ('coco/bbox_mAP', 'mean')] == 0.8125
    assert rows.loc['far', ('digit/accuracy', 'count')] == 0
    noise = rows.xs('noise', axis=1, level=1)
    assert not noise.loc['base'].any()
    # mAP 0.5625 vs 0.375 is within the base's range 0.25; digit accuracy
    # 0.75 vs 0.5 is not (both ranges 0); iterations are not judged
    assert noise.columns[noise.loc['close']].tolist() == ['coco/bbox_mAP']
    assert not noise.loc['far'].any()


def test_run_ablation_seeds_resume_and_summary(tmp_path, monkeypatch):
    """Two seeds: two runs per config, then a resume that runs nothing."""
    calls = []

    def fake_launch(config, result_file, job, threads, log_file):
        assert threads is None and log_file is None  # one job at a time
        calls.append((osp.basename(config), job['seed'],
                      osp.relpath(job['work_dir'], str(tmp_path))))
        if config.endswith('broken.py'):
            return 1
        # mAP 0.25 + seed/8 for the base; the variant adds 0.0625
        map_ = 0.25 + job['seed'] / 8 + 0.0625 * ('variant' in config)
        with open(result_file, 'w') as f:
            json.dump(
                {
                    'coco/bbox_mAP': map_,
                    'digit/count_accuracy': 0.5 + job['seed'] / 8,
                    'iters': job['iters'],
                    'device': 'cpu'
                }, f)
        return 0

    monkeypatch.setattr(ablation, '_launch', fake_launch)
    configs = ['cfgs/base.py', 'cfgs/variant.py', 'cfgs/broken.py']
    work_dir = str(tmp_path / 'ablation')
    # --from-scratch: no weights to fetch for the configs, which are absent
    args = (*configs, '--work-dir', work_dir, '--budget', 20, '--seeds', 2,
            '--seed', 3, '--from-scratch')
    results = run_ablation(*args)
    assert calls == [(name, seed, f'ablation/{name[:-3]}/seed_{seed}')
                     for name in ('base.py', 'variant.py', 'broken.py')
                     for seed in (3, 4)]
    assert [(r['config'], r['seed'])
            for r in results] == [(c, s) for c in configs for s in (3, 4)]
    assert [r.get('error')
            for r in results] == [None] * 4 + ['exit code 1'] * 2

    with open(osp.join(work_dir, 'summary.csv')) as f:
        rows = list(csv.DictReader(f))
    assert [(r['config'], r['seeds']) for r in rows] == [('base', '3 4'),
                                                         ('variant', '3 4'),
                                                         ('broken', '')]
    assert [float(rows[0][f'mAP{s}'])
            for s in ('', ' min', ' max')] == [0.6875, 0.625, 0.75]
    assert float(rows[0]['mAP std']) == pytest.approx(0.125 / 2**0.5)
    assert float(rows[1]['mAP']) == 0.75
    # count accuracy (the reader's digit count) is a column of its own
    assert [float(rows[0][f'count acc{s}'])
            for s in ('', ' min', ' max')] == [0.9375, 0.875, 1.0]
    # 0.75 - 0.6875 is within the range 0.125 of either row's two seeds;
    # count accuracy is the same in both rows
    assert rows[1]['within noise'] == 'mAP; count acc'
    assert rows[2]['error'] == 'seed 3: exit code 1; seed 4: exit code 1'
    md = open(osp.join(work_dir, 'summary.md')).read()
    assert '| base | 3, 4 | 0.688 ± 0.088 (0.625–0.750) | - |' in md
    assert ('| variant | 3, 4 | 0.750 ± 0.088 (0.688–0.812), within noise'
            ' | - |') in md
    assert ('| broken | - (failed: seed 3: exit code 1; seed 4: exit code 1)'
            ' | - | - |') in md
    assert osp.getsize(osp.join(work_dir, 'summary.png')) > 0

    # Finished runs are not re-run; only the failed ones are retried.
    calls.clear()
    again = run_ablation(*args)
    assert calls == [('broken.py', 3, 'ablation/broken/seed_3'),
                     ('broken.py', 4, 'ablation/broken/seed_4')]
    assert [r['coco/bbox_mAP']
            for r in again[:4]] == [0.625, 0.75, 0.6875, 0.8125]


def test_run_ablation_jobs_run_side_by_side(tmp_path, monkeypatch):
    """--jobs 2: two runs at once, cores shared, results in config order."""
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.setattr(ablation.os, 'cpu_count', lambda: 4)
    both_running = threading.Barrier(2, timeout=30)
    calls = []

    def fake_launch(config, result_file, job, threads, log_file):
        calls.append((osp.basename(config), job['seed'], threads,
                      osp.relpath(log_file, str(tmp_path))))
        both_running.wait()  # fails unless another run is under way
        with open(result_file, 'w') as f:
            json.dump({'coco/bbox_mAP': job['seed'] / 4}, f)
        return 0

    monkeypatch.setattr(ablation, '_launch', fake_launch)
    results = run_ablation('a.py', 'b.py', '--work-dir', tmp_path / 'w',
                           '--seeds', 2, '--jobs', 2, '--from-scratch')
    assert [(osp.basename(r['config']), r['seed'], r['coco/bbox_mAP'])
            for r in results] == [('a.py', 0, 0), ('a.py', 1, 0.25),
                                  ('b.py', 0, 0), ('b.py', 1, 0.25)]
    assert sorted(calls) == [(c, s, 2, f'w/{c[:-3]}/seed_{s}/worker.log')
                             for c in ('a.py', 'b.py') for s in (0, 1)]
    with pytest.raises(ValueError, match='jobs'):
        run_ablation('a.py', '--work-dir', tmp_path / 'w', '--jobs', 0)


def test_threads_per_job_shares_the_cores(monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.setattr(ablation.os, 'cpu_count', lambda: 2)
    assert [ablation.threads_per_job(j) for j in (1, 2, 3)] == [None, 1, 1]
    # the user's own thread setting wins
    monkeypatch.setenv('OMP_NUM_THREADS', '2')
    assert ablation.threads_per_job(2) is None


def test_launch_sets_threads_and_writes_the_log(tmp_path, monkeypatch):
    seen = {}

    class FakePopen:

        def __init__(self, cmd, env=None, stdout=None, stderr=None):
            seen.update(env=env, cmd=cmd, running=ablation._WORKERS)
            stdout.write(b'worker output')

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def wait(self):
            seen['registered'] = self in ablation._WORKERS
            return 3

    monkeypatch.setattr(ablation.subprocess, 'Popen', FakePopen)
    log = tmp_path / 'worker.log'
    assert ablation._launch('c.py', 'r.json', {}, 1, str(log)) == 3
    assert seen['env']['OMP_NUM_THREADS'] == '1'
    assert seen['env']['MKL_NUM_THREADS'] == '1'
    assert seen['cmd'][-3:] == ['c.py', 'r.json', '{}']
    assert log.read_text() == 'worker output'
    # known as running while it runs, forgotten after
    assert seen['registered'] and not ablation._WORKERS


def test_interrupt_stops_the_running_workers(tmp_path, monkeypatch):
    """Ctrl-C (or an error) while runs train: they are terminated."""
    terminated = []

    class Worker:

        def terminate(self):
            terminated.append(self)

    started = threading.Event()
    worker = Worker()

    def fake_launch(config, result_file, job, threads, log_file):
        if config == 'slow.py':  # still training when the other fails
            ablation._WORKERS.add(worker)
            started.set()
            while not terminated:
                threading.Event().wait(0.01)
            ablation._WORKERS.discard(worker)
            return -15
        started.wait(10)
        raise KeyboardInterrupt

    monkeypatch.setattr(ablation, '_launch', fake_launch)
    with pytest.raises(KeyboardInterrupt):
        run_ablation('slow.py', 'fail.py', 'never.py', '--work-dir',
                     tmp_path / 'w', '--jobs', 2, '--from-scratch')
    assert terminated == [worker]
    # the run queued behind them never started
    assert not (tmp_path / 'w' / 'never').exists()
