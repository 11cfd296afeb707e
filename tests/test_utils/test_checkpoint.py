import io
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmdigit  # noqa: F401  (registers the allow-list)


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
        optimizer={'state': {}, 'param_groups': [{'lr': 0.01}]})


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


class Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_weights_only_still_refuses_code(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': Evil()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    buf = io.BytesIO()
    torch.save({'f': np.load}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(buf, weights_only=True)


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    # getattr on an allowed class but not a statistics method: refused
    class GetAttr:

        def __init__(self, obj, name):
            self.args = (obj, name)

        def __reduce__(self):
            return (getattr, self.args)

    for obj, name in ((HistoryBuffer, '__init__'), (torch.Tensor, 'add_')):
        path = tmp_path / 'getattr.pth'
        torch.save({'x': GetAttr(obj, name)}, path)
        with pytest.raises(pickle.UnpicklingError):
            torch.load(path, weights_only=True)
    path = tmp_path / 'ok.pth'
    torch.save({'x': GetAttr(HistoryBuffer, 'mean')}, path)
    assert torch.load(path, weights_only=True)['x'] is HistoryBuffer.mean
