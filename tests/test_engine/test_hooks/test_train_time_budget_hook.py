from unittest import mock

import pytest

from mmdigit.engine.hooks import TrainTimeBudgetHook


def test_stops_only_after_budget():
    hook = TrainTimeBudgetHook(minutes=1)
    runner = mock.MagicMock()
    runner.train_loop.stop_training = False
    runner.iter = 4
    with mock.patch('time.perf_counter', return_value=100.0):
        hook.before_train(runner)
    with mock.patch('time.perf_counter', return_value=159.0):
        hook.after_train_iter(runner, 0)
    assert runner.train_loop.stop_training is False
    with mock.patch('time.perf_counter', return_value=160.0):
        hook.after_train_iter(runner, 0)
    assert runner.train_loop.stop_training is True


def test_rejects_non_positive_budget():
    with pytest.raises(ValueError):
        TrainTimeBudgetHook(minutes=0)
