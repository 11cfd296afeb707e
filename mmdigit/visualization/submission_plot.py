"""Pictures of a submission: images with their boxes and read numbers."""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..datasets.digit_coco import DIGIT_METAINFO
from ..evaluation.functional import select_digits
from ..utils.digits import DIGIT_CLASSES, category_id_to_label, xywh_to_xyxy
from .curves import pyplot, save_png


def boxes_read(detections: Sequence[dict],
               score_thr: float = 0.5,
               reader_cfg: Optional[dict] = None) -> Dict[int, List[dict]]:
    """``{image_id: detections}`` the number is read from (by
    :func:`select_digits` at ``score_thr`` with ``reader_cfg``), in reading
    order, for images with a box at ``score_thr``."""
    by_image: Dict[int, List[dict]] = defaultdict(list)
    for det in detections:
        if det['score'] >= score_thr:
            by_image[int(det['image_id'])].append(det)
    for img_id, dets in by_image.items():
        keep = select_digits(
            xywh_to_xyxy([d['bbox'] for d in dets]),
            np.array([d['score'] for d in dets]), score_thr,
            **(reader_cfg or {}))
        by_image[img_id] = [dets[i] for i in keep]
    return dict(by_image)


def plot_predictions(img_dir: str,
                     detections: Sequence[dict],
                     numbers: Dict[int, str],
                     out_file: str,
                     img_ids: Optional[Sequence[int]] = None,
                     gt_numbers: Optional[Dict[int, str]] = None,
                     score_thr: float = 0.5,
                     num: int = 16,
                     cols: int = 4,
                     reader_cfg: Optional[dict] = None) -> str:
    """Draw images with the boxes read (:func:`boxes_read`), their scores
    and the read numbers to a PNG grid.

    Args:
        img_dir (str): Folder of ``<image_id>.png`` files.
        detections (Sequence[dict]): ``pred.json`` entries.
        numbers (dict[int, str]): ``pred.csv`` as ``{image_id: number}``.
        img_ids (Sequence[int], optional): Images to draw, in order
            (default: the ids of ``numbers``); the first ``num`` are drawn.
        gt_numbers (dict[int, str], optional): A wrong read is titled red.
        reader_cfg (dict, optional): Options of :func:`select_digits`.
    """
    from matplotlib.patches import Rectangle
    from PIL import Image
    by_image = boxes_read(detections, score_thr, reader_cfg)
    img_ids = list(sorted(numbers) if img_ids is None else img_ids)[:num]
    rows = max(1, int(np.ceil(len(img_ids) / cols)))
    fig, axes = pyplot().subplots(
        rows, cols, figsize=(3 * cols, 2.2 * rows), squeeze=False)
    palette = np.array(DIGIT_METAINFO['palette']) / 255
    for ax in axes.flat:
        ax.axis('off')
    for ax, img_id in zip(axes.flat, img_ids):
        try:
            ax.imshow(
                Image.open(osp.join(img_dir, f'{img_id}.png')).convert('RGB'))
        except OSError:
            ax.text(
                0.5, 0.5, 'unreadable', ha='center', transform=ax.transAxes)
        for det in by_image.get(img_id, []):
            x, y, w, h = det['bbox']
            label = category_id_to_label(det['category_id'])
            color = palette[label % len(palette)]
            ax.add_patch(
                Rectangle((x, y), w, h, fill=False, lw=1.5, edgecolor=color))
            box = dict(facecolor=color, pad=0.5, lw=0)
            text = f'{label} {det["score"]:.2f}'
            ax.text(x, y, text, fontsize=6, color='w', va='bottom', bbox=box)
        title = f'id {img_id}: {numbers.get(img_id, "?")}'
        gt = None if gt_numbers is None else gt_numbers.get(img_id, '')
        wrong = gt is not None and numbers.get(img_id) != gt
        title += '' if gt is None else f' (gt {gt})'
        ax.set_title(title, fontsize=9, color='red' if wrong else 'black')
    fig.tight_layout()
    return save_png(fig, out_file)


def mistakes_first(numbers: Dict[int, str],
                   gt_numbers: Dict[int, str]) -> List[int]:
    """The image ids of ``numbers``, wrongly read ones first, then by id."""
    return sorted(numbers, key=lambda i: (numbers[i] == gt_numbers.get(i), i))


def plot_confusion_matrix(matrix: np.ndarray, out_file: str) -> str:
    """Draw an 11x11 :func:`mmdigit.evaluation.digit_confusion_matrix` to a
    PNG, coloured by share of each GT row so rare digits read as well."""
    plt = pyplot()
    labels = list(DIGIT_CLASSES) + ['none']
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7, 6))
    im = ax.imshow(share, cmap='Blues', vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            color = 'white' if share[i, j] > 0.5 else 'black'
            ax.text(j, i, count, ha='center', va='center', size=7, color=color)
    ax.set_xticks(range(11), labels)
    ax.set_yticks(range(11), labels)
    ax.set_xlabel('predicted digit (none: digit missed)')
    ax.set_ylabel('ground-truth digit (none: box on no digit)')
    fig.colorbar(im, ax=ax, label='share of the GT row')
    fig.tight_layout()
    return save_png(fig, out_file)
