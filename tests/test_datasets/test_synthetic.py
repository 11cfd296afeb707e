import hashlib
import json
import os
import os.path as osp
from collections import Counter

from PIL import Image

from mmdigit.datasets import make_synthetic_dataset

IMAGE_KEYS = {'id', 'file_name', 'height', 'width'}
ANN_KEYS = {'id', 'image_id', 'bbox', 'category_id', 'area', 'iscrowd'}


def test_layout_matches_the_course(tiny_data):
    assert sorted(os.listdir(tiny_data)) == [
        'test', 'train', 'train.json', 'valid', 'valid.json'
    ]
    assert sorted(os.listdir(osp.join(tiny_data, 'test'))) == sorted(
        f'{i}.png' for i in range(1, 7))
    for split, num in (('train', 24), ('valid', 8)):
        with open(osp.join(tiny_data, f'{split}.json')) as f:
            coco = json.load(f)
        assert coco['categories'] == [
            dict(id=d + 1, name=str(d)) for d in range(10)
        ]
        assert [img['id'] for img in coco['images']] == list(range(1, num + 1))
        ann_ids = [a['id'] for a in coco['annotations']]
        assert len(set(ann_ids)) == len(ann_ids)
        images = {img['id']: img for img in coco['images']}
        per_image = Counter(a['image_id'] for a in coco['annotations'])
        assert set(per_image) == set(images)
        assert all(1 <= n <= 5 for n in per_image.values())
        for img in coco['images']:
            assert set(img) == IMAGE_KEYS
            assert img['file_name'] == f'{img["id"]}.png'
            with Image.open(osp.join(tiny_data, split, img['file_name'])) as im:
                assert im.size == (img['width'], img['height'])
                assert im.mode == 'RGB'
        for a in coco['annotations']:
            assert set(a) == ANN_KEYS
            x, y, w, h = a['bbox']
            img = images[a['image_id']]
            assert w > 0 and h > 0
            assert x >= 0 and y >= 0
            assert x + w <= img['width'] + 1e-6
            assert y + h <= img['height'] + 1e-6
            assert 1 <= a['category_id'] <= 10
            assert a['iscrowd'] == 0


def _digest(root):
    h = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            with open(osp.join(dirpath, name), 'rb') as f:
                h.update(name.encode() + f.read())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    for name, seed in (('a', 1), ('b', 1), ('c', 2)):
        make_synthetic_dataset(str(tmp_path / name), 4, 2, 2, seed=seed,
                               progress=False)
    assert _digest(tmp_path / 'a') == _digest(tmp_path / 'b')
    assert _digest(tmp_path / 'a') != _digest(tmp_path / 'c')


def test_size_statistics_are_svhn_like(tmp_path):
    make_synthetic_dataset(str(tmp_path), 200, 0, 0, seed=0, progress=False)
    with open(tmp_path / 'train.json') as f:
        coco = json.load(f)
    widths = sorted(img['width'] for img in coco['images'])
    heights = sorted(img['height'] for img in coco['images'])
    counts = Counter(
        Counter(a['image_id'] for a in coco['annotations']).values())
    # svhn-mini medians: 104 x 47 px; mostly 2-3 digits
    assert 60 <= widths[100] <= 160
    assert 25 <= heights[100] <= 80
    assert counts[2] + counts[3] > 0.5 * 200
    assert all(n in counts for n in (1, 2, 3, 4))
