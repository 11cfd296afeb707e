"""Downloaded weights a config starts from, checked before a run starts.

MMEngine fetches a ``Pretrained`` ``init_cfg`` (and a remote ``load_from``)
only when the model is initialised, deep inside the runner, and through
``torch.hub``'s cache (``$TORCH_HOME/hub/checkpoints/<file name of the
URL>``). Offline, that is a traceback after the whole set-up. The tools call
:func:`ensure_pretrained_weights` first instead: weights in the cache are
used as they are, missing ones are downloaded there, and when neither works
the run stops with one line saying where to put the file.
"""
import os
import os.path as osp
import socket
import urllib.error
from typing import Iterator, List, Tuple
from urllib.parse import urlparse

from mmengine.config import Config

from .errors import PretrainedWeightsError

#: How long one connection attempt of a download may stall.
DOWNLOAD_TIMEOUT_S = 30

_OPENMMLAB_PREFIXES = ('open-mmlab://', 'openmmlab://')


def _pretrained_in(node: object, where: str) -> Iterator[Tuple[str, str]]:
    """``(key path, checkpoint)`` of every ``Pretrained`` init_cfg below
    ``node`` (a config dict, list or value)."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield where, node['checkpoint']
        for key, value in node.items():
            yield from _pretrained_in(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pretrained_in(value, f'{where}.{i}')


def remote_checkpoints(cfg: Config) -> List[Tuple[str, str]]:
    """The downloaded checkpoints a training config starts from.

    Args:
        cfg (Config): A loaded config.

    Returns:
        list[tuple[str, str]]: ``(where, checkpoint)`` pairs, e.g.
        ``('model.backbone.init_cfg', 'https://...')`` or ``('load_from',
        'open-mmlab://...')``: the ``Pretrained`` init_cfgs and
        ``load_from`` whose checkpoint is a URL, not a local file.
    """
    found = list(_pretrained_in(cfg.get('model', {}), 'model'))
    load_from = cfg.get('load_from')
    if load_from and not cfg.get('resume'):
        found.append(('load_from', load_from))
    return [(where, ckpt) for where, ckpt in found
            if isinstance(ckpt, str) and '://' in ckpt]


def resolve_url(checkpoint: str) -> str:
    """The http(s) URL MMEngine downloads a checkpoint name from.

    Args:
        checkpoint (str): ``https://...``, ``open-mmlab://name``,
            ``mmcls://name`` or ``torchvision://name``.

    Returns:
        str: The URL, or ``''`` for a scheme read from elsewhere (a file
        backend such as ``s3://``), which is not checked.

    Raises:
        PretrainedWeightsError: ``torchvision://`` without torchvision.
    """
    from mmengine.runner import checkpoint as mmengine_ckpt
    if checkpoint.startswith(('http://', 'https://')):
        return checkpoint
    scheme, name = checkpoint.split('://', 1)
    if checkpoint.startswith(_OPENMMLAB_PREFIXES):
        name = mmengine_ckpt.get_deprecated_model_names().get(name, name)
        urls = mmengine_ckpt.get_external_models()
    elif scheme == 'mmcls':
        urls = mmengine_ckpt.get_mmcls_models()
    elif scheme == 'torchvision':
        try:
            urls = mmengine_ckpt.get_torchvision_models()
        except ImportError:
            # mmengine's own table of torchvision's URLs names the file
            # without torchvision
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
    url = urls[name]
    # an open-mmlab name may map to a file under MMENGINE_HOME
    return url if url.startswith(('http://', 'https://')) else ''


def cache_path(url: str) -> str:
    """Where ``torch.hub`` (and so MMEngine) keeps a downloaded URL."""
    import torch
    return osp.join(torch.hub.get_dir(), 'checkpoints',
                    osp.basename(urlparse(url).path))


def _download(url: str, path: str) -> None:
    """Download ``url`` to ``path`` through torch.hub (atomic rename),
    with a progress bar, failing fast when the network is unreachable."""
    import torch
    os.makedirs(osp.dirname(path), exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        torch.hub.download_url_to_file(url, path, progress=True)
    finally:
        socket.setdefaulttimeout(previous)


def ensure_pretrained_weights(cfg: Config) -> List[str]:
    """Make sure every downloaded checkpoint of ``cfg`` is in the cache.

    A file already at :func:`cache_path` is used as it is (so a user can
    copy it in by hand); a missing one is downloaded there.

    Args:
        cfg (Config): A training config.

    Returns:
        list[str]: The cache paths of the checkpoints.

    Raises:
        PretrainedWeightsError: A checkpoint is neither cached nor
            downloadable; the message names the URL, the cache path and
            the offline alternatives.
    """
    paths = []
    for where, checkpoint in remote_checkpoints(cfg):
        url = resolve_url(checkpoint)
        if not url:
            continue
        path = cache_path(url)
        if not osp.isfile(path):
            try:
                _download(url, path)
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, 'reason', None) or e
                raise PretrainedWeightsError(
                    f'{where} needs pre-trained weights from {url}, which '
                    f'are not in the cache and could not be downloaded '
                    f'({reason}). Put the file at {path}, or train '
                    'offline: from the synthetic pretraining '
                    '(configs/synthetic/, README) or from random weights '
                    f'with --cfg-options {where}=None') from e
        paths.append(path)
    return paths
