"""Synthetic SVHN-like house numbers: the project's pretraining data.

:class:`HouseNumberRenderer` renders street-view-like crops of house numbers
with one box per digit; sample ``i`` of seed ``s`` depends on ``(s, i)``
only, so :class:`~mmdigit.datasets.SyntheticDigitDataset` renders it on the
fly in data-loader workers and :func:`make_synthetic_dataset` writes the
same samples in the course layout (``train/``, ``valid/``, ``test/`` folders
of ``<id>.png`` plus ``train.json`` / ``valid.json``, no json for
``test/``).

What is rendered follows real SVHN format-1 crops (``svhn-mini``): image
sizes and digit counts, the number framed with wide side margins, digit boxes
of one height per image and a little looser than the ink; walls (brick,
stucco, siding, wood, glass, concrete, metal) in muted colours, plates and
tiles with borders or digits painted on the wall, door frames, cables,
letters and cut-off neighbouring digits (not annotated), lighting gradients
and shadows, perspective, low-resolution capture resized up, blur and JPEG.

A share of the samples (``test_framing``) can be framed like SVHN's test
photos instead, whose digits are smaller relative to the frame and whose
numbers are shorter (the published statistics in
:mod:`mmdigit.datasets.framing`).

Only numpy, OpenCV and Pillow are needed; fonts are matplotlib's bundled
families (DejaVu, STIX, Computer Modern), so a sample is the same on every
machine with the pinned matplotlib and Pillow (system fonts only when asked
for), varied further by condensing, emboldening, outlining, embossing,
extruding and stencil cuts.
"""
from .dataset import SyntheticDigitDataset
from .fonts import find_fonts
from .renderer import HouseNumberRenderer
from .writer import SPLIT_SEED_BASE, make_synthetic_dataset, split_seed

__all__ = [
    'HouseNumberRenderer', 'find_fonts', 'make_synthetic_dataset',
    'split_seed', 'SPLIT_SEED_BASE', 'SyntheticDigitDataset'
]
