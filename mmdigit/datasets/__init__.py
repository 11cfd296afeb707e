from .digit_coco import DIGIT_METAINFO, DigitCocoDataset
from .image_folder import DigitImageFolderDataset
from .synthetic import (HouseNumberRenderer, find_fonts,
                        make_synthetic_dataset)

__all__ = [
    'DIGIT_METAINFO', 'DigitCocoDataset', 'DigitImageFolderDataset',
    'HouseNumberRenderer', 'find_fonts', 'make_synthetic_dataset'
]
