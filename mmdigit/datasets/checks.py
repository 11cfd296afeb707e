"""Dataset validation for ``tools/check_dataset.py`` and the datasets.

Errors would crash training or change the labels (mmdet quietly drops bad
boxes); warnings say how what they find is handled.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from functools import partial
from typing import Dict, Iterable, List, Optional, Sequence

from mmengine.utils import track_iter_progress

from ..utils.digits import DIGIT_CLASSES
from ..utils.errors import MMDigitUserError

ERROR, WARNING = 'error', 'warning'

LARGE_SIDE = 4000  # fine (every pipeline resizes) but slow to decode

_REQUIRED = {
    'images': ('id', 'file_name', 'height', 'width'),
    'annotations': ('id', 'image_id', 'bbox', 'category_id', 'area'),
    'categories': ('id', 'name'),
}
# How OpenCV (mmcv's default loader, IMREAD_COLOR) turns PIL modes into the
# 3-channel 8-bit BGR image the model sees.
_MODE_HANDLING = {
    'L': 'grayscale: loaded with the grey value copied to 3 channels',
    'LA': 'grayscale + alpha: alpha dropped, grey copied to 3 channels',
    'RGBA': 'RGBA: the alpha channel is dropped',
    'P': 'palette: loaded as its RGB colours (transparency dropped)',
    'I;16': '16-bit: scaled to 8 bits (value / 256)',
    'I;16B': '16-bit: scaled to 8 bits (value / 256)',
    'I': '32-bit integer: scaled to 8 bits by OpenCV',
    'CMYK': 'CMYK: converted to BGR',
    '1': '1-bit: loaded as black and white',
}


def progress_bar(items: Iterable, show: bool, total: Optional[int] = None):
    """``items`` (``total`` of them) behind mmengine's progress bar."""
    total = len(items) if show and total is None else total
    return track_iter_progress((items, total)) if show and total else items


@dataclass(frozen=True)
class DatasetProblem:
    """One problem: ``level`` (error/warning), ``kind`` (e.g.
    ``'missing_image'``), ``where`` (file and json entry) and ``message``."""

    level: str
    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f'{self.level}: {self.where}: {self.message}'


class DatasetError(MMDigitUserError, ValueError):
    """``problems`` (at least one error) of ``source``, in one line."""

    def __init__(self, problems: Sequence[DatasetProblem],
                 source: str) -> None:
        self.problems = list(problems)
        self.source = source
        errors = [p for p in self.problems if p.level == ERROR]
        more = (f' (and {len(errors) - 1} more; run tools/check_dataset.py '
                'for the full list)') if len(errors) > 1 else ''
        super().__init__(f'{errors[0]}{more}')


def _image_problems(path: str, size: Optional[tuple],
                    decode: bool) -> List[tuple]:
    """``(level, kind, message)`` of each problem of one image file;
    ``size`` is the json's ``(w, h)``."""
    from PIL import Image

    if not osp.isfile(path):
        return [(ERROR, 'missing_image', 'image file not found')]
    if osp.getsize(path) == 0:
        return [(ERROR, 'unreadable_image', 'empty (0-byte) file')]
    try:
        with Image.open(path) as im:
            mode, (w, h) = im.mode, im.size
            if decode:
                im.load()  # truncated files fail here, not at open
    except Exception as e:  # PIL raises many types for bad files
        return [(ERROR, 'unreadable_image', f'cannot be decoded ({e})')]
    found = []
    if size is not None and (w, h) != tuple(size):
        found.append((ERROR, 'size_mismatch',
                      f'file is {w}x{h} but the json says {size[0]}x'
                      f'{size[1]} (boxes would be misplaced)'))
    if mode != 'RGB':
        found.append((WARNING, 'non_rgb_image',
                      _MODE_HANDLING.get(
                          mode, f'mode {mode}: converted by OpenCV to 8-bit '
                          'BGR')))
    if max(w, h) > LARGE_SIDE:
        found.append((WARNING, 'large_image',
                      f'{w}x{h} px: resized by the pipeline like any other '
                      'image, but slow to decode'))
    return found


def load_coco_json(ann_file: str) -> dict:
    """Read a COCO json, raising a one-line :class:`DatasetError` if bad."""

    def fail(kind, message):
        raise DatasetError([DatasetProblem(ERROR, kind, ann_file, message)],
                           ann_file)

    if not osp.isfile(ann_file):
        fail('missing_json', 'annotation file not found')
    try:
        with open(ann_file) as f:
            coco = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        fail('malformed_json', f'not valid json ({e})')
    if not isinstance(coco, dict):
        fail('malformed_json', 'the top level must be an object')
    if missing := [k for k in _REQUIRED if not isinstance(coco.get(k), list)]:
        fail('missing_key', f'no {" / ".join(missing)} list')
    return coco


def _box_problem(bbox, width: int, height: int) -> Optional[tuple]:
    """``(level, kind, message)`` of a bad box, or None."""
    if not (isinstance(bbox, list) and len(bbox) == 4
            and all(isinstance(v, (int, float)) for v in bbox)):
        return ERROR, 'bad_box', f'bbox {bbox!r} is not [x, y, w, h]'
    x, y, w, h = bbox
    if w < 1 or h < 1:
        return (ERROR, 'bad_box', f'bbox {bbox} has w or h < 1 px (mmdet '
                'would drop it, changing the number)')
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        return (ERROR, 'bad_box',
                f'bbox {bbox} lies outside the {width}x{height} image')
    if x < 0 or y < 0 or x + w > width or y + h > height:
        return (WARNING, 'box_outside', f'bbox {bbox} sticks out of the '
                f'{width}x{height} image (clipped by Resize)')
    return None


