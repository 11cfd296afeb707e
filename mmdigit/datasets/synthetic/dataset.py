from typing import List, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmdet.datasets import BaseDetDataset
from mmdet.datasets.transforms import LoadImageFromNDArray
from mmdet.registry import DATASETS

from ..digit_coco import DIGIT_METAINFO
from .renderer import HouseNumberRenderer

#: Sample indices, or a count as ``BaseDataset.get_subset`` takes it.
_Indices = Union[Sequence[int], int]


@DATASETS.register_module()
class SyntheticDigitDataset(BaseDetDataset):
    """Synthetic house numbers rendered on the fly, nothing on disk.

    Sample ``i`` is rendered from ``(seed, i)`` alone by
    :class:`~mmdigit.datasets.HouseNumberRenderer`, inside the data-loader
    worker that asks for it, so a dataset of any length costs no memory and
    the same ``(seed, i)`` gives the same bytes in any worker and order.
    Image ``k`` of split ``j`` written by
    :func:`~mmdigit.datasets.make_synthetic_dataset` with ``seed`` is sample
    ``k - 1`` of ``SyntheticDigitDataset(seed=split_seed(seed, j))``.

    The image comes in ``results['img']`` (BGR, as ``LoadImageFromFile``
    decodes it), so the pipeline starts with ``LoadImageFromNDArray``; the
    boxes come in ``results['instances']`` for ``LoadAnnotations``::

        dataset=dict(
            type='SyntheticDigitDataset', length=100000, seed=0,
            pipeline=[dict(type='LoadImageFromNDArray'),
                      *_base_.train_pipeline[1:]])

    Every sample has at least one digit, so ``filter_cfg`` has nothing to
    filter; ``ann_file``, ``data_root`` and ``data_prefix`` are accepted so
    the dataset can replace a file dataset in an inherited config, and
    ignored.

    Args:
        length (int): Number of samples. Defaults to 10000.
        seed (int): Non-negative seed of the renderer. Defaults to 0.
        fonts (Sequence[str], optional): TrueType font paths. Defaults to
            :func:`~mmdigit.datasets.find_fonts`.
        test_framing (float): Share of samples framed like SVHN's test
            photos (see :class:`~mmdigit.datasets.HouseNumberRenderer`).
            Defaults to 0.
        **kwargs: Passed to :class:`mmdet.datasets.BaseDetDataset`
            (``pipeline``, ``metainfo``, ``test_mode``, ``indices``, ...).
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
        # Sample index of each dataset index: None is the identity.
        self._sample_ids: Optional[np.ndarray] = None
        super().__init__(**kwargs)
        for transform in self.pipeline.transforms[:1]:
            if isinstance(transform, LoadImageFromFile) and not isinstance(
                    transform, LoadImageFromNDArray):
                raise ValueError(
                    'SyntheticDigitDataset renders images in memory: start '
                    "its pipeline with dict(type='LoadImageFromNDArray') "
                    f'instead of {type(transform).__name__}')

    def full_init(self) -> None:
        """Apply ``indices``; there is no annotation file to load and no
        per-sample list to build or serialize."""
        if self._fully_initialized:
            return
        if self._indices is not None:
            self._sample_ids = self._select(self._indices)
        self._fully_initialized = True

    def _select(self, indices: Union[int, Sequence[int]]) -> np.ndarray:
        """Sample ids kept by ``indices``, as ``BaseDataset.get_subset_``
        reads them (an int keeps the first, or the last if negative)."""
        n = len(self)
        if isinstance(indices, int):
            ids = np.arange(n)[:indices] if indices >= 0 else \
                np.arange(n)[indices:]
        else:
            ids = np.arange(n)[np.asarray(indices, np.int64)]
        if self._sample_ids is not None:
            ids = self._sample_ids[ids]
        return ids.astype(np.int64)

    def get_subset_(self, indices: _Indices) -> None:
        """Keep only ``indices`` of this dataset, in place."""
        self._sample_ids = self._select(indices)

    def get_subset(self, indices: _Indices) -> 'SyntheticDigitDataset':
        """A copy that keeps only ``indices``."""
        sub = self._copy_without_annotation()
        sub._sample_ids = self._select(indices)
        return sub

    def __len__(self) -> int:
        if self._sample_ids is not None:
            return len(self._sample_ids)
        return self.length

    def _sample_id(self, idx: int) -> int:
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f'index {idx} out of range for {n} samples')
        idx %= n
        if self._sample_ids is not None:
            return int(self._sample_ids[idx])
        return int(idx)

    def get_data_info(self, idx: int) -> dict:
        """Size and ids of sample ``idx``, without rendering it (samplers
        such as ``AspectRatioBatchSampler`` read it in the main process).

        Args:
            idx (int): Index in the dataset.

        Returns:
            dict: ``img_id``, ``sample_idx``, ``seed``, ``img_path`` (None),
            ``width`` and ``height``.
        """
        sample = self._sample_id(idx)
        _, width, height = self.renderer.frame(sample)
        return dict(
            img_id=sample,
            sample_idx=idx,
            seed=self.seed,
            img_path=None,
            width=width,
            height=height)

    def render(self, idx: int) -> dict:
        """:meth:`get_data_info` plus the rendered ``img`` (BGR ``uint8``)
        and its ``instances`` (``bbox`` as x1, y1, x2, y2, ``bbox_label``,
        ``ignore_flag``).

        Args:
            idx (int): Index in the dataset.

        Returns:
            dict: The sample, ready for ``LoadImageFromNDArray``.
        """
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
