"""Box statistics at a config's training scale and anchor proposals.

An anchor set's quality is each box's IoU with its best anchor, centred on
each other (the best ``MaxIoUAssigner`` can reach).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import mmengine
import numpy as np
import torch

# mmdet's default Faster R-CNN RPN anchors (faster-rcnn_r50_fpn.py).
DEFAULT_ANCHORS = dict(
    strides=[4, 8, 16, 32, 64], scales=[8], ratios=[0.5, 1.0, 2.0])


def load_box_sizes(ann_file: str) -> Tuple[np.ndarray, np.ndarray]:
    """``(N, 2)`` box and image ``(w, h)`` of each annotation in a json."""
    coco = mmengine.load(ann_file, file_format='json')
    sizes = {im['id']: (im['width'], im['height']) for im in coco['images']}
    wh = np.array([(*a['bbox'][2:4], *sizes[a['image_id']])
                   for a in coco['annotations']], float).reshape(-1, 4)
    return wh[:, :2], wh[:, 2:]


def scale_to_input(box_wh: np.ndarray, img_wh: np.ndarray,
                   scale: Sequence[int], keep_ratio: bool) -> np.ndarray:
    """``(N, 2)`` box sizes scaled as mmcv's ``Resize(scale, keep_ratio)``
    scales their images (anchors live in input pixels)."""
    if not keep_ratio:
        return box_wh * (np.asarray(scale) / img_wh)
    factor = np.minimum(max(scale) / img_wh.max(1), min(scale) / img_wh.min(1))
    return box_wh * factor[:, None]


def anchor_shapes(strides: Sequence[int], scales: Sequence[float],
                  ratios: Sequence[float]) -> np.ndarray:
    """``(L, A, 2)`` anchor ``(w, h)`` per level, from mmdet's
    ``AnchorGenerator``."""
    from mmdet.models.task_modules.prior_generators import AnchorGenerator
    gen = AnchorGenerator(
        strides=list(strides), ratios=list(ratios), scales=list(scales))
    return np.stack([(b[:, 2:] - b[:, :2]).double().numpy()
                     for b in gen.base_anchors])


def centered_iou(wh: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """``(N, M)`` IoUs of ``(N, 2)`` box and ``(M, 2)`` anchor sizes centred
    on each other (as mmdet's ``optimize_anchors.py`` compares them)."""
    from mmdet.structures.bbox import bbox_overlaps
    boxes = [np.concatenate([-x / 2, x / 2], axis=1) for x in (wh, anchors)]
    return bbox_overlaps(*map(torch.from_numpy, boxes)).numpy()


def anchor_fit(wh: np.ndarray, anchors: np.ndarray) -> Dict[str, object]:
    """How well ``(L, A, 2)`` anchors per level match ``(N, 2)`` boxes.

    Returns:
        dict: ``mean_iou`` of each box's best anchor, ``recall@0.5`` and
        ``recall@0.7`` (share of boxes whose best anchor reaches the RPN's
        IoU thresholds) and each best anchor's ``level``.
    """
    ious = centered_iou(wh, anchors.reshape(-1, 2))
    best = ious.max(axis=1)
    return {
        'mean_iou': float(best.mean()),
        'recall@0.5': float((best >= 0.5).mean()),
        'recall@0.7': float((best >= 0.7).mean()),
        'level': ious.argmax(axis=1) // anchors.shape[1],
    }


def roi_levels(wh: np.ndarray, num_levels: int = 4) -> np.ndarray:
    """The FPN level ``SingleRoIExtractor`` (default ``finest_scale`` 56)
    pools each of the ``(N, 2)`` box sizes from."""
    from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
    extractor = SingleRoIExtractor(
        dict(type='RoIAlign', output_size=7), 1,
        [4 * 2**i for i in range(num_levels)])
    # RoIs (batch 0, x1 0, y1 0, x2 w, y2 h): only their size counts
    rois = torch.from_numpy(np.pad(wh, ((0, 0), (3, 0))))
    return extractor.map_roi_levels(rois, num_levels).numpy()


def kmeans_iou(wh: np.ndarray,
               k: int,
               seed: int = 0,
               max_iters: int = 300) -> np.ndarray:
    """``(k, 2)`` box shapes, sorted by area, of a k-means (k-means++ seeds,
    median centres) with ``1 - IoU`` as the distance (YOLOv2)."""
    rng = np.random.default_rng(seed)
    # k-means++ seeding with the same distance
    centers = wh[rng.integers(len(wh))][None].copy()
    while len(centers) < k:
        dist = (1 - centered_iou(wh, centers).max(axis=1))**2
        probs = dist / dist.sum() if dist.sum() > 0 else None
        centers = np.concatenate(
            [centers, wh[rng.choice(len(wh), p=probs)][None]])
    for _ in range(max_iters):  # Lloyd, with the median: robust to the tail
        labels = centered_iou(wh, centers).argmax(axis=1)
        new = np.array([
            np.median(wh[labels == j], axis=0) if np.any(labels == j) else c
            for j, c in enumerate(centers)
        ])
        if np.allclose(new, centers):
            break
        centers = new
    return centers[np.argsort(centers[:, 0] * centers[:, 1])]


def propose_anchors(wh: np.ndarray,
                    strides: Sequence[int],
                    num_scales: int = 1,
                    num_ratios: int = 3,
                    seed: int = 0) -> Dict[str, object]:
    """Propose ``AnchorGenerator`` ``scales``, ``ratios`` and their
    :func:`anchor_fit` (``fit``) for ``(N, 2)`` boxes.

    Ratios are the centres of a 1-D k-means of ``log(h / w)``, rounded to
    0.05; scales are ``base * 2 ** (i / num_scales)`` with the ``base`` of a
    1/8-octave grid that maximises the mean best-anchor IoU.
    """
    from scipy.cluster.vq import kmeans2
    log_ratio = np.log(wh[:, 1] / wh[:, 0])
    rng = np.random.default_rng(seed)
    centers = np.quantile(log_ratio,
                          (np.arange(num_ratios) + 0.5) / num_ratios)
    centers += rng.normal(0, 1e-6, num_ratios)  # break exact ties
    centers, _ = kmeans2(log_ratio, centers, iter=100, minit='matrix')
    ratios = sorted(
        {round(round(float(np.exp(c)) / 0.05) * 0.05, 2)
         for c in centers})

    def fit(scales):
        return anchor_fit(wh, anchor_shapes(strides, scales, ratios))

    grid = [[float(base * 2**(i / num_scales)) for i in range(num_scales)]
            for base in 2.0**(np.arange(-8, 41) / 8)]  # 0.5 ... 32
    best = max(grid, key=lambda scales: fit(scales)['mean_iou'])
    scales = [round(s, 2) for s in best]
    return dict(scales=scales, ratios=ratios, fit=fit(scales))


def config_anchors(cfg) -> Optional[Dict[str, List[float]]]:
    """A config's RPN (or single-stage) anchor ``strides``, ``scales`` and
    ``ratios``; None for anchor-free models."""
    head = cfg.model.get('rpn_head', cfg.model.get('bbox_head', {}))
    gen = head.get('anchor_generator') if head else None
    if not gen:
        return None
    scales = gen.get('scales')
    if scales is None:
        n = gen['scales_per_octave']
        scales = [gen['octave_base_scale'] * 2**(i / n) for i in range(n)]
    return dict(
        strides=list(gen['strides']),
        scales=list(scales),
        ratios=list(gen['ratios']))


def train_resize(cfg) -> Tuple[Tuple[int, int], bool]:
    """``((w, h), keep_ratio)`` of the ``Resize`` of a config's train
    pipeline; ValueError if it has none."""
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset  # wrappers such as RepeatDataset
    for t in dataset.pipeline:
        if t['type'] == 'Resize':
            return tuple(t['scale']), t.get('keep_ratio', False)
    raise ValueError('the train pipeline has no Resize with a fixed scale')
