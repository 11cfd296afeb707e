"""Convert SVHN format 1 (``<split>/<n>.png`` plus ``digitStruct.mat``, an
HDF5 file with one box per digit) to the course layout."""
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np

from ..utils.errors import InputNotFoundError, UserInputError
from .layout import draw_indices, ensure_empty, progress_bar, write_split

#: Fields of a ``digitStruct.bbox`` entry, in the order of the returned box.
BOX_FIELDS = ('left', 'top', 'width', 'height', 'label')


def read_digit_struct(mat_file: str, progress: bool = False) -> List[dict]:
    """Per image of an SVHN format-1 ``digitStruct.mat``, in file order,
    ``{'name': '1.png', 'boxes': [(left, top, width, height, digit), ...]}``.

    A ``bbox`` field holds the value itself for one digit, references to
    ``(1, 1)`` values for several; ``(N, 1)`` and ``(1, N)`` both work.
    """
    import h5py  # only the converter needs it

    with h5py.File(mat_file, 'r') as f:

        def values(ds) -> np.ndarray:
            data = ds[()].ravel()
            if h5py.check_dtype(ref=ds.dtype) is not None:
                data = np.array([f[r][()].ravel()[0] for r in data])
            return data

        names = f['digitStruct/name'][()].ravel()
        bboxes = f['digitStruct/bbox'][()].ravel()
        if len(names) != len(bboxes):
            raise UserInputError(f'{mat_file}: {len(names)} names but '
                                 f'{len(bboxes)} bbox entries')
        images = []
        for name_ref, bbox_ref in progress_bar(
                list(zip(names, bboxes)), progress):
            name = ''.join(map(chr, f[name_ref][()].ravel()))
            fields = [values(f[bbox_ref][k]) for k in BOX_FIELDS]
            if len({len(v) for v in fields}) != 1:
                raise UserInputError(f'{mat_file}: {name}: ' + ', '.join(
                    f'{len(v)} {k}' for k, v in zip(BOX_FIELDS, fields)))
            labels = fields[-1]
            bad = labels[(labels != labels.round()) | (labels < 1) |
                         (labels > 10)]
            if len(bad):
                raise UserInputError(f'{mat_file}: {name}: label {bad[0]} is '
                                     'not 1-10 (10 means digit 0)')
            boxes = [(*box[:4], int(box[4]) % 10)
                     for box in np.stack(fields, 1).tolist()]
            images.append(dict(name=name, boxes=boxes))
    return images


def convert_svhn(svhn_root: str,
                 out_root: str,
                 splits: Sequence[str] = ('train', 'test'),
                 split_valid: int = 0,
                 seed: int = 0,
                 link: bool = False,
                 progress: bool = True) -> Dict[str, Dict[str, int]]:
    """Convert SVHN format-1 splits to the course layout; returns
    :func:`write_split`'s counts per written split.

    ``svhn_root/<split>/`` becomes ``out_root/<split>/`` and ``<split>.json``
    (ids from 1 in ``digitStruct`` order; SVHN's test is labelled too) by
    :func:`write_split`, which clips SVHN's boxes that stick out 1-3 px.

    Args:
        out_root (str): Destination; the split folders it writes must be
            empty or not exist yet.
        split_valid (int): Move this many random train images to ``valid/``.
        seed (int): Seed of the ``valid`` draw.
        link (bool): Hard-link the images instead of copying them.
    """
    if split_valid < 0:
        raise UserInputError(f'split_valid={split_valid} is negative')
    if split_valid and 'train' not in splits:
        raise UserInputError('split_valid needs the train split')
    if split_valid and 'valid' in splits:
        raise UserInputError("split_valid writes 'valid'; do not list it")
    mat_files = [osp.join(svhn_root, s, 'digitStruct.mat') for s in splits]
    for mat_file in mat_files:  # fail before writing anything
        if not osp.isfile(mat_file):
            raise InputNotFoundError(f'{mat_file} not found')
    ensure_empty(*(osp.join(out_root, split)
                   for split in [*splits, *(['valid'] * bool(split_valid))]))
    summary = {}
    for split, mat_file in zip(splits, mat_files):
        src_dir = osp.dirname(mat_file)
        if progress:
            print(f'reading {mat_file}')
        images = read_digit_struct(mat_file, progress=progress)
        parts = {split: images}
        if split == 'train' and split_valid:
            chosen = draw_indices(
                len(images), split_valid, seed,
                f'split_valid={split_valid} but train')
            parts = dict(
                train=[im for i, im in enumerate(images) if i not in chosen],
                valid=[im for i, im in enumerate(images) if i in chosen])
        for name, part in parts.items():
            summary[name] = write_split(part, src_dir, out_root, name, link,
                                        progress)
    return summary
