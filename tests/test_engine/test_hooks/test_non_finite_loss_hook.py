import datetime
import gc
import os
import socket
from unittest import mock

import pytest
import torch
import torch.distributed as torch_dist
from mmengine import MessageHub, dist
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import AmpOptimWrapper
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmdigit.engine.hooks import NonFiniteLossHook
from mmdigit.utils import NonFiniteLossError

NAN = float('nan')


def _runner(iteration, hub=None):
    runner = mock.MagicMock()
    runner.iter = iteration
    runner.message_hub = hub or MessageHub('test')
    return runner


def test_finite_losses_pass():
    outputs = dict(
        loss=torch.tensor(1.5),
        loss_cls=torch.tensor(0.5),
        acc=torch.tensor(97.0))
    NonFiniteLossHook().after_train_iter(_runner(0), 0, outputs=outputs)


def test_names_iteration_and_every_bad_term():
    outputs = dict(
        loss=torch.tensor(NAN),
        loss_rpn_cls=torch.tensor(0.3),
        loss_bbox=torch.tensor(float('inf')),
        loss_cls=torch.tensor(NAN))
    with pytest.raises(FloatingPointError) as err:
        NonFiniteLossHook().after_train_iter(_runner(6), 0, outputs=outputs)
    msg = str(err.value)
    assert 'iteration 7' in msg
    assert 'loss_bbox=inf' in msg and 'loss_cls=nan' in msg
    assert 'loss_rpn_cls' not in msg


def test_interval_and_non_loss_keys():
    bad = dict(loss=torch.tensor(NAN))
    hook = NonFiniteLossHook(interval=2)
    hook.after_train_iter(_runner(0), 0, outputs=bad)  # iteration 1: skipped
    with pytest.raises(FloatingPointError):
        hook.after_train_iter(_runner(1), 0, outputs=bad)
    # accuracy is not a loss
    NonFiniteLossHook().after_train_iter(
        _runner(0), 0, outputs=dict(acc=torch.tensor(NAN)))


def _iteration(hook, runner, norm=None, all_reduce=None):
    """One distributed-looking iteration with finite local losses, logging
    ``norm`` as OptimWrapper does (unless None)."""
    hook.before_train_iter(runner, 0)
    if norm is not None:
        runner.message_hub.update_scalar('train/grad_norm', norm)
    with mock.patch('mmengine.dist.is_distributed', return_value=True), \
            mock.patch('mmengine.dist.all_reduce', all_reduce):
        hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(1.)))


def test_grad_norm_decides_without_a_collective():
    hook, runner = NonFiniteLossHook(), _runner(4)
    no_collective = mock.Mock(side_effect=AssertionError('all_reduce'))
    _iteration(hook, runner, 2.5, no_collective)
    with pytest.raises(
            NonFiniteLossError,
            match='iteration 5: grad_norm=nan '
            r'\(a non-finite loss on another rank\)'):
        _iteration(hook, runner, NAN, no_collective)


@pytest.mark.parametrize('case', ['no norm', 'stale norm', 'amp'])
def test_falls_back_to_all_reduce(case):
    hook, runner = NonFiniteLossHook(), _runner(0)
    if case == 'stale norm':  # a bad norm from an earlier iteration
        runner.message_hub.update_scalar('train/grad_norm', NAN)
    if case == 'amp':  # an inf norm is the loss scaler's business
        runner.optim_wrapper = mock.MagicMock(spec=AmpOptimWrapper)
    # another rank reports a bad loss
    all_reduce = mock.Mock(side_effect=lambda flag, op: flag.add_(1))
    with pytest.raises(NonFiniteLossError) as err:
        _iteration(hook, runner, NAN if case == 'amp' else None, all_reduce)
    assert 'iteration 1: on another rank' in str(err.value)
    all_reduce.assert_called_once()


class _Toy(BaseModel):
    """Its loss turns NaN on rank 1 from the 3rd iteration."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)
        self.calls = 0

    def forward(self, inputs, data_samples=None, mode='loss'):
        self.calls += 1
        loss = self.linear(inputs).pow(2).mean()
        if torch_dist.get_rank() == 1 and self.calls >= 3:
            loss = loss * NAN
        return dict(loss_toy=loss)


def _train(rank, port, work_dir, clip_grad):
    os.environ.update(
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=port,
        RANK=str(rank),
        WORLD_SIZE='2',
        LOCAL_RANK=str(rank))
    torch_dist.init_process_group(
        'gloo', timeout=datetime.timedelta(seconds=60))
    runner = Runner(
        model=MMDistributedDataParallel(_Toy(), device_ids=None),
        work_dir=work_dir,
        train_dataloader=DataLoader([dict(inputs=torch.ones(2))] * 8),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.01), clip_grad=clip_grad),
        train_cfg=dict(by_epoch=False, max_iters=6),
        default_hooks=dict(checkpoint=None),
        custom_hooks=[NonFiniteLossHook()],
        launcher='pytorch',
        log_level='WARNING')
    # with clip_grad's norm logged the hook must not call a collective
    forbidden = AssertionError('all_reduce')
    all_reduce = mock.Mock(
        side_effect=forbidden if clip_grad else dist.all_reduce)
    try:
        with mock.patch('mmengine.dist.all_reduce', all_reduce):
            runner.train()
        result = 'no error'
    except NonFiniteLossError as e:
        result = f'{runner.iter} {all_reduce.call_count} {e}'
    with open(os.path.join(work_dir, f'rank{rank}'), 'w') as f:
        f.write(result)
    del runner  # DDP's reducer holds the group: free it before destroying
    gc.collect()
    torch_dist.destroy_process_group()


@pytest.mark.slow
@pytest.mark.parametrize('clip_grad', [dict(max_norm=35), None])
def test_every_rank_stops_at_the_same_iteration(clip_grad, tmp_path):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = str(s.getsockname()[1])
    torch.multiprocessing.spawn(
        _train, args=(port, str(tmp_path), clip_grad), nprocs=2)
    ranks = [(tmp_path / f'rank{r}').read_text() for r in (0, 1)]
    calls = '0' if clip_grad else '3'  # iterations 1-3
    assert ranks[1].startswith(f'2 {calls} non-finite loss at iteration 3: ')
    assert 'loss=nan' in ranks[1]
    other = 'grad_norm=nan (a non-finite' if clip_grad else 'on another rank'
    assert ranks[0].startswith(
        f'2 {calls} non-finite loss at iteration 3: {other}')
