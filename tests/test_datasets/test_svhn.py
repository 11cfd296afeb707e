"""SVHN format-1 digitStruct.mat -> course layout (converter and tool)."""
import json
import os
import os.path as osp
import subprocess
import sys

import h5py
import numpy as np
import pytest
from PIL import Image

from mmdigit.datasets import check_dataset, convert_svhn, read_digit_struct

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# (name, (width, height), [(left, top, width, height, SVHN label), ...])
# yapf: disable
TRAIN = [
    ('1.png', (40, 20), [(3, 2, 10, 15, 5)]),  # one digit: direct values
    ('2.png', (50, 30), [
        (-2, 1, 12, 31, 10),  # label 10 = digit 0; sticks out left, bottom
        (12, 3, 10, 20, 1),
        (50, 4, 3, 8, 2),  # starts at the right border: empty, dropped
    ]),
    ('3.png', (41, 21), [(1, 1, 9, 9, 10)]),
    ('4.png', (42, 22), [(2, 2, 8, 8, 4), (11, 2, 8, 8, 6)]),
    ('5.png', (43, 23), [(3, 3, 7, 7, 7)]),
    ('6.png', (44, 24), [(4, 4, 6, 6, 8), (12, 4, 6, 6, 9)]),
]
# yapf: enable
TEST = [
    ('1.png', (30, 15), [(1, 1, 5, 5, 10)]),
    ('2.png', (31, 16), [(1, 1, 5, 5, 3), (7, 1, 5, 5, 3)]),
]
FIELDS = ('left', 'top', 'width', 'height', 'label')


def write_digit_struct(path, images, orientation=(-1, 1)):
    """Write ``images`` as MATLAB v7.3 does: a 512-byte user block, values
    in ``#refs#`` reached by object references, char arrays as uint16.
    ``orientation`` shapes the reference arrays: ``(-1, 1)`` as SVHN's own
    files, ``(1, -1)`` as some re-saved ones."""
    with h5py.File(path, 'w', userblock_size=512) as f:
        refs = f.create_group('#refs#')

        def ref_to(data, cls='double'):
            ds = refs.create_dataset(str(len(refs)), data=data)
            ds.attrs['MATLAB_class'] = np.bytes_(cls)
            return ds.ref

        def ref_array(items):
            ds = np.empty((len(items), 1), dtype=h5py.ref_dtype)
            ds[:, 0] = items
            return ds

        names, bboxes = [], []
        for name, _, boxes in images:
            names.append(
                ref_to(np.array([[ord(c)] for c in name], np.uint16), 'char'))
            group = refs.create_group(str(len(refs)))
            group.attrs['MATLAB_class'] = np.bytes_('struct')
            for i, key in enumerate(FIELDS):
                values = [float(b[i]) for b in boxes]
                if len(values) == 1:
                    data = np.array([values])
                else:
                    data = ref_array([ref_to(np.array([[v]]))
                                      for v in values]).reshape(orientation)
                group.create_dataset(key, data=data)
            bboxes.append(group.ref)
        struct = f.create_group('digitStruct')
        struct.attrs['MATLAB_class'] = np.bytes_('struct')
        for key, items in (('name', names), ('bbox', bboxes)):
            struct.create_dataset(
                key, data=ref_array(items).reshape(orientation))


def write_split(root, split, images, **kwargs):
    folder = root / split
    folder.mkdir(parents=True)
    for i, (name, (w, h), _) in enumerate(images):
        # A distinct grey level per image tells them apart after renaming.
        Image.new('RGB', (w, h), (i * 30, 0, 0)).save(folder / name)
    write_digit_struct(str(folder / 'digitStruct.mat'), images, **kwargs)


@pytest.fixture
def svhn(tmp_path):
    root = tmp_path / 'svhn'
    write_split(root, 'train', TRAIN)
    write_split(root, 'test', TEST)
    return root


def load(root, split):
    with open(osp.join(root, f'{split}.json')) as f:
        return json.load(f)


@pytest.mark.parametrize('orientation', [(-1, 1), (1, -1)])
def test_read_digit_struct(tmp_path, orientation):
    write_split(tmp_path, 'train', TRAIN, orientation=orientation)
    images = read_digit_struct(str(tmp_path / 'train' / 'digitStruct.mat'))
    assert images == [
        dict(
            name=name, boxes=[(*map(float, b[:4]), b[4] % 10) for b in boxes])
        for name, _, boxes in TRAIN
    ]
    assert images[1]['boxes'][0] == (-2., 1., 12., 31., 0)


