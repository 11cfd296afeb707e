import mmcv
import numpy as np
import pytest

from mmdigit.datasets.transforms import ColorJitter, GaussianBlur


def _results(img):
    boxes = np.array([[1., 2., 5., 9.]], dtype=np.float32)
    return dict(img=img, gt_bboxes=boxes.copy(), img_shape=img.shape[:2])


def _draw(transform, img, n=400, seed=0):
    np.random.seed(seed)
    return [transform(_results(img.copy()))['img'] for _ in range(n)]


@pytest.mark.parametrize('kwargs,op,bounds', [
    (dict(brightness=0.2), mmcv.adjust_brightness, (0.8, 1.2)),
    (dict(brightness=1.5), mmcv.adjust_brightness, (0., 2.5)),
    (dict(contrast=0.5), mmcv.adjust_contrast, (0.5, 1.5)),
    (dict(saturation=1.0), mmcv.adjust_color, (0., 2.)),
    (dict(hue=0.5), mmcv.adjust_hue, (-0.5, 0.5)),
])
def test_each_jitter_is_mmcv_op_with_torchvision_range(kwargs, op, bounds):
    img = np.random.RandomState(1).randint(0, 255, (5, 7, 3), np.uint8)
    jitter = ColorJitter(**kwargs)
    factors = []
    for seed in range(200):
        np.random.seed(seed)
        ((_, factor), ) = jitter._sample()
        np.random.seed(seed)
        out = jitter(_results(img.copy()))['img']
        np.testing.assert_array_equal(out, op(img, factor))
        factors.append(factor)
    # uniform over the whole range
    lo, hi = bounds
    assert lo <= min(factors) < lo + 0.05 * (hi - lo)
    assert hi - 0.05 * (hi - lo) < max(factors) <= hi


def test_jitters_run_in_random_order():
    jitter = ColorJitter(0.2, 0.2, 0.2, 0.1)
    orders = set()
    for seed in range(50):
        np.random.seed(seed)
        orders.add(tuple(idx for idx, _ in jitter._sample()))
    assert len(orders) > 10 and all(sorted(o) == [0, 1, 2, 3] for o in orders)


def test_prob_zero_is_identity_and_keys_untouched():
    img = np.random.RandomState(0).randint(0, 255, (7, 9, 3), np.uint8)
    transforms = [
        ColorJitter(0.5, 0.5, 0.5, 0.2, prob=0.),
        GaussianBlur(3, (0.3, 0.8), prob=0.),
    ]
    for t in transforms:
        out = t(_results(img.copy()))
        np.testing.assert_array_equal(out['img'], img)


@pytest.mark.parametrize('transform', [
    ColorJitter(0.2, 0.2, 0.2, 0.1, prob=1.0),
    GaussianBlur(3, (0.3, 0.8), prob=1.0)
])
@pytest.mark.parametrize('dtype', [np.uint8, np.float32])
def test_boxes_dtype_and_shape_kept(transform, dtype):
    rng = np.random.RandomState(0)
    img = rng.randint(0, 255, (7, 9, 3)).astype(dtype)
    res = _results(img.copy())
    out = transform(res)
    assert out['img'].dtype == dtype and out['img'].shape == img.shape
    np.testing.assert_array_equal(out['gt_bboxes'], [[1., 2., 5., 9.]])


def test_color_jitter_prob_rate():
    img = np.full((2, 2, 3), 100, np.uint8)
    outs = _draw(ColorJitter(brightness=0.5, prob=0.3), img, n=1000)
    changed = np.mean([o[0, 0, 0] != 100 for o in outs])
    assert 0.25 < changed < 0.35


def _center_weight(sigma):
    side = np.exp(-1 / (2 * sigma**2))
    return (1 / (1 + 2 * side))**2


def test_gaussian_blur_sigma_range_and_mass():
    img = np.zeros((5, 5), np.float32)
    img[2, 2] = 1.0
    blur = GaussianBlur(kernel_size=3, sigma=(0.3, 0.8))
    outs = _draw(blur, img, n=200)
    centers = np.array([o[2, 2] for o in outs])
    assert centers.min() >= _center_weight(0.8) - 1e-6
    assert centers.max() <= _center_weight(0.3) + 1e-6
    assert centers.max() - centers.min() > 0.5 * (
        _center_weight(0.3) - _center_weight(0.8))
    for o in outs:
        assert o.sum() == pytest.approx(1.0, abs=1e-5)
        assert o[0].sum() == 0  # a 3x3 kernel reaches one pixel only


def test_gaussian_blur_constant_image_and_single_channel():
    img = np.full((6, 4, 1), 77, np.uint8)
    out = GaussianBlur(3, 0.8)(_results(img.copy()))['img']
    assert out.shape == (6, 4, 1)
    np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize('kwargs', [
    dict(kernel_size=4),
    dict(kernel_size=0),
    dict(sigma=(0.8, 0.3)),
    dict(sigma=0),
    dict(prob=1.5)
])
def test_gaussian_blur_rejects_bad_args(kwargs):
    with pytest.raises(ValueError):
        GaussianBlur(**kwargs)


@pytest.mark.parametrize('kwargs', [
    dict(brightness=-0.1),
    dict(hue=0.6),
    dict(prob=-1),
])
def test_color_jitter_rejects_bad_args(kwargs):
    with pytest.raises(ValueError):
        ColorJitter(**kwargs)


def test_registered_in_mmdet():
    from mmdet.registry import TRANSFORMS
    t = TRANSFORMS.build(dict(type='GaussianBlur', kernel_size=3))
    assert isinstance(t, GaussianBlur)
    t = TRANSFORMS.build(dict(type='ColorJitter', brightness=0.2))
    assert isinstance(t, ColorJitter)


def test_repr_lists_the_parsed_args():
    assert repr(ColorJitter(brightness=0.5, hue=0.1)) == (
        'ColorJitter(brightness=(0.5, 1.5), contrast=None, saturation=None, '
        'hue=(-0.1, 0.1), prob=1.0)')
    assert repr(GaussianBlur([3, 5], 0.5, prob=0.2)) == (
        'GaussianBlur(kernel_size=(3, 5), sigma=(0.5, 0.5), prob=0.2)')
