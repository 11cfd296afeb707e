import csv
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmdigit.apis import budget_cfg, load_cfg, parse_budget, run_ablation

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRIMARY = osp.join(REPO, 'configs', 'faster_rcnn_r50_fpn_digits.py')


@pytest.mark.parametrize('text,expected', [('200', {'iters': 200}),
                                           ('15m', {'minutes': 15.0}),
                                           ('0.5min', {'minutes': 0.5})])
def test_parse_budget(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize('text', ['', 'ten', '5h', '-3'])
def test_parse_budget_rejects(text):
    with pytest.raises(ValueError):
        parse_budget(text)


def test_budget_cfg_makes_an_iteration_budget_of_the_own_schedule():
    cfg = budget_cfg(load_cfg(PRIMARY), iters=30, seed=7, batch_size=2,
                     from_scratch=True)
    assert cfg.train_cfg == dict(
        type='IterBasedTrainLoop', max_iters=30, val_interval=30,
        val_begin=31)
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
def test_run_ablation_time_budget_and_resume(tiny_data, tiny_config,
                                             tmp_path):
    variant = tmp_path / 'tiny_lr_variant.py'
    variant.write_text(f'_base_ = {tiny_config!r}\n'
                       'optim_wrapper = dict(optimizer=dict(lr=1e-3))\n')
    configs = [tiny_config, str(variant)]
    work_dir = str(tmp_path / 'ablation')
    # A budget far below one iteration: each run stops after iteration 1.
    results = run_ablation(configs, work_dir=work_dir, budget='0.001m',
                           data_root=tiny_data, seed=0)
    assert [r.get('error') for r in results] == [None, None]
    for r in results:
        assert r['iters'] == 1
        assert 0 <= r['coco/bbox_mAP'] <= 1
        assert 0 <= r['digit/accuracy'] <= 1
        assert r['train_img_per_s'] > 0 and r['peak_mem_mb'] > 0
    with open(osp.join(work_dir, 'summary.csv')) as f:
        rows = list(csv.DictReader(f))
    assert [r['config'] for r in rows] == ['tiny_digits', 'tiny_lr_variant']
    md = open(osp.join(work_dir, 'summary.md')).read()
    assert '| tiny_lr_variant |' in md
    assert osp.getsize(osp.join(work_dir, 'summary.png')) > 0

    # Finished configs are not re-run: tamper a result and see it kept.
    result_file = osp.join(work_dir, 'tiny_digits', 'result.json')
    saved = json.load(open(result_file))
    saved['iters'] = 12345
    json.dump(saved, open(result_file, 'w'))
    again = run_ablation(configs, work_dir=work_dir, budget='0.001m',
                         data_root=tiny_data)
    assert again[0]['iters'] == 12345
