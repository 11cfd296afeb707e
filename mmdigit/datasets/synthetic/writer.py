"""Writing rendered samples to disk in the course layout."""
from typing import Dict

import mmcv

from ..layout import progress_bar, write_split
from .renderer import HouseNumberRenderer

#: Renderer seeds of the on-disk splits start here, above every seed a
#: config or user gives an on-the-fly dataset.
SPLIT_SEED_BASE = 2**31


def split_seed(seed: int, split_index: int) -> int:
    """Renderer seed of :func:`make_synthetic_dataset`'s split ``split_index``
    (0 train, 1 valid, 2 test), distinct from every on-the-fly seed."""
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
        num_train, num_valid, num_test (int): Images per split.
        seed (int): Seed; the same seed gives the same bytes.
        progress (bool): Show progress bars.

    Returns:
        dict[str, int]: Images written per split.
    """
    splits = [('train', num_train), ('valid', num_valid), ('test', num_test)]
    for i, (split, num) in enumerate(splits):
        render = HouseNumberRenderer(split_seed(seed, i)).render_array
        samples = (dict(
            image=mmcv.rgb2bgr(im), boxes=[(*b, d) for d, b in an])
                   for im, an in map(render, range(num)))
        bar = progress_bar(samples, progress, num)
        write_split(bar, '', out_dir, split, labelled=split != 'test')
    return dict(splits)
