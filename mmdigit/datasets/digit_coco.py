from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

#: Classes and palette shared by every digit dataset. Label ``i`` is digit
#: ``i``; the course's ``category_id`` is ``label + 1``.
DIGIT_METAINFO = {
    'classes': tuple(str(d) for d in range(10)),
    'palette': [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
                (245, 130, 48), (145, 30, 180), (70, 240, 240),
                (240, 50, 230), (210, 245, 60), (0, 128, 128)],
}


@DATASETS.register_module()
class DigitCocoDataset(CocoDataset):
    """House-number digits in the course's COCO layout.

    ``train.json`` / ``valid.json`` with categories ``{id: 1, name: "0"} ...
    {id: 10, name: "9"}``; images under ``train/`` and ``valid/``. Classes are
    matched by name, so ``category_id = digit + 1`` maps to label ``digit``.
    """

    METAINFO = DIGIT_METAINFO
