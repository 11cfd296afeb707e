from typing import List, Optional, Sequence

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmdet.datasets import BaseDetDataset
from mmdet.datasets.transforms import LoadImageFromNDArray
from mmdet.registry import DATASETS
from mmengine.dataset import force_full_init

from ..digit_coco import DIGIT_METAINFO
from .renderer import HouseNumberRenderer


@DATASETS.register_module()
class SyntheticDigitDataset(BaseDetDataset):
    """Synthetic house numbers rendered on the fly (as a BGR ``img``, for
    ``LoadImageFromNDArray``) in the loader worker that asks for them.

    ``ann_file``, ``data_root`` and ``data_prefix`` are accepted (to replace
    a file dataset in an inherited config) and ignored.

    Args:
        length (int): Number of samples.
        seed (int): Non-negative seed of the renderer.
        fonts (Sequence[str], optional): TrueType font paths; defaults to
            :func:`~mmdigit.datasets.find_fonts`.
        test_framing (float): Share of samples framed like test photos.
        **kwargs: Passed to :class:`mmdet.datasets.BaseDetDataset`.
    """

    METAINFO = DIGIT_METAINFO

    def __init__(self,
                 length: int = 10000,
                 seed: int = 0,
                 fonts: Optional[Sequence[str]] = None,
                 test_framing: float = 0.,
                 **kwargs) -> None:
        if length < 0:
            raise ValueError(f'length must be >= 0, got {length}')
        self.length = int(length)
        self.seed = int(seed)
        self.renderer = HouseNumberRenderer(self.seed, fonts, test_framing)
        # A range of sample ids: serializing it would build a list.
        kwargs['serialize_data'] = False
        super().__init__(**kwargs)
        for transform in self.pipeline.transforms[:1]:
            if isinstance(transform, LoadImageFromFile) and not isinstance(
                    transform, LoadImageFromNDArray):
                raise ValueError(
                    'SyntheticDigitDataset renders images in memory: start '
                    "its pipeline with dict(type='LoadImageFromNDArray') "
                    f'instead of {type(transform).__name__}')

    def load_data_list(self) -> range:
        """The sample ids, lazily."""
        return range(self.length)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Sample ``idx``'s ids, seed and size, without rendering it."""
        sample = int(self.data_list[idx])
        _, width, height = self.renderer.frame(sample)
        return dict(
            img_id=sample,
            sample_idx=idx,
            seed=self.seed,
            img_path=None,
            width=width,
            height=height)

    def render(self, idx: int) -> dict:
        """:meth:`get_data_info` plus the BGR ``img`` and ``instances``."""
        info = self.get_data_info(idx)
        img, anns = self.renderer.render_array(info['img_id'])
        info['img'] = np.ascontiguousarray(img[..., ::-1])
        info['instances'] = [
            dict(bbox=[x, y, x + w, y + h], bbox_label=d, ignore_flag=0)
            for d, (x, y, w, h) in anns
        ]
        return info

    def prepare_data(self, idx: int) -> dict:
        """Render sample ``idx`` and run the pipeline on it."""
        return self.pipeline(self.render(idx))

    def get_cat_ids(self, idx: int) -> List[int]:
        """Labels of sample ``idx`` (renders it)."""
        return [inst['bbox_label'] for inst in self.render(idx)['instances']]
