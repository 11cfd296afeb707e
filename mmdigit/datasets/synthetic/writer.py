"""Writing rendered samples to disk in the course layout."""
import json
import os
import os.path as osp
from typing import Dict

from mmengine.utils import track_iter_progress
from PIL import Image

from ...utils.digits import DIGIT_CATEGORIES, label_to_category_id
from .renderer import HouseNumberRenderer

#: Renderer seeds of the on-disk splits start here, above every seed a
#: config or user gives an on-the-fly dataset.
SPLIT_SEED_BASE = 2**31


def split_seed(seed: int, split_index: int) -> int:
    """Renderer seed of split ``split_index`` (0 train, 1 valid, 2 test) of
    :func:`make_synthetic_dataset` with ``seed``: distinct for every
    ``(seed, split_index)`` and never below ``SPLIT_SEED_BASE``, so no
    pretraining trains on the images it is validated on."""
    if not 0 <= split_index < 3:
        raise ValueError(f'split_index must be 0, 1 or 2, not {split_index}')
    return SPLIT_SEED_BASE + 3 * int(seed) + split_index


def make_synthetic_dataset(out_dir: str,
                           num_train: int = 3000,
                           num_valid: int = 300,
                           num_test: int = 300,
                           seed: int = 0,
                           progress: bool = True) -> Dict[str, int]:
    """Write a synthetic dataset in the course layout.

    Image ``k`` (from 1) of split ``j`` is sample ``k - 1`` of
    ``SyntheticDigitDataset(seed=split_seed(seed, j))``.

    Args:
        out_dir (str): Destination ``data_root``.
        num_train (int): Images in ``train/``. Defaults to 3000.
        num_valid (int): Images in ``valid/``. Defaults to 300.
        num_test (int): Unlabelled images in ``test/``. Defaults to 300.
        seed (int): Seed; the same seed gives byte-identical output.
            Defaults to 0.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict[str, int]: Number of images written per split.
    """
    splits = [('train', num_train), ('valid', num_valid), ('test', num_test)]
    for i, (split, num) in enumerate(splits):
        renderer = HouseNumberRenderer(seed=split_seed(seed, i))
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        images, annotations = [], []
        ids = range(1, num + 1)
        for img_id in track_iter_progress(ids) if progress and num else ids:
            img, anns = renderer.render_array(img_id - 1)
            file_name = f'{img_id}.png'
            Image.fromarray(img).save(osp.join(out_dir, split, file_name))
            height, width = img.shape[:2]
            images.append(
                dict(
                    id=img_id, file_name=file_name, height=height,
                    width=width))
            for digit, bbox in anns:
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=img_id,
                        bbox=bbox,
                        category_id=label_to_category_id(digit),
                        area=round(bbox[2] * bbox[3], 2),
                        iscrowd=0))
        if split != 'test':
            with open(osp.join(out_dir, f'{split}.json'), 'w') as f:
                json.dump(
                    dict(
                        images=images,
                        annotations=annotations,
                        categories=DIGIT_CATEGORIES), f)
    return dict(splits)
