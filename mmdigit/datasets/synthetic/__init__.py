"""Synthetic SVHN-like house numbers, the project's pretraining data.

:class:`HouseNumberRenderer` renders sample ``i`` of seed ``s`` from
``(s, i)`` alone; :class:`SyntheticDigitDataset` renders it on the fly and
:func:`make_synthetic_dataset` writes the same samples in the course layout
(what is rendered: docs/data.md#synthetic-data).
"""
from .dataset import SyntheticDigitDataset
from .fonts import find_fonts
from .renderer import HouseNumberRenderer
from .writer import SPLIT_SEED_BASE, make_synthetic_dataset, split_seed

__all__ = [
    'HouseNumberRenderer', 'find_fonts', 'make_synthetic_dataset',
    'split_seed', 'SPLIT_SEED_BASE', 'SyntheticDigitDataset'
]
