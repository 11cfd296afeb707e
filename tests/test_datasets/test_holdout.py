import json
import os.path as osp
import subprocess
import sys

import pytest

from mmdigit.datasets import check_dataset, hold_out, parse_id_ranges
from mmdigit.utils import OutputExistsError, UserInputError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'hold_out.py')


def load(root, split):
    with open(osp.join(root, f'{split}.json')) as f:
        return json.load(f)


def boxes_by_image(coco):
    """{file bytes: sorted [(bbox, category_id)]} of a split on disk."""
    out = {}
    for img in coco['images']:
        anns = sorted((a['bbox'], a['category_id'])
                      for a in coco['annotations']
                      if a['image_id'] == img['id'])
        out[img['id']] = (img['file_name'], anns)
    return out


def test_parse_id_ranges():
    assert parse_id_ranges('1401-1403') == [1401, 1402, 1403]
    assert parse_id_ranges('3, 7,10-11,7') == [3, 7, 10, 11]
    for bad in ('', '3-', 'a', '5-2'):
        with pytest.raises(UserInputError):
            parse_id_ranges(bad)


def test_hold_out_ids(tiny_data, tmp_path):
    out = str(tmp_path / 'held')
    summary = hold_out(tiny_data, out, ids=[3, 5, 6], progress=False)
    src = load(tiny_data, 'train')
    src_boxes = boxes_by_image(src)
    train, valid = load(out, 'train'), load(out, 'valid')
    assert summary['valid']['images'] == 3
    assert summary['train']['images'] == len(src['images']) - 3
    record = load(out, 'holdout')
    assert record['valid_source_ids'] == [3, 5, 6]
    assert record['train_source_ids'] == [
        i for i in range(1,
                         len(src['images']) + 1) if i not in (3, 5, 6)
    ]
    # ids from 1 in source order; each image and its boxes as in the source
    for coco, split in ((train, 'train'), (valid, 'valid')):
        assert [img['id'] for img in coco['images']
                ] == list(range(1,
                                len(coco['images']) + 1))
        sources = record[f'{split}_source_ids']
        for new_id, (name, anns) in boxes_by_image(coco).items():
            src_name, src_anns = src_boxes[sources[new_id - 1]]
            assert name == f'{new_id}.png'
            assert anns == src_anns
            with open(osp.join(out, split, name), 'rb') as a, open(
                    osp.join(tiny_data, 'train', src_name), 'rb') as b:
                assert a.read() == b.read()
    assert osp.realpath(osp.join(out, 'test')) == osp.realpath(
        osp.join(tiny_data, 'test'))
    check_dataset(out)  # a whole course dataset: raises on any error
    with pytest.raises(OutputExistsError):
        hold_out(tiny_data, out, ids=[1], progress=False)


def test_hold_out_num_is_seeded(tiny_data, tmp_path):
    drawn = []
    for name, seed in (('a', 1), ('b', 1), ('c', 2)):
        hold_out(
            tiny_data,
            str(tmp_path / name),
            num=5,
            seed=seed,
            link=True,
            progress=False)
        drawn.append(load(str(tmp_path / name), 'holdout')['valid_source_ids'])
    assert drawn[0] == drawn[1] != drawn[2]
    assert len(drawn[0]) == 5 and drawn[0] == sorted(drawn[0])


@pytest.mark.parametrize('kwargs, match',
                         [(dict(), 'exactly one'),
                          (dict(ids=[1], num=1), 'exactly one'),
                          (dict(ids=[1, 999]), '999'), (dict(num=0), 'num=0'),
                          (dict(num=10**6), 'num=1000000'),
                          (dict(ids=list(range(1, 25))), 'every image')])
def test_hold_out_rejects(tiny_data, tmp_path, kwargs, match):
    with pytest.raises(UserInputError, match=match):
        hold_out(tiny_data, str(tmp_path / 'x'), progress=False, **kwargs)
    assert not osp.exists(tmp_path / 'x' / 'valid.json')


@pytest.mark.slow
def test_hold_out_cli(tiny_data, tmp_path):
    out = str(tmp_path / 'held')
    ok = subprocess.run([sys.executable, TOOL, tiny_data, out, '--ids', '2-4'],
                        capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert 'valid        3 images' in ok.stdout
    bad = subprocess.run(
        [sys.executable, TOOL, tiny_data, out, '--ids', '2-4'],
        capture_output=True,
        text=True)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1] == (
        f'error: {out}/train is not empty; remove it first')
