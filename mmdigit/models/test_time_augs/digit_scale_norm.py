"""Two-pass reading at the digit size the model learned: SVHN digit sizes
vary (docs/data.md#a-test-like-split); a fixed test scale moves every image
by one factor, this model each image by its own."""
from typing import List, Optional

import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.model import BaseTTAModel


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
    """

    def __init__(self,
                 module,
                 digit_height: float,
                 score_thr: float = 0.5,
                 factor_range=(0.5, 3.0),
                 data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(module, data_preprocessor)
        self.digit_height = digit_height
        self.score_thr = score_thr
        self.factor_range = tuple(factor_range)

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
            out.append(
                self.module.test_step(
                    dict(inputs=[resized], data_samples=[again]))[0])
        return out
