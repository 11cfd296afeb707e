"""Downloaded weights a config starts from, fetched before a run starts
(MMEngine fetches them deep inside the runner: offline, a traceback after
the whole set-up) so that a failure is one line."""
import os
import os.path as osp
import socket
from typing import Iterator, List, Tuple
from urllib.parse import urlparse

import torch
from mmengine.config import Config

from .errors import PretrainedWeightsError

#: How long one connection attempt of a download may stall.
DOWNLOAD_TIMEOUT_S = 30


def _pretrained_in(node: object, where: str) -> Iterator[Tuple[str, str]]:
    """``(key path, checkpoint)`` of each ``Pretrained`` init_cfg in node."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield where, node['checkpoint']
        for key, value in node.items():
            yield from _pretrained_in(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pretrained_in(value, f'{where}.{i}')


def remote_checkpoints(cfg: Config) -> List[Tuple[str, str]]:
    """``(where, checkpoint)`` of the ``Pretrained`` init_cfgs and
    ``load_from`` (unless resuming) that name a URL, e.g.
    ``('model.backbone.init_cfg', 'https://...')``."""
    found = list(_pretrained_in(cfg.get('model', {}), 'model'))
    if cfg.get('load_from') and not cfg.get('resume'):
        found.append(('load_from', cfg.load_from))
    return [(where, ckpt) for where, ckpt in found if '://' in ckpt]


def resolve_url(checkpoint: str) -> str:
    """The http(s) URL MMEngine downloads a checkpoint name from (``''``
    for other schemes and local files); :class:`PretrainedWeightsError` for
    an unknown name, or ``torchvision://`` without torchvision."""
    from mmengine.runner import checkpoint as mmengine_ckpt
    if checkpoint.startswith(('http://', 'https://')):
        return checkpoint
    scheme, name = checkpoint.split('://', 1)
    if scheme in ('open-mmlab', 'openmmlab'):
        name = mmengine_ckpt.get_deprecated_model_names().get(name, name)
        urls = mmengine_ckpt.get_external_models()
    elif scheme == 'mmcls':
        urls = mmengine_ckpt.get_mmcls_models()
    elif scheme == 'torchvision':
        try:
            urls = mmengine_ckpt.get_torchvision_models()
        except ImportError:
            # mmengine's own copy of torchvision's table names the URL
            import mmengine
            urls = mmengine.load(
                osp.join(mmengine.__path__[0], 'hub', 'torchvision_0.12.json'))
            url = urls.get(name.split('.')[0], 'its https:// URL')
            raise PretrainedWeightsError(
                f'{checkpoint} needs torchvision, which is not installed; '
                f"write the URL instead: checkpoint='{url}'")
    else:
        return ''
    if name not in urls:
        raise PretrainedWeightsError(
            f'unknown pre-trained checkpoint {checkpoint}')
    # an open-mmlab name may map to a file under MMENGINE_HOME
    return urls[name] if urls[name].startswith(('http://', 'https://')) else ''


def cache_path(url: str) -> str:
    """Where ``torch.hub`` (and so MMEngine) keeps a downloaded URL."""
    return osp.join(torch.hub.get_dir(), 'checkpoints',
                    osp.basename(urlparse(url).path))


def ensure_pretrained_weights(cfg: Config) -> List[str]:
    """Download every remote checkpoint of ``cfg`` not yet in the cache (a
    file there, perhaps copied by hand, is used as it is) and return the
    cache paths; :class:`PretrainedWeightsError` names the URL, the cache
    path and the offline alternatives if one can be had neither way."""
    paths = []
    for where, checkpoint in remote_checkpoints(cfg):
        url = resolve_url(checkpoint)
        if not url:
            continue
        path = cache_path(url)
        if not osp.isfile(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            previous = socket.getdefaulttimeout()
            socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # fail fast offline
            try:
                torch.hub.download_url_to_file(url, path, progress=True)
            except OSError as e:  # URLError included
                reason = getattr(e, 'reason', None) or e
                raise PretrainedWeightsError(
                    f'{where} needs pre-trained weights from {url}, which '
                    f'are not in the cache and could not be downloaded '
                    f'({reason}). Put the file at {path}, or train '
                    'offline: from the synthetic pretraining '
                    '(configs/synthetic/, README) or from random weights '
                    f'with --cfg-options {where}=None') from e
            finally:
                socket.setdefaulttimeout(previous)
        paths.append(path)
    return paths
