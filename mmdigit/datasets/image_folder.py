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

    Args:
        img_suffixes (Sequence[str]): File extensions to list, lower case.
        **kwargs: Passed to :class:`mmdet.datasets.BaseDetDataset`.
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
        return StandInPipeline(self.pipeline, 1, _log_unreadable)(
            self.get_data_info(idx))


def _log_unreadable(path: str, error: str) -> None:
    print_log(
        f'unreadable image {path} ({error}); it is written as -1 with no '
        'boxes',
        logger='current',
        level=logging.WARNING)


class StandInPipeline:
    """A test pipeline that goes on with a black ``PLACEHOLDER_SIZE``
    square when its loading transforms cannot read a file, setting the
    samples' metainfo ``unreadable``. Arrays, and errors after loading,
    raise as usual.

    Args:
        pipeline (Compose): The pipeline.
        num_load (int): How many of its first transforms load the image.
        report (Callable[[str, str], None]): Called with the path of each
            unreadable file and why.
    """

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
            img = np.zeros((PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, 3), np.uint8)
            loaded = dict(
                results,
                img=img,
                img_shape=img.shape[:2],
                ori_shape=img.shape[:2])
        results = self.rest(loaded)
        if results is not None:
            samples = results['data_samples']
            for sample in samples if isinstance(samples, list) else [samples]:
                sample.set_metainfo(dict(unreadable=unreadable))
        return results
