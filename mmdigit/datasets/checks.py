"""Dataset validation shared by ``tools/check_dataset.py`` and the datasets.

Every problem names the file (and the json entry) it is about. Errors are
what would crash training mid-epoch or silently change the labels (mmdet's
``CocoDataset`` quietly drops boxes that are degenerate, outside the image
or of an unknown category, which changes the house number a digit belongs
to); warnings are what is handled, with how.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from ..utils.digits import DIGIT_CLASSES
from ..utils.errors import MMDigitUserError

ERROR = 'error'
WARNING = 'warning'

#: Larger images are fine (every pipeline resizes) but worth knowing about.
LARGE_SIDE = 4000

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


@dataclass(frozen=True)
class DatasetProblem:
    """One problem found in a dataset.

    Args:
        level (str): ``'error'`` or ``'warning'``.
        kind (str): Short machine-readable kind, e.g. ``'missing_image'``.
        where (str): The file, plus the json entry where it applies.
        message (str): What is wrong, or how it is handled.
    """

    level: str
    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f'{self.level}: {self.where}: {self.message}'


class DatasetError(MMDigitUserError, ValueError):
    """A dataset has errors; the message is one line naming the first.

    Args:
        problems (Sequence[DatasetProblem]): All problems found (at least
            one error).
        source (str): The json or folder checked.
    """

    def __init__(self, problems: Sequence[DatasetProblem],
                 source: str) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.level == ERROR]
        more = (f' (and {len(errors) - 1} more; run tools/check_dataset.py '
                'for the full list)') if len(errors) > 1 else ''
        self.source = source
        super().__init__(f'{errors[0]}{more}')


def _image_problems(path: str, where: str, size: Optional[tuple],
                    decode: bool) -> List[DatasetProblem]:
    """Problems of one image file; ``size`` is the json's ``(w, h)``."""
    from PIL import Image
    if not osp.isfile(path):
        return [
            DatasetProblem(ERROR, 'missing_image', where,
                           'image file not found')
        ]
    if osp.getsize(path) == 0:
        return [
            DatasetProblem(ERROR, 'unreadable_image', where,
                           'empty (0-byte) file')
        ]
    problems = []
    try:
        with Image.open(path) as im:
            mode, (w, h) = im.mode, im.size
            if decode:
                im.load()  # truncated files fail here, not at open
    except Exception as e:  # PIL raises many types for bad files
        return [
            DatasetProblem(ERROR, 'unreadable_image', where,
                           f'cannot be decoded ({e})')
        ]
    if size is not None and (w, h) != tuple(size):
        problems.append(
            DatasetProblem(
                ERROR, 'size_mismatch', where,
                f'file is {w}x{h} but the json says {size[0]}x{size[1]} '
                '(boxes would be misplaced)'))
    if mode != 'RGB':
        handling = _MODE_HANDLING.get(
            mode, f'mode {mode}: converted by OpenCV to 8-bit BGR')
        problems.append(
            DatasetProblem(WARNING, 'non_rgb_image', where, handling))
    if max(w, h) > LARGE_SIDE:
        problems.append(
            DatasetProblem(
                WARNING, 'large_image', where,
                f'{w}x{h} px: resized by the pipeline like any other image, '
                'but slow to decode'))
    return problems


def load_coco_json(ann_file: str) -> dict:
    """Read a COCO json, raising :class:`DatasetError` on a bad file.

    Args:
        ann_file (str): Path of the json.

    Returns:
        dict: The parsed json.
    """

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
    missing = [k for k in _REQUIRED if not isinstance(coco.get(k), list)]
    if missing:
        fail('missing_key', f'no {" / ".join(missing)} list')
    return coco


