"""Convert SVHN format 1 (full numbers, ``digitStruct.mat``) to the course
layout.

SVHN ships each split (``train``, ``test``, ``extra``) as a folder of
``<n>.png`` photos plus ``digitStruct.mat``, a MATLAB v7.3 (HDF5) file with
one box per digit. :func:`convert_svhn` writes them as the course data:
``<split>/<id>.png`` with ids from 1 and a COCO ``<split>.json`` with
``category_id = digit + 1``.
"""
import json
import logging
import os
import os.path as osp
import shutil
from typing import Dict, List, Sequence, Tuple

import mmcv
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import track_iter_progress
from PIL import Image

from ..utils.digits import DIGIT_CATEGORIES, label_to_category_id
from ..utils.errors import (InputNotFoundError, OutputExistsError,
                            UserInputError)
from ..utils.fileio import atomic_write_bytes

#: Fields of a ``digitStruct.bbox`` entry, in the order of the returned box.
BOX_FIELDS = ('left', 'top', 'width', 'height', 'label')


def _progress(items: Sequence, show: bool):
    """``items`` behind mmengine's progress bar when ``show``."""
    if not show or not items:
        return items
    # A tuple would be read as (iterable, length).
    return track_iter_progress(list(items))


def read_digit_struct(mat_file: str, progress: bool = False) -> List[dict]:
    """Read an SVHN format-1 ``digitStruct.mat``.

    The file is MATLAB v7.3, i.e. HDF5: ``digitStruct/name`` and
    ``digitStruct/bbox`` hold one object reference per image, to a uint16
    char array and to a group with ``left``, ``top``, ``width``, ``height``
    and ``label``. Each of those holds the value itself for a one-digit image
    (shape ``(1, 1)``) and, for ``K`` digits, ``K`` references to ``(1, 1)``
    values. Both ``(N, 1)`` and ``(1, N)`` orientations are accepted.

    Args:
        mat_file (str): Path of ``digitStruct.mat``.
        progress (bool): Show a progress bar. Defaults to False.

    Returns:
        list[dict]: Per image, in file order, ``{'name': '1.png', 'boxes':
        [(left, top, width, height, digit), ...]}`` with SVHN's label 10
        turned into digit 0 and the coordinates as floats.
    """
    import h5py  # only the converter needs it

    with h5py.File(mat_file, 'r') as f:

        def values(ds) -> np.ndarray:
            # A dataset of references points at one (1, 1) value each.
            data = ds[()].ravel()
            if h5py.check_dtype(ref=ds.dtype) is not None:
                data = np.array([f[r][()].ravel()[0] for r in data])
            return data

        group = f['digitStruct']
        names = group['name'][()].ravel()
        bboxes = group['bbox'][()].ravel()
        if len(names) != len(bboxes):
            raise UserInputError(f'{mat_file}: {len(names)} names but '
                                 f'{len(bboxes)} bbox entries')
        images = []
        for name_ref, bbox_ref in _progress(
                list(zip(names, bboxes)), progress):
            name = ''.join(map(chr, f[name_ref][()].ravel()))
            fields = [values(f[bbox_ref][k]) for k in BOX_FIELDS]
            if len({len(v) for v in fields}) != 1:
                raise UserInputError(f'{mat_file}: {name}: ' + ', '.join(
                    f'{len(v)} {k}' for k, v in zip(BOX_FIELDS, fields)))
            boxes = []
            for left, top, width, height, label in zip(*fields):
                if label != int(label) or not 1 <= label <= 10:
                    raise UserInputError(
                        f'{mat_file}: {name}: label {label} is not 1-10 '
                        '(10 means digit 0)')
                boxes.append((float(left), float(top), float(width),
                              float(height), int(label) % 10))
            images.append(dict(name=name, boxes=boxes))
    return images


def _clip_box(box: Tuple[float, ...], width: int,
              height: int) -> Tuple[List[float], bool]:
    """Clip an ``(left, top, w, h, ...)`` box to the image.

    Only the sides outside the image move, so a box inside it comes back
    exactly as given (no float round trip through its corners).

    Returns:
        tuple: ``[x, y, w, h]`` after clipping and whether it changed.
    """
    x, y, w, h = (float(v) for v in box[:4])
    if x < 0:
        x, w = 0., w + x
    if y < 0:
        y, h = 0., h + y
    if x + w > width:
        w = width - x
    if y + h > height:
        h = height - y
    bbox = [x, y, w, h]
    return bbox, bbox != list(box[:4])


