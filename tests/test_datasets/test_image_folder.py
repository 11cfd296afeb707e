import os.path as osp
import shutil

import numpy as np
import pytest
from mmdet.registry import DATASETS
from mmengine.registry import init_default_scope

from mmdigit.datasets import DatasetError

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 64), keep_ratio=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]


def build(folder):
    init_default_scope('mmdet')
    return DATASETS.build(
        dict(
            type='DigitImageFolderDataset',
            data_root=str(folder),
            data_prefix=dict(img='test/'),
            pipeline=PIPELINE))


def copy_test(tiny_data, tmp_path):
    shutil.copytree(osp.join(tiny_data, 'test'), tmp_path / 'test')
    return tmp_path / 'test'


def test_lists_images_by_integer_id(tiny_data, tmp_path):
    folder = copy_test(tiny_data, tmp_path)
    shutil.copy(folder / '2.png', folder / '10.png')
    (folder / 'notes.txt').write_text('ignored')
    dataset = build(tmp_path)
    assert [dataset.get_data_info(i)['img_id']
            for i in range(len(dataset))] == [1, 2, 3, 4, 5, 6, 10]
    sample = dataset[0]['data_samples']
    # boxes are mapped back with scale_factor: it must travel with the image
    assert sample.scale_factor[0] > 1
    assert sample.img_shape != sample.ori_shape
    assert sample.unreadable is False


@pytest.mark.parametrize('content', [b'', b'\x89PNG\r\n\x1a\n\x00\x00\x00'])
def test_unreadable_file_gives_placeholder(tiny_data, tmp_path, content,
                                           caplog):
    folder = copy_test(tiny_data, tmp_path)
    (folder / '3.png').write_bytes(content)
    dataset = build(tmp_path)
    out = dataset[2]
    assert out['data_samples'].img_id == 3
    assert out['data_samples'].unreadable is True
    assert out['inputs'].shape[0] == 3
    assert dataset[3]['data_samples'].unreadable is False


def test_bad_names_and_empty_folder(tmp_path):
    (tmp_path / 'test').mkdir()
    with pytest.raises(DatasetError, match='no .* images'):
        build(tmp_path)
    (tmp_path / 'test' / 'a.png').write_bytes(b'x')
    with pytest.raises(DatasetError, match='integer id'):
        build(tmp_path)


def test_digit_coco_dataset_maps_category_to_digit(tiny_data):
    init_default_scope('mmdet')
    dataset = DATASETS.build(
        dict(
            type='DigitCocoDataset',
            data_root=tiny_data,
            ann_file='valid.json',
            data_prefix=dict(img='valid/'),
            pipeline=[]))
    import json
    with open(osp.join(tiny_data, 'valid.json')) as f:
        coco = json.load(f)
    first = [a for a in coco['annotations'] if a['image_id'] == 1]
    labels = [i['bbox_label'] for i in dataset.get_data_info(0)['instances']]
    assert labels == [a['category_id'] - 1 for a in first]
    assert dataset.metainfo['classes'] == tuple('0123456789')
    assert np.all(np.array(labels) < 10)
