import pytest
from mmengine.config import Config

from mmdigit.utils import cfg_set_data_root
from mmdigit.utils.config import evaluator_metrics

COCO = dict(type='CocoMetric', ann_file='old/valid.json')
DIGIT = dict(type='DigitStringMetric')


@pytest.mark.parametrize('evaluator, types', [
    (None, []),
    (COCO, ['CocoMetric']),
    ([COCO, DIGIT], ['CocoMetric', 'DigitStringMetric']),
    (dict(type='Evaluator', metrics=[COCO, DIGIT
                                     ]), ['CocoMetric', 'DigitStringMetric']),
])
def test_evaluator_metrics(evaluator, types):
    assert [m['type'] for m in evaluator_metrics(evaluator)] == types


def test_evaluator_metrics_are_the_config_s_own():
    evaluator = [dict(COCO), dict(DIGIT)]
    metrics = evaluator_metrics(evaluator)
    metrics.append(dict(type='Extra'))  # a new list...
    assert len(evaluator) == 2
    metrics[0]['ann_file'] = 'new.json'  # ...of the same configs
    assert evaluator[0]['ann_file'] == 'new.json'


@pytest.mark.parametrize(
    'evaluator',
    [COCO, [COCO, DIGIT],
     dict(type='Evaluator', metrics=[COCO, DIGIT])])
def test_cfg_set_data_root_moves_every_evaluator_ann_file(evaluator):
    cfg = Config(dict(val_evaluator=evaluator, test_evaluator=evaluator))
    cfg_set_data_root(cfg, 'data/new')
    assert cfg.data_root == 'data/new/'
    for split in ('val', 'test'):
        metrics = evaluator_metrics(cfg[f'{split}_evaluator'])
        assert [m.get('ann_file') for m in metrics][0] == \
            'data/new/valid.json'
