"""Reading and writing splits in the course layout: ``<split>/<id>.png``
with ids from 1 plus a COCO ``<split>.json`` (``category_id = digit + 1``).
"""
import json
import logging
import os
import os.path as osp
import shutil
from typing import Dict, Iterable, List, Sequence, Set, Tuple

import mmcv
import numpy as np
from mmengine.logging import print_log
from PIL import Image

from ..utils.digits import (DIGIT_CATEGORIES, category_id_to_label,
                            label_to_category_id)
from ..utils.errors import OutputExistsError, UserInputError
from ..utils.fileio import atomic_write_bytes
from .checks import load_coco_json, progress_bar


def ensure_empty(*dirs: str) -> None:
    """Refuse output folders that are links or hold files (an earlier run's
    files would sit among the new ids)."""
    for d in dirs:
        if osp.islink(d) or (osp.isdir(d) and os.listdir(d)):
            raise OutputExistsError(f'{d} is not empty; remove it first')


def draw_indices(total: int, num: int, seed: int, what: str) -> Set[int]:
    """``num`` distinct random indices below ``total``; ``what`` names the
    request in the error, e.g. ``'num=5 but train'``."""
    if not 0 < num < total:
        raise UserInputError(f'{what} has {total} images')
    return set(np.random.default_rng(seed).choice(total, num, False).tolist())


def read_split(data_root: str, split: str) -> Tuple[List[dict], Dict]:
    """A labelled split's COCO ``images`` and ``{image id: [[x, y, w, h,
    digit], ...]}``."""
    coco = load_coco_json(osp.join(data_root, f'{split}.json'))
    boxes: Dict[int, list] = {img['id']: [] for img in coco['images']}
    for ann in coco['annotations']:
        boxes[ann['image_id']].append(
            [*ann['bbox'],
             int(category_id_to_label(ann['category_id']))])
    return coco['images'], boxes


def _clip_box(box: Sequence[float], width: int,
              height: int) -> Tuple[List[float], bool]:
    """``[x, y, w, h]`` of ``box`` clipped to the image, and whether it
    changed (only sides outside move: no float round trip)."""
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


def write_split(images: Iterable[dict],
                src_dir: str,
                out_root: str,
                split: str,
                link: bool = False,
                progress: bool = False,
                labelled: bool = True) -> Dict[str, int]:
    """Write ``out_root/<split>/<id>.png`` and (last) ``<split>.json``;
    returns the ``images``, ``boxes``, ``clipped`` and ``dropped`` counts.

    Boxes are clipped to the image; one with less than 1 px of width or
    height left (what mmdet and check_dataset reject) is dropped.

    Args:
        images (Iterable[dict]): In the order of the new ids, ``{'name':
            file name in src_dir, 'boxes': [(x, y, w, h, digit), ...]}``,
            or ``'image'`` (a BGR array) instead of ``'name'``.
        link (bool): Hard-link the images instead of copying them.
        labelled (bool): Write the json (False: images only, as ``test/``).
    """
    dst_dir = osp.join(out_root, split)
    if progress:
        print(f'writing {dst_dir}/')
    os.makedirs(dst_dir, exist_ok=True)
    coco = dict(images=[], annotations=[], categories=DIGIT_CATEGORIES)
    clipped, dropped = 0, []
    for img_id, item in enumerate(progress_bar(images, progress), 1):
        dst = osp.join(dst_dir, f'{img_id}.png')
        if 'image' in item:
            src = f'image {img_id}'
            height, width = item['image'].shape[:2]
            mmcv.imwrite(item['image'], dst)
        else:
            src = osp.join(src_dir, item['name'])
            with Image.open(src) as im:  # reads the header only
                width, height = im.size
            (os.link if link else shutil.copyfile)(src, dst)
        coco['images'].append(
            dict(
                id=img_id,
                file_name=f'{img_id}.png',
                height=height,
                width=width))
        for box in item['boxes']:
            bbox, changed = _clip_box(box, width, height)
            if bbox[2] < 1 or bbox[3] < 1:
                dropped.append(f'{src} box {list(box[:4])} ({width}x'
                               f'{height} image)')
                continue
            clipped += changed
            coco['annotations'].append(
                dict(
                    id=len(coco['annotations']) + 1,
                    image_id=img_id,
                    bbox=bbox,
                    category_id=label_to_category_id(box[4]),
                    area=bbox[2] * bbox[3],
                    iscrowd=0))
    if dropped:
        print_log(
            f'{split}: dropped {len(dropped)} box(es) with nothing '
            f'left inside the image, e.g. {dropped[0]}', 'current',
            logging.WARNING)
    if labelled:  # written last: a json on disk means the split is complete
        atomic_write_bytes(
            osp.join(out_root, f'{split}.json'),
            json.dumps(coco).encode())
    return dict(
        images=len(coco['images']),
        boxes=len(coco['annotations']),
        clipped=clipped,
        dropped=len(dropped))
