"""Hold out part of ``train/`` as a ``valid/`` to select on, so that the
source's own ``valid/`` stays untouched for reporting."""
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from ..utils.errors import UserInputError
from ..utils.fileio import atomic_write_bytes
from .layout import draw_indices, ensure_empty, read_split, write_split


def parse_id_ranges(text: str) -> List[int]:
    """Image ids of ``'1401-1600'`` or ``'3,7,10-12'`` (inclusive ranges),
    in the order given, without repeats."""
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
    """Split a labelled split into ``train/`` and a held-out ``valid/``;
    returns :func:`write_split`'s counts per written split.

    Both keep the source order, numbered from 1; ``out_root/test`` links to
    the source's ``test/`` (if any) and ``out_root/holdout.json`` records
    each new split's source image ids.

    Args:
        out_root (str): Destination; its ``train/``, ``valid/`` and
            ``test/`` must be empty or not exist yet.
        ids (Sequence[int], optional): Image ids of ``split`` to hold out.
        num (int, optional): Or this many drawn at random with ``seed``.
        link (bool): Hard-link the images instead of copying them.
    """
    if (ids is None) == (num is None):
        raise UserInputError('give exactly one of ids and num')
    images, boxes = read_split(data_root, split)
    if ids is not None:
        ids = set(ids)
        if unknown := sorted(ids - set(boxes)):
            raise UserInputError(
                f'{len(unknown)} id(s) not in {split}.json, e.g. '
                f'{unknown[:5]}')
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
    test_dir, out_test = osp.join(data_root,
                                  'test'), osp.join(out_root, 'test')
    if osp.isdir(test_dir):
        if osp.isdir(out_test):
            os.rmdir(out_test)  # empty: checked above
        os.symlink(osp.abspath(test_dir), out_test)
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
