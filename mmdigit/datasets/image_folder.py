import copy
import logging
import os
import os.path as osp
from typing import Any, List, Sequence

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from .checks import DatasetError, check_image_folder
from .digit_coco import DIGIT_METAINFO

#: Size of the black stand-in image used for a file that cannot be read.
PLACEHOLDER_SIZE = 32


@DATASETS.register_module()
class DigitImageFolderDataset(BaseDetDataset):
    """Unlabelled images of a folder, e.g. the course's ``test/``.

    Every ``<id>.<ext>`` file of ``data_prefix['img']`` becomes one sample
    with ``img_id = int(<id>)``, sorted by id. There is no annotation file.

    A file that cannot be decoded (truncated, zero bytes, not an image) does
    not stop inference: a warning names it, a black
    ``PLACEHOLDER_SIZE`` x ``PLACEHOLDER_SIZE`` image goes through the rest
    of the pipeline and the sample's metainfo carries ``unreadable=True``, so
    the submission dumper writes ``-1`` for it and no boxes.

    Args:
        img_suffixes (Sequence[str]): File extensions to list, lower case.
            Defaults to ``('.png', '.jpg', '.jpeg')``.
        **kwargs: Passed to :class:`mmdet.datasets.BaseDetDataset`;
            ``test_mode`` defaults to True.
    """

    METAINFO = DIGIT_METAINFO

    def __init__(self,
                 *args,
                 img_suffixes: Sequence[str] = ('.png', '.jpg', '.jpeg'),
                 test_mode: bool = True,
                 **kwargs) -> None:
        self.img_suffixes = tuple(s.lower() for s in img_suffixes)
        super().__init__(*args, test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        """One ``data_info`` per image of the folder, sorted by ``img_id``."""
        folder = self.data_prefix.get('img', '')
        # names only: unreadable files are handled per sample below
        problems = check_image_folder(
            folder, self.img_suffixes, check_files=False)
        if problems:  # no folder, no images, or a name that is no id
            raise DatasetError(problems, folder)
        stems = [
            osp.splitext(name) for name in os.listdir(folder)
            if osp.splitext(name)[1].lower() in self.img_suffixes
        ]
        return [
            dict(
                img_path=osp.join(folder, stem + ext),
                img_id=int(stem),
                seg_map_path=None,
                instances=[])
            for stem, ext in sorted(stems, key=lambda name: int(name[0]))
        ]

    def prepare_data(self, idx: int) -> Any:
        """Transform sample ``idx``; an unreadable file gets a stand-in."""
        transforms = self.pipeline.transforms
        if not transforms or not isinstance(transforms[0], LoadImageFromFile):
            return super().prepare_data(idx)
        data_info = self.get_data_info(idx)
        try:
            results = transforms[0](copy.deepcopy(data_info))
        except Exception as e:  # cv2/PIL raise many types for bad files
            results, error = None, e
        else:
            error = 'could not be decoded'
        unreadable = results is None
        if unreadable:
            print_log(
                f'unreadable image {data_info["img_path"]} ({error}); '
                'it is written as -1 with no boxes',
                logger='current',
                level=logging.WARNING)
            img = np.zeros((PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, 3), np.uint8)
            results = dict(
                data_info,
                img=img,
                img_shape=img.shape[:2],
                ori_shape=img.shape[:2])
        for transform in transforms[1:]:
            results = transform(results)
            if results is None:
                return None
        samples = results['data_samples']
        for sample in samples if isinstance(samples, list) else [samples]:
            sample.set_metainfo(dict(unreadable=unreadable))
        return results
