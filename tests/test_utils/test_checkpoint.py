import io
import os
import pickle
import subprocess

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from mmdigit.utils import register_checkpoint_safe_globals

register_checkpoint_safe_globals()


def mmengine_like_checkpoint():
    hub = MessageHub.get_instance('test_checkpoint')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/loss', torch.tensor(0.25))
    hub.update_info('iter', 3)
    hub.update_info('digit_best_thr', np.float32(0.35))
    return dict(
        meta=dict(epoch=1, iter=3, seed=np.int64(0)),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict(),
        optimizer=dict(state={}, param_groups=[dict(lr=0.01)]))


def test_weights_only_load_reads_mmengine_checkpoint(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(mmengine_like_checkpoint(), path)
    assert os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD') is None
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == pytest.approx(0.25)
    assert ckpt['message_hub']['runtime_info']['digit_best_thr'] == \
        pytest.approx(0.35)


class Reduce:

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _round_trip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def test_empty_history_buffer_round_trip():
    # a scalar logged under a key but never updated, e.g. by a hook that
    # registers it before the first iteration: pickle protocol 2 writes the
    # raw data of its empty numpy arrays as bytes()
    hub = MessageHub.get_instance('test_empty_buffer')
    hub.update_scalar('train/loss', 0.5)
    hub_state = hub.state_dict()
    hub_state['log_scalars']['val/empty'] = HistoryBuffer()
    state = _round_trip(dict(message_hub=hub_state))
    empty = state['message_hub']['log_scalars']['val/empty']
    assert isinstance(empty, HistoryBuffer)
    values, counts = empty.data
    assert values.shape == counts.shape == (0, )
    assert values.dtype == np.float64
    assert state['message_hub']['log_scalars']['train/loss'].current() == 0.5


@pytest.mark.parametrize('dtype', [
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
    np.uint32, np.uint64, np.float16, np.float32, np.float64, np.complex64,
    np.complex128
])
def test_numpy_scalars_and_arrays_of_each_dtype_round_trip(dtype):
    scalar = dtype(1)
    array = np.arange(3).astype(dtype)
    out = _round_trip(dict(scalar=scalar, array=array, empty=array[:0]))
    assert type(out['scalar']) is dtype and out['scalar'] == scalar
    assert out['array'].dtype == array.dtype
    np.testing.assert_array_equal(out['array'], array)
    assert out['empty'].dtype == array.dtype and out['empty'].size == 0


def test_getattr_of_history_buffer_statistics_loads():
    # the only getattr allowed (see the refused ones below)
    payload = {'x': Reduce(getattr, HistoryBuffer, 'mean')}
    assert _round_trip(payload)['x'] is HistoryBuffer.mean


@pytest.mark.parametrize(
    'payload',
    [
        Reduce(os.system, 'echo pwned'),
        Reduce(eval, '__import__("os").system("echo pwned")'),
        Reduce(exec, 'import os'),
        Reduce(__import__, 'os'),
        Reduce(subprocess.call, ['echo', 'pwned']),
        np.load,  # a plain reference to a function
        # getattr on an allowed class, but not a statistics method
        Reduce(getattr, HistoryBuffer, '__init__'),
        Reduce(getattr, torch.Tensor, 'add_'),
        # bytes is allowed only as the empty bytes() of protocol 2: a size
        # would allocate that much memory
        Reduce(bytes, 10**12),
    ],
    ids=[
        'os.system', 'eval', 'exec', '__import__', 'subprocess', 'np.load',
        'getattr-init', 'getattr-tensor', 'bytes-size'
    ])
def test_malicious_pickles_are_still_refused(payload):
    with pytest.raises(pickle.UnpicklingError):
        _round_trip({'x': payload})


class Net(torch.nn.Module):

    def __init__(self, width=4, classes=3):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, width, 3), torch.nn.BatchNorm2d(width),
            torch.nn.Conv2d(width, 64, 3), torch.nn.BatchNorm2d(64))
        self.head = torch.nn.Linear(64, classes)

    def test_step(self, data):  # BaseTTAModel requires it
        return data


