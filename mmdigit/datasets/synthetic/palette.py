"""Colour tables of walls, plates and ink, and the SVHN statistics of digit
counts, frame aspects and digit boxes that the renderer draws from."""
import numpy as np

# Digits per image, as in SVHN (mostly 2-3).
NUM_DIGITS_P = {1: 0.14, 2: 0.53, 3: 0.26, 4: 0.06, 5: 0.01}
# SVHN test photos (../shared/data/svhn-framing.md): digit box height in px
# at the 10th / 50th / 90th percentile.
TEST_DIGIT_PX_QUANTILES = ((0.1, 16), (0.5, 24), (0.9, 44))
# Median image aspect ratio (width / height) per digit count.
FRAME_ASPECT = {1: 1.96, 2: 2.18, 3: 2.43, 4: 2.88, 5: 3.3}
# First digit of a house number: never 0, small digits more often.
FIRST_DIGIT_P = np.array(
    [0.003, 0.28, 0.19, 0.13, 0.11, 0.09, 0.065, 0.05, 0.042, 0.04])
FIRST_DIGIT_P = FIRST_DIGIT_P / FIRST_DIGIT_P.sum()
# SVHN box padding around the ink, in units of the number's ink height.
BOX_PAD_X, BOX_PAD_TOP, BOX_PAD_BOTTOM = 0.06, 0.06, 0.08
# Final boxes come out this much taller than laid out (camera perspective
# and shear); test framing aims for the published heights after it.
BOX_GROWTH = 1.07

# Muted real-world colours (RGB).
# yapf: disable
WALL_COLOURS = np.array([
    (232, 228, 218), (215, 205, 185), (222, 206, 160), (196, 176, 140),
    (170, 140, 105), (150, 150, 148), (110, 110, 112), (70, 72, 75),
    (40, 40, 42), (150, 72, 55), (120, 60, 45), (125, 90, 65), (95, 70, 50),
    (135, 145, 120), (70, 90, 70), (60, 70, 95), (160, 180, 190),
    (205, 185, 110), (200, 145, 120), (180, 170, 150)
], np.float32)
PLATE_COLOURS = np.concatenate([
    WALL_COLOURS,
    np.array([(20, 20, 22), (30, 45, 80), (35, 70, 45), (180, 150, 70),
              (200, 200, 205), (240, 240, 235), (245, 245, 240),
              (25, 25, 25)], np.float32)
])
INK_COLOURS = np.array([
    (15, 15, 15), (245, 245, 240), (190, 160, 80), (140, 100, 55),
    (30, 40, 85), (35, 60, 40), (140, 35, 30), (175, 175, 180),
    (60, 45, 35), (90, 90, 95), (230, 225, 200), (25, 25, 30)
], np.float32)
# yapf: enable
# Enamel street-number plates: white and blue.
ENAMEL = np.array([(35, 65, 140), (240, 240, 235)], np.float32)
LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ'


def _luma(colour: np.ndarray) -> float:
    return float(colour[..., 0] * 0.299 + colour[..., 1] * 0.587 +
                 colour[..., 2] * 0.114)


def _jitter_colour(rng: np.random.Generator,
                   colour: np.ndarray,
                   amount: float = 1.) -> np.ndarray:
    colour = colour * np.exp(rng.normal(0, 0.12 * amount)) + rng.normal(
        0, 7 * amount, 3)
    return np.clip(colour, 0, 255).astype(np.float32)


def _pick_colour(rng: np.random.Generator, table: np.ndarray) -> np.ndarray:
    return _jitter_colour(rng, table[rng.integers(len(table))])


def _enamel_ink(rng: np.random.Generator, bg: np.ndarray) -> np.ndarray:
    """Enamel-plate ink on ``bg``: white on blue, blue on white."""
    return _jitter_colour(rng, ENAMEL[int(_luma(bg) < 128)], 0.5)