def test_convert_writes_the_course_layout(svhn, tmp_path):
    out = tmp_path / 'out'
    summary = convert_svhn(str(svhn), str(out), progress=False)
    assert summary == dict(
        train=dict(images=6, boxes=9, clipped=1, dropped=1),
        test=dict(images=2, boxes=3, clipped=0, dropped=0))
    coco = load(out, 'train')
    assert coco['categories'] == [
        dict(id=d + 1, name=str(d)) for d in range(10)
    ]
    assert coco['images'][:2] == [
        dict(id=1, file_name='1.png', height=20, width=40),
        dict(id=2, file_name='2.png', height=30, width=50)
    ]
    assert [img['id'] for img in coco['images']] == list(range(1, 7))
    anns = [(a['id'], a['image_id'], a['bbox'], a['category_id'], a['area'],
             a['iscrowd']) for a in coco['annotations']]
    assert anns[:4] == [
        (1, 1, [3, 2, 10, 15], 6, 150, 0),
        (2, 2, [0, 1, 10, 29], 1, 290, 0),  # clipped, label 10 -> '0'
        (3, 2, [12, 3, 10, 20], 2, 200, 0),
        (4, 3, [1, 1, 9, 9], 1, 81, 0),
    ]
    assert len(anns) == 9
    assert sorted(
        os.listdir(out)) == ['test', 'test.json', 'train', 'train.json']
    train_files = sorted(os.listdir(out / 'train'))
    assert train_files == [f'{i}.png' for i in range(1, 7)]
    assert (out / 'train' / '2.png').read_bytes() == \
        (svhn / 'train' / '2.png').read_bytes()
    test = load(out, 'test')
    assert [(a['image_id'], a['category_id'])
            for a in test['annotations']] == [(1, 1), (2, 4), (2, 4)]
    assert test['images'][1] == dict(
        id=2, file_name='2.png', height=16, width=31)
    # nothing is overwritten
    with pytest.raises(FileExistsError, match='not empty'):
        convert_svhn(str(svhn), str(out), progress=False)


def test_split_valid_is_disjoint_and_seeded(svhn, tmp_path):

    def convert(name, seed):
        out = tmp_path / name
        summary = convert_svhn(
            str(svhn),
            str(out),
            splits=['train'],
            split_valid=2,
            seed=seed,
            progress=False)
        sources = {}  # the TRAIN index of every output image, by its red
        for split in ('train', 'valid'):
            sources[split] = []
            for i in range(1, summary[split]['images'] + 1):
                with Image.open(out / split / f'{i}.png') as im:
                    sources[split].append(im.getpixel((0, 0))[0] // 30)
        return summary, sources, load(out, 'valid')

    summary, sources, valid = convert('a', 0)
    num_images = {k: v['images'] for k, v in summary.items()}
    assert num_images == dict(train=4, valid=2)
    assert sorted(sources['train'] + sources['valid']) == list(range(6))
    for split in ('train', 'valid'):  # source order, ids from 1
        assert sources[split] == sorted(sources[split])
    assert [img['id'] for img in valid['images']] == [1, 2]
    kept_boxes = [1, 2, 1, 2, 1, 2]  # per TRAIN image, after dropping
    assert [
        sum(a['image_id'] == i for a in valid['annotations']) for i in (1, 2)
    ] == [kept_boxes[j] for j in sources['valid']]
    assert convert('b', 0)[1:] == (sources, valid)
    assert any(convert(f'c{seed}', seed)[1] != sources for seed in range(1, 6))


@pytest.mark.slow
def test_tool_output_passes_check_dataset(svhn, tmp_path):
    out = tmp_path / 'out'
    cmd = [
        sys.executable, 'tools/dataset_converters/svhn_to_coco.py',
        str(svhn),
        str(out), '--split-valid', '2', '--seed', '1', '--link'
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert 'tools/check_dataset.py' in proc.stdout
    assert osp.samefile(out / 'test' / '1.png', svhn / 'test' / '1.png')
    found = check_dataset(str(out))
    errors = {
        k: [p for p in v if p.level == 'error']
        for k, v in found.items()
    }
    assert errors == dict(train=[], valid=[], test=[])
