"""Two-pass reading at the digit size the model learned: SVHN digit sizes
vary (docs/data.md#a-test-like-split); a fixed test scale moves every image
by one factor, this model each image by its own."""
from typing import List, Optional

import torch.nn.functional as F
from mmdet.models.utils import weighted_boxes_fusion
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.model import BaseTTAModel
from mmengine.structures import InstanceData

from ...evaluation.functional.ensemble import CONF_TYPES


@MODELS.register_module()
class DigitScaleNormTTAModel(BaseTTAModel):
    """Detect, rescale each image so its digits are ``digit_height`` input
    pixels tall, detect again.

    The median height of the first pass's boxes scoring ``score_thr``
    gives each image's factor (clipped to ``factor_range``); no such box or
    a factor within 5 % of 1 keeps the first pass.

    Args:
        module (dict | nn.Module): The detector.
        digit_height (float): Input pixels a digit should have, e.g. the
            training photos' median after the training resize.
        score_thr (float): Boxes of the first pass that count.
        fuse (str, optional): None keeps the second pass alone; a
            ``conf_type`` of mmdet's ``weighted_boxes_fusion`` (``'max'``
            keeps each box's score on the scale of one pass) fuses both
            passes into ``pred_instances`` (the boxes of ``pred.json``) at no
            extra detection, and keeps the second pass as
            ``number_instances``, which numbers are read from (the union of
            both passes' boxes reads extra digits).
        fuse_iou_thr (float): IoU at which boxes of the two passes fuse.
    """

    def __init__(self,
                 module,
                 digit_height: float,
                 score_thr: float = 0.5,
                 factor_range=(0.5, 3.0),
                 fuse: Optional[str] = None,
                 fuse_iou_thr: float = 0.55,
                 data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(module, data_preprocessor)
        self.digit_height = digit_height
        self.score_thr = score_thr
        self.factor_range = tuple(factor_range)
        if fuse is not None and fuse not in CONF_TYPES:
            # mmdet's weighted_boxes_fusion calls exit() on it
            raise ValueError(f'fuse must be None or one of {CONF_TYPES}, '
                             f'not {fuse!r}')
        self.fuse = fuse
        self.fuse_iou_thr = fuse_iou_thr

    def merge_preds(self, data_samples_list):
        """Unused: :meth:`test_step` picks one pass per image."""
        return [samples[-1] for samples in data_samples_list]

    def factor(self, sample: DetDataSample) -> Optional[float]:
        """Resize factor of one image, or None to keep the first pass."""
        pred = sample.pred_instances
        boxes = pred.bboxes[pred.scores >= self.score_thr]
        if not len(boxes):
            return None
        # boxes are in original pixels; the input is scale_factor larger
        height = (boxes[:, 3] - boxes[:, 1]).median().item() * \
            sample.metainfo['scale_factor'][1]
        low, high = self.factor_range
        factor = min(max(self.digit_height / max(height, 1e-3), low), high)
        return None if abs(factor - 1) < 0.05 else factor

    def test_step(self, data: dict) -> List[DetDataSample]:
        """Both passes over a batch from the test dataloader."""
        first = self.module.test_step(data)
        out = []
        for img, sample in zip(data['inputs'], first):
            factor = self.factor(sample)
            if factor is None:
                out.append(sample)
                continue
            h, w = sample.metainfo['img_shape']
            new_h, new_w = max(1, round(h * factor)), max(1, round(w * factor))
            resized = F.interpolate(
                img[None, :, :h, :w].float(), (new_h, new_w),
                mode='bilinear',
                align_corners=False)[0].round().clamp(0, 255).to(img.dtype)
            again = sample.clone()
            del again.pred_instances
            sx, sy = sample.metainfo['scale_factor']
            again.set_metainfo(
                dict(
                    img_shape=(new_h, new_w),
                    scale_factor=(sx * new_w / w, sy * new_h / h)))
            again = self.module.test_step(
                dict(inputs=[resized], data_samples=[again]))[0]
            if self.fuse:
                again.number_instances = again.pred_instances
                again.pred_instances = self.fuse_passes(
                    sample.pred_instances, again.pred_instances)
            out.append(again)
        return out

    def fuse_passes(self, *passes: InstanceData) -> InstanceData:
        """Weighted boxes fusion of the passes' predictions (original
        pixels), by decreasing score."""
        device = passes[0].bboxes.device
        bboxes, scores, labels = weighted_boxes_fusion(
            *([getattr(p, key).cpu().numpy() for p in passes]
              for key in ('bboxes', 'scores', 'labels')),
            iou_thr=self.fuse_iou_thr,
            conf_type=self.fuse)
        return InstanceData(
            bboxes=bboxes.reshape(-1, 4).float().to(device),
            scores=scores.float().to(device),
            labels=labels.long().to(device))
