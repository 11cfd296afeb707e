from .checks import (DatasetError, DatasetProblem, check_coco_split,
                     check_dataset, check_image_folder)
from .digit_coco import DIGIT_METAINFO, DigitCocoDataset
from .framing import reframe_split
from .holdout import hold_out, parse_id_ranges
from .image_folder import DigitImageFolderDataset
from .svhn import convert_svhn, read_digit_struct
from .synthetic import (HouseNumberRenderer, SyntheticDigitDataset, find_fonts,
                        make_synthetic_dataset, split_seed)
from .transforms import ColorJitter, GaussianBlur

__all__ = [
    'DIGIT_METAINFO', 'DigitCocoDataset', 'DigitImageFolderDataset',
    'HouseNumberRenderer', 'find_fonts', 'make_synthetic_dataset',
    'split_seed', 'SyntheticDigitDataset', 'ColorJitter', 'GaussianBlur',
    'DatasetError', 'DatasetProblem', 'check_coco_split', 'check_dataset',
    'check_image_folder', 'convert_svhn', 'read_digit_struct', 'hold_out',
    'parse_id_ranges', 'reframe_split'
]