def write_split(images: List[dict], src_dir: str, out_root: str, split: str,
                link: bool, progress: bool) -> Dict[str, int]:
    """Write one split in the course layout.

    Args:
        images (list[dict]): ``{'name': file name in src_dir, 'boxes':
            [(left, top, width, height, digit), ...]}`` per image, in the
            order of the new ids (from 1); ``'image'`` (a BGR array) instead
            of ``'name'`` writes that image.
        src_dir (str): Folder of the source images (unused for items
            with ``'image'``).
        out_root (str): Destination ``data_root``.
        split (str): Split name: images go to ``out_root/split/<id>.png``,
            the COCO json (written last) to ``out_root/split.json``.
        link (bool): Hard-link the images instead of copying them.
        progress (bool): Show a progress bar.

    Returns:
        dict: ``{'images', 'boxes', 'clipped', 'dropped'}`` counts.
    """
    dst_dir = osp.join(out_root, split)
    os.makedirs(dst_dir, exist_ok=True)
    coco_images, annotations = [], []
    counts = dict(images=len(images), boxes=0, clipped=0, dropped=0)
    dropped = []
    for img_id, item in enumerate(_progress(images, progress), 1):
        dst = osp.join(dst_dir, f'{img_id}.png')
        if 'image' in item:
            src = f'image {img_id}'
            height, width = item['image'].shape[:2]
            mmcv.imwrite(item['image'], dst)
        else:
            src = osp.join(src_dir, item['name'])
            with Image.open(src) as im:  # reads the header only
                width, height = im.size
            if link:
                os.link(src, dst)
            else:
                shutil.copyfile(src, dst)
        coco_images.append(
            dict(
                id=img_id,
                file_name=f'{img_id}.png',
                height=height,
                width=width))
        for box in item['boxes']:
            bbox, clipped = _clip_box(box, width, height)
            # What mmdet and check_dataset would reject: nothing left.
            if bbox[2] < 1 or bbox[3] < 1:
                counts['dropped'] += 1
                dropped.append(f'{src} box {list(box[:4])} ({width}x'
                               f'{height} image)')
                continue
            counts['boxes'] += 1
            counts['clipped'] += clipped
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=img_id,
                    bbox=bbox,
                    category_id=label_to_category_id(box[4]),
                    area=bbox[2] * bbox[3],
                    iscrowd=0))
    if dropped:
        print_log(
            f'{split}: dropped {len(dropped)} box(es) with nothing '
            f'left inside the image, e.g. {dropped[0]}',
            logger='current',
            level=logging.WARNING)
    # Written last: a json on disk means the split is complete.
    coco = dict(
        images=coco_images,
        annotations=annotations,
        categories=DIGIT_CATEGORIES)
    atomic_write_bytes(
        osp.join(out_root, f'{split}.json'),
        json.dumps(coco).encode())
    return counts


def convert_svhn(svhn_root: str,
                 out_root: str,
                 splits: Sequence[str] = ('train', 'test'),
                 split_valid: int = 0,
                 seed: int = 0,
                 link: bool = False,
                 progress: bool = True) -> Dict[str, Dict[str, int]]:
    """Convert SVHN format-1 splits to the course layout.

    Each ``svhn_root/<split>/`` (``train``, ``test`` or ``extra``, holding
    ``digitStruct.mat`` and the png files) becomes
    ``out_root/<split>/<id>.png`` with ids from 1 in ``digitStruct`` order,
    plus ``out_root/<split>.json`` in COCO format (``images {id, file_name,
    height, width}`` with the real image size, ``annotations {id, image_id,
    bbox [x, y, w, h], category_id = digit + 1, area, iscrowd 0}``,
    categories ``'0'``-``'9'`` with ids 1-10). Boxes are clipped to the
    image (SVHN has boxes 1-3 px outside it, some with negative left/top);
    a box with less than 1 px of width or height left is dropped and
    counted.

    The course layout has no json for its unlabelled ``test/``; SVHN's test
    set is labelled, so ``test.json`` is written too: the training configs
    and ``tools/check_dataset.py`` ignore it, and it can serve to evaluate on
    SVHN test (e.g. as a ``valid`` split).

    Args:
        svhn_root (str): Folder with SVHN's ``train/``, ``test/``, ...
        out_root (str): Destination ``data_root``; the split folders it
            writes must be empty or not exist yet.
        splits (Sequence[str]): SVHN splits to convert. Defaults to
            ``('train', 'test')``.
        split_valid (int): Move this many random train images to ``valid/``
            and ``valid.json``; both keep the source order and are numbered
            from 1. Defaults to 0 (no ``valid``).
        seed (int): Seed of the ``valid`` draw. Defaults to 0.
        link (bool): Hard-link the images instead of copying them (same
            file system only). Defaults to False.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        dict: Per written split, ``{'images', 'boxes', 'clipped',
        'dropped'}`` counts (``boxes`` excludes the dropped ones).
    """
    if split_valid < 0:
        raise UserInputError(f'split_valid={split_valid} is negative')
    if split_valid and 'train' not in splits:
        raise UserInputError('split_valid needs the train split')
    if split_valid and 'valid' in splits:
        raise UserInputError("split_valid writes 'valid'; do not list it")
    # Fail before writing anything.
    for split in splits:
        mat_file = osp.join(svhn_root, split, 'digitStruct.mat')
        if not osp.isfile(mat_file):
            raise InputNotFoundError(f'{mat_file} not found')
    for split in list(splits) + (['valid'] if split_valid else []):
        dst_dir = osp.join(out_root, split)
        if osp.isdir(dst_dir) and os.listdir(dst_dir):
            # Files of an earlier, bigger run would sit among the new ids.
            raise OutputExistsError(f'{dst_dir} is not empty; remove it first')
    summary = {}
    for split in splits:
        src_dir = osp.join(svhn_root, split)
        mat_file = osp.join(src_dir, 'digitStruct.mat')
        if progress:
            print(f'reading {mat_file}')
        images = read_digit_struct(mat_file, progress=progress)
        parts = [(split, images)]
        if split == 'train' and split_valid:
            if not 0 < split_valid < len(images):
                raise UserInputError(
                    f'split_valid={split_valid} but train has '
                    f'{len(images)} images')
            rng = np.random.default_rng(seed)
            chosen = set(
                rng.choice(len(images), split_valid, replace=False).tolist())
            parts = [('train',
                      [im for i, im in enumerate(images) if i not in chosen]),
                     ('valid',
                      [im for i, im in enumerate(images) if i in chosen])]
        for name, part in parts:
            if progress:
                print(f'writing {osp.join(out_root, name)}/')
            summary[name] = write_split(part, src_dir, out_root, name, link,
                                        progress)
    return summary