def test_compare_state_dict_as_mmengine_loads():
    from mmengine.model import BaseTTAModel

    from mmdigit.utils import compare_state_dict
    model = Net()
    state = {
        f'module.{k}': v
        for k, v in model.state_dict().items()
        if 'num_batches_tracked' not in k
    }  # DDP prefix, old BN
    fit = compare_state_dict(model, {'state_dict': state})
    assert fit.exact and fit.fraction == 1.0

    fit = compare_state_dict(
        Net(width=8, classes=5), dict(state_dict=state, meta={}))
    assert not fit.exact
    assert [k for k, _, _ in fit.mismatched] == [
        'body.0.weight', 'body.0.bias', 'body.1.weight', 'body.1.bias',
        'body.1.running_mean', 'body.1.running_var', 'body.2.weight',
        'head.weight', 'head.bias'
    ]
    assert fit.mismatched[0][1:] == ((4, 3, 3, 3), (8, 3, 3, 3))
    assert fit.missing == [] and fit.unexpected == []
    total = sum(v.numel() for k, v in Net(8, 5).state_dict().items()
                if 'num_batches_tracked' not in k)
    assert fit.total == total
    # body.2.bias and body.3.* (64 channels each) still load
    assert fit.loaded == 64 * 5

    # a bare state dict with a key the model lacks, through a TTA wrapper
    class TTA(BaseTTAModel):

        def merge_preds(self, data_samples_list):
            return data_samples_list

    bare = dict(model.state_dict(), extra=torch.zeros(1))
    del bare['head.bias']
    fit = compare_state_dict(TTA(module=model), bare)
    assert fit.missing == ['head.bias'] and fit.unexpected == ['extra']
    assert fit.loaded == fit.total - 3


def test_check_state_dict_fits_strict_and_fine_tuning(caplog):
    from mmdigit.utils import (MIN_LOADED_FRACTION, CheckpointError,
                               check_state_dict_fits)
    ckpt = dict(
        state_dict=Net().state_dict(),
        meta=dict(experiment_name='net_20260101_000000'))
    kwargs = dict(checkpoint_name='a.pth', config_name='b.py')
    assert check_state_dict_fits(Net(), ckpt, **kwargs).exact

    # testing: anything that does not fit stops, naming both files, the
    # run that wrote the checkpoint and the first keys
    with pytest.raises(CheckpointError) as err:
        check_state_dict_fits(Net(classes=5), ckpt, **kwargs)
    message = str(err.value)
    assert 'a.pth' in message and 'b.py' in message
    assert 'net_20260101_000000' in message
    assert 'head.weight: [3, 64] in the checkpoint, [5, 64] in the model' \
        in message

    # fine-tuning: a new head loads the rest, with a warning
    fit = check_state_dict_fits(
        Net(classes=5), ckpt, strict=False, logger=None, **kwargs)
    assert MIN_LOADED_FRACTION <= fit.fraction < 1
    # ... but a checkpoint that fills little of the model stops
    with pytest.raises(
            CheckpointError,
            match=r'fits only \d+\.\d% .*at '
            r'least 50% must load'):
        check_state_dict_fits(
            Net(width=8, classes=400), ckpt, strict=False, **kwargs)
    with pytest.raises(CheckpointError, match='fits only 0.0%'):
        prefixed = {'backbone.' + k: v for k, v in Net().state_dict().items()}
        check_state_dict_fits(
            Net(), {'state_dict': prefixed}, strict=False, **kwargs)


def test_local_checkpoint_errors_are_one_line(tmp_path):
    from mmengine.runner import CheckpointLoader

    from mmdigit.utils import CheckpointError, CheckpointNotFoundError
    with pytest.raises(
            CheckpointNotFoundError, match='checkpoint not found: .*nope.pth'):
        CheckpointLoader.load_checkpoint(str(tmp_path / 'nope.pth'))
    cases = {
        'text.pth': b'epoch 12, mAP 0.4\n',  # torch.load: KeyError: 101
        'truncated.pth': None,
        'list.pth': None,
    }
    buf = io.BytesIO()
    torch.save(mmengine_like_checkpoint(), buf)
    cases['truncated.pth'] = buf.getvalue()[:1000]
    buf = io.BytesIO()
    torch.save([torch.ones(1)], buf)
    cases['list.pth'] = buf.getvalue()
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CheckpointError) as err:
            CheckpointLoader.load_checkpoint(str(path))
        message = str(err.value)
        assert str(path) in message and '\n' not in message
        if name == 'list.pth':
            assert 'holds a list' in message
        else:
            assert 'is not a readable checkpoint' in message
    # a good one still loads
    path = tmp_path / 'good.pth'
    torch.save(mmengine_like_checkpoint(), path)
    assert CheckpointLoader.load_checkpoint(str(path))['meta']['iter'] == 3
