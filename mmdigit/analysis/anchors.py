"""Box statistics at a config's training scale and anchor proposals.

Anchors live in the network's input pixels, so every box is first scaled as
the config's training ``Resize`` scales its image. Anchor quality is the IoU
of a box with its best anchor when both are centred on each other (the
shape match the RPN's ``MaxIoUAssigner`` can at best reach).
"""
import json
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmcv.image.geometric import rescale_size

# mmdet's default Faster R-CNN RPN anchors (faster-rcnn_r50_fpn.py).
DEFAULT_ANCHORS = dict(
    strides=[4, 8, 16, 32, 64], scales=[8], ratios=[0.5, 1.0, 2.0])
# SingleRoIExtractor's default finest_scale.
FINEST_SCALE = 56


def load_box_sizes(ann_file: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read every box's size and its image's size from a COCO json.

    Args:
        ann_file (str): COCO-style annotation file.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(N, 2)`` box ``(w, h)`` and
        ``(N, 2)`` image ``(w, h)``, one row per annotation.
    """
    with open(ann_file) as f:
        coco = json.load(f)
    sizes = {
        img['id']: (img['width'], img['height'])
        for img in coco['images']
    }
    box_wh, img_wh = [], []
    for ann in coco['annotations']:
        box_wh.append(ann['bbox'][2:4])
        img_wh.append(sizes[ann['image_id']])
    return (np.asarray(box_wh, dtype=np.float64).reshape(-1, 2),
            np.asarray(img_wh, dtype=np.float64).reshape(-1, 2))


def scale_to_input(box_wh: np.ndarray, img_wh: np.ndarray,
                   scale: Sequence[int], keep_ratio: bool) -> np.ndarray:
    """Scale box sizes as mmcv's ``Resize`` scales their images.

    Args:
        box_wh (np.ndarray): ``(N, 2)`` box sizes in original pixels.
        img_wh (np.ndarray): ``(N, 2)`` matching image sizes.
        scale (Sequence[int]): The ``Resize`` ``scale`` ``(w, h)``.
        keep_ratio (bool): The ``Resize`` ``keep_ratio``.

    Returns:
        np.ndarray: ``(N, 2)`` box sizes in input pixels.
    """
    out = np.empty_like(box_wh)
    for i, (w, h) in enumerate(img_wh):
        if keep_ratio:
            _, factor = rescale_size((int(w), int(h)),
                                     tuple(scale),
                                     return_scale=True)
            fx = fy = factor
        else:
            fx, fy = scale[0] / w, scale[1] / h
        out[i] = box_wh[i] * (fx, fy)
    return out


def anchor_shapes(strides: Sequence[int], scales: Sequence[float],
                  ratios: Sequence[float]) -> np.ndarray:
    """Anchor ``(w, h)`` per level as mmdet's ``AnchorGenerator`` makes them.

    Args:
        strides (Sequence[int]): Level strides (the base sizes).
        scales (Sequence[float]): Scales relative to the stride.
        ratios (Sequence[float]): Height / width ratios.

    Returns:
        np.ndarray: ``(L, A, 2)`` anchor sizes.
    """
    from mmdet.models.task_modules.prior_generators import AnchorGenerator
    gen = AnchorGenerator(
        strides=list(strides), ratios=list(ratios), scales=list(scales))
    return np.stack([(b[:, 2:] - b[:, :2]).double().numpy()
                     for b in gen.base_anchors])


def centered_iou(wh: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """IoU of boxes and anchors sharing a centre.

    mmdet's ``bbox_overlaps`` of both centred on the origin, as mmdet's
    ``tools/analysis_tools/optimize_anchors.py`` compares them.

    Args:
        wh (np.ndarray): ``(N, 2)`` box sizes.
        anchors (np.ndarray): ``(M, 2)`` anchor sizes.

    Returns:
        np.ndarray: ``(N, M)`` IoUs.
    """
    from mmdet.structures.bbox import bbox_overlaps

    # x1, y1, x2, y2 of boxes centred on the origin
    boxes = [np.concatenate([-x / 2, x / 2], axis=1) for x in (wh, anchors)]
    return bbox_overlaps(*map(torch.from_numpy, boxes)).numpy()


def anchor_fit(wh: np.ndarray, anchors: np.ndarray) -> Dict[str, object]:
    """How well a set of anchors matches the boxes.

    Args:
        wh (np.ndarray): ``(N, 2)`` box sizes in input pixels.
        anchors (np.ndarray): ``(L, A, 2)`` anchor sizes per level.

    Returns:
        dict: ``mean_iou`` (best anchor IoU, averaged), ``recall@0.5`` and
        ``recall@0.7`` (share of boxes whose best anchor reaches the RPN's
        negative and positive IoU thresholds) and ``level`` (``(N,)``
        index of the level holding each box's best anchor).
    """
    num_levels, per_level = anchors.shape[:2]
    ious = centered_iou(wh, anchors.reshape(-1, 2))
    best = ious.max(axis=1)
    return {
        'mean_iou': float(best.mean()),
        'recall@0.5': float((best >= 0.5).mean()),
        'recall@0.7': float((best >= 0.7).mean()),
        'level': ious.argmax(axis=1) // per_level,
    }


def roi_levels(wh: np.ndarray, num_levels: int = 4) -> np.ndarray:
    """The FPN level ``SingleRoIExtractor`` pools each box from.

    mmdet's ``SingleRoIExtractor.map_roi_levels`` at ``finest_scale``
    :data:`FINEST_SCALE`.

    Args:
        wh (np.ndarray): ``(N, 2)`` box sizes in input pixels.
        num_levels (int): Number of RoI feature levels. Defaults to 4.

    Returns:
        np.ndarray: ``(N,)`` level indices.
    """
    from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
    extractor = SingleRoIExtractor(
        roi_layer=dict(type='RoIAlign', output_size=7),
        out_channels=1,
        featmap_strides=[4 * 2**i for i in range(num_levels)],
        finest_scale=FINEST_SCALE)
    # RoIs (batch 0, x1 0, y1 0, x2 w, y2 h): only their size counts
    rois = torch.from_numpy(np.pad(wh, ((0, 0), (3, 0))))
    return extractor.map_roi_levels(rois, num_levels).numpy()


def kmeans_iou(wh: np.ndarray,
               k: int,
               seed: int = 0,
               max_iters: int = 300) -> np.ndarray:
    """k-means on box shapes with ``1 - IoU`` as the distance (YOLOv2).

    Args:
        wh (np.ndarray): ``(N, 2)`` box sizes.
        k (int): Number of clusters.
        seed (int): Seed of the initial centres. Defaults to 0.
        max_iters (int): Iteration cap. Defaults to 300.

    Returns:
        np.ndarray: ``(k, 2)`` cluster shapes sorted by area.
    """
    rng = np.random.default_rng(seed)
    # k-means++ seeding with the same distance
    centers = wh[rng.integers(len(wh))][None].copy()
    while len(centers) < k:
        dist = (1 - centered_iou(wh, centers).max(axis=1))**2
        probs = dist / dist.sum() if dist.sum() > 0 else None
        centers = np.concatenate(
            [centers, wh[rng.choice(len(wh), p=probs)][None]])
    assign = None
    for _ in range(max_iters):
        new_assign = centered_iou(wh, centers).argmax(axis=1)
        if assign is not None and np.array_equal(new_assign, assign):
            break
        assign = new_assign
        for j in range(k):
            members = wh[assign == j]
            if len(members):
                # the median is robust to the long tail of large boxes
                centers[j] = np.median(members, axis=0)
    return centers[np.argsort(centers[:, 0] * centers[:, 1])]


def propose_anchors(wh: np.ndarray,
                    strides: Sequence[int],
                    num_scales: int = 1,
                    num_ratios: int = 3,
                    seed: int = 0) -> Dict[str, object]:
    """Propose ``AnchorGenerator`` scales and ratios for these boxes.

    Ratios are the centres of a 1-D k-means of ``log(h / w)`` (rounded to
    0.05). Scales are ``base * 2 ** (i / num_scales)``; ``base`` is the
    value on a 1/8-octave grid that maximises the mean best-anchor IoU
    with those ratios over all levels.

    Args:
        wh (np.ndarray): ``(N, 2)`` box sizes in input pixels.
        strides (Sequence[int]): The RPN's anchor strides.
        num_scales (int): Scales per level. Defaults to 1.
        num_ratios (int): Ratios per location. Defaults to 3.
        seed (int): Seed of the k-means. Defaults to 0.

    Returns:
        dict: ``scales``, ``ratios`` and their :func:`anchor_fit`.
    """
    log_ratio = np.log(wh[:, 1] / wh[:, 0])
    rng = np.random.default_rng(seed)
    centers = np.quantile(log_ratio,
                          (np.arange(num_ratios) + 0.5) / num_ratios)
    centers += rng.normal(0, 1e-6, num_ratios)  # break exact ties
    for _ in range(100):
        assign = np.abs(log_ratio[:, None] - centers[None]).argmin(axis=1)
        new = np.array([
            log_ratio[assign == j].mean() if np.any(assign == j) else c
            for j, c in enumerate(centers)
        ])
        if np.allclose(new, centers):
            break
        centers = new
    ratios = sorted({round(float(np.exp(c)) / 0.05) * 0.05 for c in centers})
    ratios = [round(r, 2) for r in ratios]
    best = None
    for base in 2.0**(np.arange(-8, 41) / 8):  # 0.5 ... 32
        scales = [float(base * 2**(i / num_scales)) for i in range(num_scales)]
        fit = anchor_fit(wh, anchor_shapes(strides, scales, ratios))
        if best is None or fit['mean_iou'] > best[1]['mean_iou']:
            best = (scales, fit)
    scales = [round(s, 2) for s in best[0]]
    return dict(
        scales=scales,
        ratios=ratios,
        fit=anchor_fit(wh, anchor_shapes(strides, scales, ratios)))


def config_anchors(cfg) -> Optional[Dict[str, List[float]]]:
    """The RPN anchor generator settings of a config, if it has one.

    Args:
        cfg (Config): A detector config.

    Returns:
        dict | None: ``strides``, ``scales`` and ``ratios`` (``scales``
        expanded from ``octave_base_scale`` if needed), or None for
        anchor-free models.
    """
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
    """The ``Resize`` scale and keep_ratio of a config's train pipeline.

    Args:
        cfg (Config): A detector config.

    Returns:
        tuple: ``((w, h), keep_ratio)``.

    Raises:
        ValueError: The train pipeline has no single-scale ``Resize``.
    """
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset  # wrappers such as RepeatDataset
    for t in dataset.pipeline:
        if t['type'] == 'Resize':
            return tuple(t['scale']), t.get('keep_ratio', False)
    raise ValueError('the train pipeline has no Resize with a fixed scale')
