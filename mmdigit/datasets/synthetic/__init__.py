"""Synthetic SVHN-like house numbers rendered from ``(seed, index)`` alone,
the pretraining data (what is rendered: docs/data.md#synthetic-data)."""
from .dataset import SyntheticDigitDataset
from .fonts import find_fonts
from .renderer import HouseNumberRenderer
from .writer import SPLIT_SEED_BASE, make_synthetic_dataset, split_seed

__all__ = [
    'HouseNumberRenderer', 'find_fonts', 'make_synthetic_dataset',
    'split_seed', 'SPLIT_SEED_BASE', 'SyntheticDigitDataset'
]
