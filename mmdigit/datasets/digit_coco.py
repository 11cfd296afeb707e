import logging
from typing import List

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from ..utils.digits import DIGIT_CLASSES
from .checks import ERROR, DatasetError, check_coco_split

#: Classes and palette of every digit dataset: label ``i`` is digit ``i``.
DIGIT_METAINFO = dict(
    classes=DIGIT_CLASSES,
    palette=[(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
             (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230),
             (210, 245, 60), (0, 128, 128)])


@DATASETS.register_module()
class DigitCocoDataset(CocoDataset):
    """House-number digits in the course's COCO layout (classes matched by
    name, so ``category_id = digit + 1`` is label ``digit``).

    The split is validated first (:func:`check_coco_split`): an error
    raises a one-line :class:`DatasetError`; warnings are logged.

    Args:
        check_images (bool): Also open and decode every image file.
    """

    METAINFO = DIGIT_METAINFO

    def __init__(self, *args, check_images: bool = True, **kwargs) -> None:
        self.check_images = check_images
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Validate the split, then load it as ``CocoDataset`` does."""
        problems = check_coco_split(
            self.ann_file,
            self.data_prefix.get('img', ''),
            decode=self.check_images,
            check_files=self.check_images)
        if any(p.level == ERROR for p in problems):
            raise DatasetError(problems, self.ann_file)
        if problems:
            print_log(
                f'{self.ann_file}: {len(problems)} warning(s), e.g. '
                f'{problems[0]}; tools/check_dataset.py lists them all',
                'current', logging.WARNING)
        return super().load_data_list()