def check_coco_split(ann_file: str,
                     img_dir: str,
                     decode: bool = True,
                     check_files: bool = True,
                     progress: bool = False) -> List[DatasetProblem]:
    """Every problem (errors and warnings) of a labelled split's json and
    of its images in ``img_dir``.

    Args:
        decode (bool): Decode every image fully (finds truncated files).
        check_files (bool): Open the image files at all.
    """
    try:
        coco = load_coco_json(ann_file)
    except DatasetError as e:
        return e.problems
    problems: List[DatasetProblem] = []

    def add(where, level, kind, message):
        problems.append(DatasetProblem(level, kind, where, message))

    def entries(section):
        """``(where, entry)`` of the section's entries with every key."""
        for i, entry in enumerate(coco[section]):
            where = f'{ann_file} {section}[{i}]'
            if not isinstance(entry, dict):
                add(where, ERROR, 'missing_key', 'not an object')
            elif keys := [k for k in _REQUIRED[section] if k not in entry]:
                add(where, ERROR, 'missing_key',
                    f'missing key(s) {", ".join(keys)}')
            else:
                yield where, entry

    cat_ids = set()
    for where, cat in entries('categories'):
        cat_ids.add(cat['id'])
        if str(cat['name']) not in DIGIT_CLASSES:
            add(where, ERROR, 'unknown_category',
                f'name {cat["name"]!r} is not a digit 0-9')
    images: Dict[int, dict] = {}
    for where, img in entries('images'):
        if img['id'] in images:
            add(where, ERROR, 'duplicate_id',
                f'image id {img["id"]} appears more than once')
        images[img['id']] = img
    annotated, ann_ids = set(), set()
    for where, ann in entries('annotations'):
        where = f'{where} (id {ann["id"]})'
        if ann['id'] in ann_ids:
            add(where, ERROR, 'duplicate_id',
                f'annotation id {ann["id"]} appears more than once')
        ann_ids.add(ann['id'])
        img = images.get(ann['image_id'])
        if img is None:
            add(where, ERROR, 'unknown_image',
                f'image_id {ann["image_id"]} is not in images')
            continue
        annotated.add(ann['image_id'])
        if ann['category_id'] not in cat_ids:
            add(where, ERROR, 'unknown_category',
                f'category_id {ann["category_id"]} is not in categories')
        if bad := _box_problem(ann['bbox'], img['width'], img['height']):
            add(where, *bad)
    for img_id, img in images.items():
        if img_id not in annotated:
            add(
                f'{osp.join(img_dir, img["file_name"])} (image id {img_id})',
                WARNING, 'no_annotations',
                'no annotations: skipped in training (filter_empty_gt), '
                'reads as "-1" in validation')
    if check_files:
        for img in progress_bar(list(images.values()), progress):
            path = osp.join(img_dir, img['file_name'])
            for p in _image_problems(path, (img['width'], img['height']),
                                     decode):
                add(f'{path} (image id {img["id"]})', *p)
    return problems


def check_image_folder(img_dir: str,
                       suffixes: Sequence[str] = ('.png', '.jpg', '.jpeg'),
                       decode: bool = True,
                       check_files: bool = True) -> List[DatasetProblem]:
    """Every problem of an unlabelled folder such as ``test/`` (unreadable
    images are warnings: inference writes ``-1`` for them).

    Args:
        suffixes (Sequence[str]): Image extensions, lower case.
        check_files (bool): Open the image files (False: names only).
    """
    if not osp.isdir(img_dir):
        return [
            DatasetProblem(ERROR, 'missing_folder', img_dir, 'folder '
                           'not found')
        ]
    names = sorted(
        n for n in os.listdir(img_dir)
        if osp.splitext(n)[1].lower() in suffixes)
    problems = [] if names else [
        DatasetProblem(ERROR, 'empty_folder', img_dir,
                       f'no {"/".join(suffixes)} images')
    ]
    for name in names:
        path = osp.join(img_dir, name)
        if not osp.splitext(name)[0].isdigit():
            problems.append(
                DatasetProblem(
                    ERROR, 'bad_name', path,
                    'not named <integer id>.png (the image_id of pred.csv)'))
        elif check_files:
            for level, kind, message in _image_problems(path, None, decode):
                if level == ERROR:  # unreadable: inference goes on
                    level, message = WARNING, f'{message}: written as -1'
                problems.append(DatasetProblem(level, kind, path, message))
    return problems


def check_dataset(data_root: str,
                  decode: bool = True,
                  progress: bool = False) -> Dict[str, List[DatasetProblem]]:
    """Problems per split (``train``, ``valid``, ``test``) of a dataset in
    the course layout."""
    path = partial(osp.join, data_root)
    return dict(
        train=check_coco_split(
            path('train.json'), path('train'), decode, progress=progress),
        valid=check_coco_split(
            path('valid.json'), path('valid'), decode, progress=progress),
        test=check_image_folder(path('test'), decode=decode))
