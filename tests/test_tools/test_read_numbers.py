"""tools/read_numbers.py as a subprocess, on a checkpoint trained by
tools/train.py, against tools/test.py's pred.csv."""
import csv
import io
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
pytestmark = pytest.mark.slow


def tool(*args, check=True):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope='module')
def checkpoint(tiny_data, tiny_config, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('train'))
    tool('tools/train.py', tiny_config, '--data-root', tiny_data, '--work-dir',
         work_dir)
    return osp.join(work_dir, 'iter_4.pth')


@pytest.mark.parametrize('thr', [None, '0.1'], ids=['recorded thr', '--thr'])
def test_numbers_equal_test_py_pred_csv(checkpoint, tiny_data, tiny_config,
                                        tmp_path, thr):
    test_args = ['--csv-thr', thr] if thr else []
    tool('tools/test.py', tiny_config, checkpoint, '--data-root', tiny_data,
         '--out', str(tmp_path / 'sub'), *test_args)
    with open(tmp_path / 'sub' / 'pred.csv') as f:
        expected = {r['image_id']: r['pred_label'] for r in csv.DictReader(f)}
    # with --thr, also test.py's batches (its test_dataloader batch size)
    read_args = ['--thr', thr, '--batch-size', '2'] if thr else []
    proc = tool('tools/read_numbers.py', tiny_config, checkpoint,
                osp.join(tiny_data, 'test'), '--csv',
                str(tmp_path / 'numbers.csv'), '--out-dir',
                str(tmp_path / 'vis'), *read_args)
    got = rows(proc.stdout)
    assert [r['file'] for r in got] == [
        osp.join(tiny_data, 'test', f'{i}.png') for i in range(1, 7)
    ]
    numbers = {osp.basename(r['file'])[:-4]: r['number'] for r in got}
    assert numbers == expected
    assert any(n != '-1' for n in numbers.values())  # not vacuous
    for r in got:
        assert (r['score'] == '') == (r['number'] == '-1')
    source = 'given' if thr else 'recorded on validation'
    assert f'({source}' in proc.stderr
    assert '] 6/6, ' in proc.stderr  # the progress bar of a folder
    assert (tmp_path / 'numbers.csv').read_text() == proc.stdout
    assert sorted(os.listdir(tmp_path / 'vis' / 'vis')) == sorted(
        f'{i}.png' for i in range(1, 7))


def test_image_kinds_and_unreadable_files(checkpoint, tiny_data, tiny_config,
                                          tmp_path):
    img = cv2.imread(osp.join(tiny_data, 'test', '4.png'))
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(tmp_path / 'gray.png'), gray)
    cv2.imwrite(str(tmp_path / 'gray3.png'), cv2.merge([gray] * 3))
    cv2.imwrite(str(tmp_path / 'rgb.png'), img)
    alpha = np.random.RandomState(0).randint(0, 255, img.shape[:2])
    cv2.imwrite(
        str(tmp_path / 'rgba.png'),
        np.dstack([img, alpha]).astype(np.uint8))
    # a phone photo stored a quarter turn left with EXIF orientation 6; the
    # reference is its pixels turned upright by hand
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.ascontiguousarray(np.rot90(img[..., ::-1]))).save(
        tmp_path / 'phone.JPG', exif=exif.tobytes())
    stored = cv2.imread(
        str(tmp_path / 'phone.JPG'),
        cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    cv2.imwrite(str(tmp_path / 'upright.png'), np.rot90(stored, k=-1))
    (tmp_path / 'empty.png').write_bytes(b'')
    (tmp_path / 'text.jpg').write_text('not an image')
    names = [
        'gray.png', 'gray3.png', 'rgb.png', 'rgba.png', 'phone.JPG',
        'upright.png', 'empty.png', 'text.jpg', 'missing.png'
    ]
    proc = tool('tools/read_numbers.py', tiny_config, checkpoint,
                *[str(tmp_path / n) for n in names])
    got = {
        osp.basename(r['file']): (r['number'], r['score'])
        for r in rows(proc.stdout)
    }
    assert list(got) == names
    assert got['gray.png'] == got['gray3.png']
    assert got['rgba.png'] == got['rgb.png']
    assert got['phone.JPG'] == got['upright.png']
    assert all(got[n][0].isdigit() for n in names[:6])
    for name in names[6:]:
        assert got[name] == ('-1', '')
        assert f'warning: unreadable image {tmp_path / name} (' in \
            proc.stderr
    assert 'ETA:' not in proc.stderr  # no progress bar for listed files


@pytest.mark.parametrize('case,message', [
    ('config', 'config file not found'),
    ('checkpoint', 'checkpoint not found'),
    ('inputs', 'no images found in'),
])
def test_user_errors_are_one_line(tiny_data, tiny_config, tmp_path, case,
                                  message):
    (tmp_path / 'never_read.pth').write_bytes(b'')  # errors come first
    args = dict(
        config=tiny_config,
        checkpoint=str(tmp_path / 'never_read.pth'),
        inputs=osp.join(tiny_data, 'test', '1.png'))
    args[case] = str(tmp_path / ('*.png' if case == 'inputs' else 'missing'))
    proc = tool(
        'tools/read_numbers.py',
        args['config'],
        args['checkpoint'],
        args['inputs'],
        check=False)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == \
        f'error: {message}: {args[case]}'
