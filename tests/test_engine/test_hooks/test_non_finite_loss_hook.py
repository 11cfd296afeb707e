from unittest import mock

import pytest
import torch

from mmdigit.engine.hooks import NonFiniteLossHook


def _runner(iteration):
    runner = mock.MagicMock()
    runner.iter = iteration
    return runner


def test_finite_losses_pass():
    outputs = dict(
        loss=torch.tensor(1.5),
        loss_cls=torch.tensor(0.5),
        acc=torch.tensor(97.0))
    NonFiniteLossHook().after_train_iter(_runner(0), 0, outputs=outputs)


def test_names_iteration_and_every_bad_term():
    outputs = dict(
        loss=torch.tensor(float('nan')),
        loss_rpn_cls=torch.tensor(0.3),
        loss_bbox=torch.tensor(float('inf')),
        loss_cls=torch.tensor(float('nan')))
    with pytest.raises(FloatingPointError) as err:
        NonFiniteLossHook().after_train_iter(_runner(6), 0, outputs=outputs)
    msg = str(err.value)
    assert 'iteration 7' in msg
    assert 'loss_bbox=inf' in msg and 'loss_cls=nan' in msg
    assert 'loss_rpn_cls' not in msg


def test_interval_and_non_loss_keys():
    bad = dict(loss=torch.tensor(float('nan')))
    hook = NonFiniteLossHook(interval=2)
    hook.after_train_iter(_runner(0), 0, outputs=bad)  # iteration 1: skipped
    with pytest.raises(FloatingPointError):
        hook.after_train_iter(_runner(1), 0, outputs=bad)
    # accuracy is not a loss
    NonFiniteLossHook().after_train_iter(
        _runner(0), 0, outputs=dict(acc=torch.tensor(float('nan'))))
