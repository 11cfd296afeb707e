from unittest import mock

from mmengine.logging import MessageHub

from mmdigit.engine.hooks import DigitThresholdHook
from mmdigit.evaluation import (DEFAULT_CSV_SCORE_THR, DigitStringMetric,
                                DigitSubmissionDumper, resolve_reader_cfg)
from mmdigit.utils.config import BEST_THR_KEY, READER_CFG_KEY


def make_runner(metrics):
    runner = mock.MagicMock()
    runner.message_hub = MessageHub('test_digit_threshold_hook')
    runner.val_evaluator.metrics = metrics
    return runner


def test_records_threshold_and_every_reader_option():
    metric = DigitStringMetric(reader_cfg=dict(nms_ios_thr=0.7))
    runner = make_runner([mock.MagicMock(spec=[]), metric])
    DigitThresholdHook().after_val_epoch(runner, {'digit/best_thr': 0.35})
    info = runner.message_hub.runtime_info
    assert info[BEST_THR_KEY] == 0.35
    assert info[READER_CFG_KEY] == dict(
        nms_ios_thr=0.7, line_tol=0.5, height_tol=1.4)
    # the defaults of options not given
    runner = make_runner([DigitStringMetric()])
    DigitThresholdHook().after_val_epoch(runner, {'digit/best_thr': 0.35})
    assert runner.message_hub.runtime_info[READER_CFG_KEY] == \
        resolve_reader_cfg() == dict(
            nms_ios_thr=0.5, line_tol=0.5, height_tol=1.4)


def test_nothing_recorded_without_the_metric_key():
    runner = make_runner([DigitStringMetric()])
    DigitThresholdHook().after_val_epoch(runner, {'coco/bbox_mAP': 0.3})
    DigitThresholdHook().after_val_epoch(runner, None)
    assert BEST_THR_KEY not in runner.message_hub.runtime_info
    assert READER_CFG_KEY not in runner.message_hub.runtime_info


def run_test_steps(dumpers, checkpoint):
    """Run the hook's test-time steps on a stand-in runner."""
    runner = mock.MagicMock()
    runner.test_loop.evaluator.metrics = [mock.MagicMock(spec=[]), *dumpers]
    hook = DigitThresholdHook()
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_test(runner)
    return dumpers


def checkpoint_with(info):
    return dict(state_dict={}, message_hub=dict(runtime_info=info))


def test_test_reads_as_the_checkpoint_recorded(tmp_path):
    recorded = dict(nms_ios_thr=0.7)
    given = DigitSubmissionDumper(out_dir=str(tmp_path))
    ckpt = checkpoint_with({BEST_THR_KEY: 0.35, READER_CFG_KEY: recorded})
    dumper, = run_test_steps([given], ckpt)
    assert (dumper.csv_score_thr, dumper.reader_cfg) == (0.35, recorded)


def test_options_an_older_checkpoint_recorded_are_ignored(tmp_path):
    old = dict(nms_iou_thr=0.5, nms_ios_thr=0.7, max_digits=0)
    given = DigitSubmissionDumper(out_dir=str(tmp_path))
    ckpt = checkpoint_with({BEST_THR_KEY: 0.35, READER_CFG_KEY: old})
    dumper, = run_test_steps([given], ckpt)
    assert dumper.reader_cfg == dict(nms_ios_thr=0.7)


def test_what_the_dumper_was_given_wins(tmp_path):
    given = DigitSubmissionDumper(
        out_dir=str(tmp_path),
        csv_score_thr=0.6,
        reader_cfg=dict(nms_ios_thr=0.3))
    recorded = {BEST_THR_KEY: 0.35, READER_CFG_KEY: dict(nms_ios_thr=0.7)}
    dumper, = run_test_steps([given], checkpoint_with(recorded))
    read_as = (dumper.csv_score_thr, dumper.reader_cfg)
    assert read_as == (0.6, dict(nms_ios_thr=0.3))


def test_nothing_recorded_reads_with_the_defaults(tmp_path):
    given = DigitSubmissionDumper(out_dir=str(tmp_path))
    dumper, = run_test_steps([given], dict(state_dict={}))
    assert dumper.csv_score_thr == DEFAULT_CSV_SCORE_THR
    assert dumper.reader_cfg == {}
