import logging
import os
import os.path as osp
from typing import Any, Callable, List, Sequence, Union

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS
from mmengine.dataset import Compose
from mmengine.logging import print_log

from .checks import DatasetError, check_image_folder
from .digit_coco import DIGIT_METAINFO

PLACEHOLDER_SIZE = 32  # side of the black stand-in for an unreadable file


@DATASETS.register_module()
class DigitImageFolderDataset(BaseDetDataset):
    """Unlabelled images of a folder, e.g. the course's ``test/``.

    Every ``<id>.<ext>`` file of ``data_prefix['img']`` is a sample with
    ``img_id = int(<id>)``, sorted by id. An unreadable file goes on as a
    stand-in (:class:`StandInPipeline`), written as ``-1`` with no boxes.
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
        found = sorted((int(osp.splitext(n)[0]), n) for n in os.listdir(folder)
                       if osp.splitext(n)[1].lower() in self.img_suffixes)
        return [
            dict(
                img_path=osp.join(folder, name),
                img_id=i,
                seg_map_path=None,
                instances=[]) for i, name in found
        ]

    def prepare_data(self, idx: int) -> Any:
        """Transform sample ``idx``; an unreadable file gets a stand-in."""
        transforms = self.pipeline.transforms
        if not transforms or not isinstance(transforms[0], LoadImageFromFile):
            return super().prepare_data(idx)
        return StandInPipeline(
            self.pipeline, 1, lambda path, error: print_log(
                f'unreadable image {path} ({error}); it is written as -1 '
                'with no boxes', 'current', logging.WARNING))(
                    self.get_data_info(idx))


class StandInPipeline:
    """A test pipeline that goes on with a black ``PLACEHOLDER_SIZE``
    square when its first ``num_load`` (loading) transforms cannot read a
    file, calling ``report(path, why)`` and setting the samples' metainfo
    ``unreadable``. Arrays, and errors after loading, raise as usual."""

    def __init__(self, pipeline: Compose, num_load: int,
                 report: Callable[[str, str], None]) -> None:
        self.load = Compose(pipeline.transforms[:num_load])
        self.rest = Compose(pipeline.transforms[num_load:])
        self.report = report

    def __call__(self, results: Union[dict, str, np.ndarray]) -> Any:
        """Load and transform one sample (a ``data_info``, path or array)."""
        if isinstance(results, str):
            results = dict(img_path=results)
        try:
            loaded, error = self.load(results), 'could not be decoded'
        except Exception as e:  # cv2/PIL/fileio raise many types
            if isinstance(results, np.ndarray):
                raise
            loaded, error = None, f'{type(e).__name__}: {e}'
        unreadable = loaded is None
        if unreadable:
            self.report(results['img_path'], error)
            shape = (PLACEHOLDER_SIZE, PLACEHOLDER_SIZE)
            loaded = dict(
                results,
                img=np.zeros((*shape, 3), np.uint8),
                img_shape=shape,
                ori_shape=shape)
        results = self.rest(loaded)
        if results is not None:
            samples = results['data_samples']
            for sample in samples if isinstance(samples, list) else [samples]:
                sample.set_metainfo(dict(unreadable=unreadable))
        return results
