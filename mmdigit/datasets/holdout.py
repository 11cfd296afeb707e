"""Hold out part of a labelled split, to select on it and report elsewhere.

Choosing a threshold, a reader option or a checkpoint on ``valid/`` and then
reporting ``valid/`` flatters the result. :func:`hold_out` writes a dataset
whose ``valid/`` is a part of the source's ``train/`` and whose ``train/``
is the rest: select there, then report on the source's untouched ``valid/``.
"""
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from ..utils.errors import UserInputError
from ..utils.fileio import atomic_write_bytes
from .layout import draw_indices, ensure_empty, read_split, write_split


def parse_id_ranges(text: str) -> List[int]:
    """Parse image ids such as ``'1401-1600'`` or ``'3,7,10-12'``.

    Args:
        text (str): Comma-separated ids and inclusive ``a-b`` ranges.

    Returns:
        list[int]: The ids in the order given, without repeats.

    Raises:
        UserInputError: Not of that form, or a range that runs backwards.
    """
    ids: List[int] = []
    for part in text.split(','):
        match = re.fullmatch(r'\s*(\d+)\s*(?:-\s*(\d+)\s*)?', part)
        if not match:
            raise UserInputError(
                f'ids must look like 1401-1600 or 3,7,10-12, got {text!r}')
        first, last = int(match[1]), int(match[2] or match[1])
        if last < first:
            raise UserInputError(f'range {part.strip()!r} runs backwards')
        ids.extend(range(first, last + 1))
    return list(dict.fromkeys(ids))


def hold_out(data_root: str,
             out_root: str,
             ids: Optional[Sequence[int]] = None,
             num: Optional[int] = None,
             seed: int = 0,
             split: str = 'train',
             link: bool = False,
             progress: bool = True) -> Dict[str, Dict]:
    """Split a labelled split into ``train/`` and a held-out ``valid/``.

    Both keep the source order and are numbered from 1. ``out_root/test``
    links to the source's unlabelled ``test/`` (when it has one), so the
    result is a whole course dataset; ``out_root/holdout.json`` records the
    source and each new split's source image ids.

    Args:
        data_root (str): Source dataset in the course layout.
        out_root (str): Destination ``data_root``; its ``train/``,
            ``valid/`` and ``test/`` must be empty or not exist yet.
        ids (Sequence[int], optional): Image ids of ``split`` to hold out.
        num (int, optional): Hold out this many images drawn at random
            instead (with ``seed``). Give exactly one of ``ids`` and
            ``num``.
        seed (int): Seed of the ``num`` draw. Defaults to 0.
        split (str): The source split. Defaults to ``'train'``.
        link (bool): Hard-link the images instead of copying them (same
            file system only). Defaults to False.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        dict: Per written split, ``{'images', 'boxes', 'clipped',
        'dropped'}`` counts.
    """
    if (ids is None) == (num is None):
        raise UserInputError('give exactly one of ids and num')
    images, boxes = read_split(data_root, split)
    if ids is not None:
        unknown = sorted(set(ids) - set(boxes))
        if unknown:
            raise UserInputError(
                f'{len(unknown)} id(s) not in {split}.json, e.g. '
                f'{unknown[:5]}')
        ids = set(ids)
        held = {i for i, img in enumerate(images) if img['id'] in ids}
    else:
        held = draw_indices(len(images), num, seed, f'num={num} but {split}')
    if len(held) == len(images):
        raise UserInputError('that holds out every image: nothing to train')
    ensure_empty(*(osp.join(out_root, name)
                   for name in ('train', 'valid', 'test')))
    parts = dict(
        train=[img for i, img in enumerate(images) if i not in held],
        valid=[img for i, img in enumerate(images) if i in held])
    summary = {
        name: write_split([
            dict(name=img['file_name'], boxes=boxes[img['id']]) for img in part
        ], osp.join(data_root, split), out_root, name, link, progress)
        for name, part in parts.items()
    }
    test_dir = osp.join(data_root, 'test')
    if osp.isdir(test_dir):
        if osp.isdir(osp.join(out_root, 'test')):
            os.rmdir(osp.join(out_root, 'test'))  # empty: checked above
        os.symlink(osp.abspath(test_dir), osp.join(out_root, 'test'))
    record = dict(
        source=osp.abspath(osp.join(data_root, split)),
        **{
            f'{name}_source_ids': [img['id'] for img in part]
            for name, part in parts.items()
        })
    atomic_write_bytes(
        osp.join(out_root, 'holdout.json'),
        json.dumps(record).encode())
    return summary
