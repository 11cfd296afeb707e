"""One case per dataset problem (issue: bad input must fail clearly)."""
import json
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmdet.registry import DATASETS
from mmengine.registry import init_default_scope

from mmdigit.datasets import (DatasetError, check_coco_split, check_dataset,
                              check_image_folder)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def data(tiny_data, tmp_path):
    root = tmp_path / 'data'
    shutil.copytree(tiny_data, root)
    return root


def edit_json(root, split, fn):
    path = root / f'{split}.json'
    coco = json.loads(path.read_text())
    fn(coco)
    path.write_text(json.dumps(coco))
    return coco


def problems(root, split='train', decode=True):
    return check_coco_split(
        str(root / f'{split}.json'), str(root / split), decode=decode)


def kinds(found, level='error'):
    return sorted({p.kind for p in found if p.level == level})


def first_image(root, split='train'):
    coco = json.loads((root / f'{split}.json').read_text())
    img = coco['images'][0]
    return img, root / split / img['file_name']


def test_clean_dataset_has_no_problems(data):
    found = check_dataset(str(data))
    errors = {k: kinds(v) for k, v in found.items()}
    assert errors == dict(train=[], valid=[], test=[])


def test_missing_zero_byte_and_truncated_images(data):
    coco = json.loads((data / 'train.json').read_text())
    names = [img['file_name'] for img in coco['images'][:3]]
    (data / 'train' / names[0]).unlink()
    (data / 'train' / names[1]).write_bytes(b'')
    raw = (data / 'train' / names[2]).read_bytes()
    (data / 'train' / names[2]).write_bytes(raw[:len(raw) // 2])
    found = problems(data)
    by_file = {p.where.split(' ')[0]: p.kind for p in found}
    assert by_file[str(data / 'train' / names[0])] == 'missing_image'
    assert by_file[str(data / 'train' / names[1])] == 'unreadable_image'
    assert by_file[str(data / 'train' / names[2])] == 'unreadable_image'
    # a header-only check cannot see the truncation
    assert len([p for p in problems(data, decode=False)
                if p.level == 'error']) == 2


def test_size_mismatch(data):
    img, path = first_image(data)
    cv2.imwrite(
        str(path), np.zeros((img['height'] + 3, img['width'], 3), np.uint8))
    (p, ) = [p for p in problems(data) if p.level == 'error']
    assert p.kind == 'size_mismatch' and str(path) in p.where
    assert f'json says {img["width"]}x{img["height"]}' in p.message


@pytest.mark.parametrize('bbox,kind,level', [
    ([2, 2, 0, 5], 'bad_box', 'error'),
    ([2, 2, 5, -1], 'bad_box', 'error'),
    ([2, 2, 0.5, 5], 'bad_box', 'error'),
    ([5000, 2, 5, 5], 'bad_box', 'error'),
    ([-3, 2, 6, 5], 'box_outside', 'warning'),
    ([2, 2, 5], 'bad_box', 'error'),
])
def test_degenerate_and_outside_boxes(data, bbox, kind, level):

    def fn(coco):
        coco['annotations'][0]['bbox'] = bbox

    edit_json(data, 'train', fn)
    found = [p for p in problems(data) if p.kind == kind]
    assert len(found) == 1 and found[0].level == level
    assert 'annotations[0]' in found[0].where


def test_unknown_category_and_duplicate_ids(data):

    def fn(coco):
        coco['annotations'][0]['category_id'] = 11
        coco['annotations'][2]['id'] = coco['annotations'][1]['id']
        coco['images'].append(dict(coco['images'][0]))
        coco['categories'][3]['name'] = 'three'

    edit_json(data, 'train', fn)
    assert kinds(problems(data)) == ['duplicate_id', 'unknown_category']
    msgs = [p.message for p in problems(data) if p.level == 'error']
    assert any('category_id 11' in m for m in msgs)
    assert any("'three'" in m for m in msgs)


def test_unknown_image_id(data):

    def fn(coco):
        coco['annotations'][0]['image_id'] = 999

    edit_json(data, 'train', fn)
    assert kinds(problems(data)) == ['unknown_image']


def test_missing_keys_and_malformed_json(data):

    def fn(coco):
        del coco['annotations'][1]['bbox']
        del coco['images'][0]['height']

    edit_json(data, 'train', fn)
    found = [p for p in problems(data) if p.kind == 'missing_key']
    assert {p.message
            for p in found
            } == {'missing key(s) bbox', 'missing key(s) height'}
    (data / 'valid.json').write_text('{"images": [}')
    (p, ) = problems(data, 'valid')
    assert p.kind == 'malformed_json' and 'line 1' in p.message
    (data / 'valid.json').write_text('{"images": []}')
    (p, ) = problems(data, 'valid')
    assert p.kind == 'missing_key' and 'annotations' in p.message


def test_image_without_annotations_is_a_warning(data):
    img, _ = first_image(data)

    def fn(coco):
        coco['annotations'] = [
            a for a in coco['annotations'] if a['image_id'] != img['id']
        ]

    edit_json(data, 'train', fn)
    found = problems(data)
    assert kinds(found) == []
    assert kinds(found, 'warning') == ['no_annotations']


@pytest.mark.parametrize('mode,shape,dtype,words', [
    ('gray', (), np.uint8, 'grayscale'),
    ('rgba', (4, ), np.uint8, 'alpha'),
    ('16bit', (), np.uint16, '16-bit'),
])
def test_non_rgb_images_are_warned_and_load_as_8bit_bgr(
        data, mode, shape, dtype, words):
    img, path = first_image(data)
    pixels = np.full((img['height'], img['width']) + shape, 200, dtype)
    if dtype == np.uint16:
        pixels *= 256
    cv2.imwrite(str(path), pixels)
    found = [p for p in problems(data) if p.kind == 'non_rgb_image']
    assert len(found) == 1 and words in found[0].message
    assert kinds(problems(data)) == []
    # and the training pipeline really gets 3-channel uint8 pixels
    from mmcv.transforms import LoadImageFromFile
    out = LoadImageFromFile()(dict(img_path=str(path)))
    assert out['img'].shape == (img['height'], img['width'], 3)
    assert out['img'].dtype == np.uint8
    assert int(out['img'].max()) in (199, 200)


def test_large_image_is_a_warning(data, tmp_path):
    folder = tmp_path / 'big'
    folder.mkdir()
    cv2.imwrite(str(folder / '1.png'), np.zeros((10, 4100, 3), np.uint8))
    found = check_image_folder(str(folder))
    assert [(p.level, p.kind) for p in found] == [('warning', 'large_image')]


def test_test_folder_problems(tmp_path):
    folder = tmp_path / 'test'
    folder.mkdir()
    (found, ) = check_image_folder(str(folder))
    assert found.kind == 'empty_folder' and found.level == 'error'
    (folder / '1.png').write_bytes(b'')
    (found, ) = check_image_folder(str(folder))
    # inference writes -1 for it, so only a warning
    assert found.level == 'warning' and 'written as -1' in found.message
    assert check_image_folder(str(tmp_path / 'nope'))[0].kind == \
        'missing_folder'


def test_dataset_fails_fast_with_one_line(data):

    def fn(coco):
        coco['annotations'][0]['category_id'] = 42
        coco['annotations'][1]['bbox'] = [1, 1, 0, 0]

    edit_json(data, 'train', fn)
    init_default_scope('mmdet')
    with pytest.raises(DatasetError) as err:
        DATASETS.build(
            dict(
                type='DigitCocoDataset',
                data_root=str(data),
                ann_file='train.json',
                data_prefix=dict(img='train/'),
                pipeline=[]))
    msg = str(err.value)
    assert '\n' not in msg
    assert 'train.json annotations[0]' in msg and 'category_id 42' in msg
    assert '1 more' in msg and 'check_dataset.py' in msg


@pytest.mark.slow
def test_check_dataset_tool_exit_codes(data):
    tool = [sys.executable, osp.join(REPO, 'tools', 'check_dataset.py')]
    proc = subprocess.run(tool + [str(data)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.rstrip().endswith('OK')
    _, path = first_image(data, 'valid')
    path.unlink()
    proc = subprocess.run(tool + [str(data)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert f'error: {path}' in proc.stdout
    assert 'valid      1 errors' in proc.stdout