def check_coco_split(ann_file: str,
                     img_dir: str,
                     decode: bool = True,
                     check_files: bool = True,
                     progress: bool = False) -> List[DatasetProblem]:
    """Check a labelled split: its json against itself and its images.

    Args:
        ann_file (str): The split's COCO json.
        img_dir (str): Folder the json's ``file_name`` entries are in.
        decode (bool): Decode every image fully (finds truncated files).
            Defaults to True.
        check_files (bool): Open the image files at all. Defaults to True.
        progress (bool): Show a progress bar. Defaults to False.

    Returns:
        list[DatasetProblem]: Every problem found, errors and warnings.
    """
    try:
        coco = load_coco_json(ann_file)
    except DatasetError as e:
        return e.problems
    problems: List[DatasetProblem] = []

    def add(level, kind, where, message):
        problems.append(DatasetProblem(level, kind, where, message))

    def missing_keys(entry, section, index):
        if not isinstance(entry, dict):
            add(ERROR, 'missing_key', f'{ann_file} {section}[{index}]',
                'not an object')
            return True
        keys = [k for k in _REQUIRED[section] if k not in entry]
        if keys:
            add(ERROR, 'missing_key', f'{ann_file} {section}[{index}]',
                f'missing key(s) {", ".join(keys)}')
        return bool(keys)

    cat_ids = set()
    for i, cat in enumerate(coco['categories']):
        if missing_keys(cat, 'categories', i):
            continue
        cat_ids.add(cat['id'])
        if str(cat['name']) not in DIGIT_CLASSES:
            add(ERROR, 'unknown_category', f'{ann_file} categories[{i}]',
                f'name {cat["name"]!r} is not a digit 0-9')
    images: Dict[int, dict] = {}
    for i, img in enumerate(coco['images']):
        if missing_keys(img, 'images', i):
            continue
        if img['id'] in images:
            add(ERROR, 'duplicate_id', f'{ann_file} images[{i}]',
                f'image id {img["id"]} appears more than once')
        images[img['id']] = img
    annotated = set()
    ann_ids = set()
    for i, ann in enumerate(coco['annotations']):
        if missing_keys(ann, 'annotations', i):
            continue
        where = f'{ann_file} annotations[{i}] (id {ann["id"]})'
        if ann['id'] in ann_ids:
            add(ERROR, 'duplicate_id', where,
                f'annotation id {ann["id"]} appears more than once')
        ann_ids.add(ann['id'])
        img = images.get(ann['image_id'])
        if img is None:
            add(ERROR, 'unknown_image', where,
                f'image_id {ann["image_id"]} is not in images')
            continue
        annotated.add(ann['image_id'])
        if ann['category_id'] not in cat_ids:
            add(ERROR, 'unknown_category', where,
                f'category_id {ann["category_id"]} is not in categories')
        bbox = ann['bbox']
        if not (isinstance(bbox, list) and len(bbox) == 4
                and all(isinstance(v, (int, float)) for v in bbox)):
            add(ERROR, 'bad_box', where, f'bbox {bbox!r} is not [x, y, w, h]')
            continue
        x, y, w, h = bbox
        if w < 1 or h < 1:
            add(
                ERROR, 'bad_box', where,
                f'bbox {bbox} has w or h < 1 px (mmdet would drop it, '
                'changing the number)')
        elif x >= img['width'] or y >= img['height'] or x + w <= 0 or \
                y + h <= 0:
            add(
                ERROR, 'bad_box', where,
                f'bbox {bbox} lies outside the {img["width"]}x'
                f'{img["height"]} image')
        elif x < 0 or y < 0 or x + w > img['width'] or \
                y + h > img['height']:
            add(
                WARNING, 'box_outside', where,
                f'bbox {bbox} sticks out of the {img["width"]}x'
                f'{img["height"]} image (clipped by Resize)')
    for img_id, img in images.items():
        if img_id not in annotated:
            add(
                WARNING, 'no_annotations',
                f'{osp.join(img_dir, img["file_name"])} (image id {img_id})',
                'no annotations: skipped in training (filter_empty_gt), '
                'reads as "-1" in validation')
    if check_files:
        items = list(images.values())
        bar = None
        if progress and items:
            from mmengine.utils import ProgressBar
            bar = ProgressBar(len(items))
        for img in items:
            path = osp.join(img_dir, img['file_name'])
            problems += _image_problems(path, f'{path} (image id {img["id"]})',
                                        (img['width'], img['height']), decode)
            if bar is not None:
                bar.update()
    return problems


def check_image_folder(img_dir: str,
                       suffixes: Sequence[str] = ('.png', '.jpg', '.jpeg'),
                       decode: bool = True,
                       check_files: bool = True) -> List[DatasetProblem]:
    """Check an unlabelled folder such as ``test/``.

    Args:
        img_dir (str): The folder.
        suffixes (Sequence[str]): Image extensions, lower case. Defaults to
            ``('.png', '.jpg', '.jpeg')``.
        decode (bool): Decode every image fully. Defaults to True.
        check_files (bool): Open the image files at all (False checks only
            the folder and the names). Defaults to True.

    Returns:
        list[DatasetProblem]: Every problem found. Unreadable images are
        warnings here: inference writes ``-1`` for them.
    """
    if not osp.isdir(img_dir):
        return [
            DatasetProblem(ERROR, 'missing_folder', img_dir,
                           'folder not found')
        ]
    problems = []
    names = sorted(
        n for n in os.listdir(img_dir)
        if osp.splitext(n)[1].lower() in suffixes)
    if not names:
        problems.append(
            DatasetProblem(ERROR, 'empty_folder', img_dir,
                           f'no {"/".join(suffixes)} images'))
    for name in names:
        path = osp.join(img_dir, name)
        if not osp.splitext(name)[0].isdigit():
            problems.append(
                DatasetProblem(
                    ERROR, 'bad_name', path,
                    'not named <integer id>.png (the image_id of '
                    'pred.csv)'))
            continue
        if not check_files:
            continue
        for p in _image_problems(path, path, None, decode):
            if p.kind in ('unreadable_image', 'missing_image'):
                p = DatasetProblem(WARNING, p.kind, p.where,
                                   f'{p.message}: written as -1')
            problems.append(p)
    return problems


def check_dataset(data_root: str,
                  decode: bool = True,
                  progress: bool = False) -> Dict[str, List[DatasetProblem]]:
    """Check a dataset in the course layout.

    Args:
        data_root (str): Folder with ``train/``, ``valid/``, ``test/``,
            ``train.json`` and ``valid.json``.
        decode (bool): Decode every image fully. Defaults to True.
        progress (bool): Show progress bars. Defaults to False.

    Returns:
        dict: Problems per split (``'train'``, ``'valid'``, ``'test'``).
    """
    result = {}
    for split in ('train', 'valid'):
        result[split] = check_coco_split(
            osp.join(data_root, f'{split}.json'),
            osp.join(data_root, split),
            decode=decode,
            progress=progress)
    result['test'] = check_image_folder(
        osp.join(data_root, 'test'), decode=decode)
    return result
