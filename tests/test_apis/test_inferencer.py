import copy
import os.path as osp
from unittest import mock

import cv2
import mmengine
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.structures import InstanceData
from PIL import Image

from mmdigit.apis import DigitInferencer
from mmdigit.apis.inferencer import (MIN_VIS_SIDE, UnreadableImageWarning,
                                     config_reader_cfg, list_images,
                                     number_rows_text, number_rows_to_csv,
                                     to_bgr)
from mmdigit.datasets import DIGIT_METAINFO
from mmdigit.utils.config import BEST_THR_KEY, READER_CFG_KEY

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RECORDED_THR = 0.37


@pytest.fixture(scope='module')
def checkpoints(tiny_config, tmp_path_factory):
    """Random tiny-config weights saved as MMEngine saves them, with and
    without a recorded threshold."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(tiny_config).model)
    root = tmp_path_factory.mktemp('ckpt')
    paths = {}
    # reader options as older runs recorded them, removed ones included
    old_cfg = dict(nms_iou_thr=0.5, nms_ios_thr=0.6, max_digits=0)
    infos = dict(
        recorded={
            BEST_THR_KEY: RECORDED_THR,
            READER_CFG_KEY: old_cfg
        },
        plain={})
    for name, info in infos.items():
        paths[name] = str(root / f'{name}.pth')
        torch.save(
            dict(
                state_dict=model.state_dict(),
                meta=dict(dataset_meta=DIGIT_METAINFO),
                message_hub=dict(runtime_info=info)), paths[name])
    return paths


@pytest.fixture(scope='module')
def reader(tiny_config, checkpoints):
    # random weights score ~0.1: threshold 0 reads every kept box, so
    # numbers are long and any difference between inputs shows
    return DigitInferencer(
        tiny_config,
        checkpoints['recorded'],
        device='cpu',
        score_thr=0.,
        show_progress=False)


@pytest.fixture(scope='module')
def image(tiny_data):
    """A synthetic test image, BGR, wider than tall."""
    img = cv2.imread(osp.join(tiny_data, 'test', '1.png'))
    assert img.shape[1] != img.shape[0]
    return img


def predict(reader, inputs, **kwargs):
    return reader(inputs, **kwargs)['predictions']


@pytest.mark.parametrize('name,score_thr,expected,source', [
    ('recorded', None, RECORDED_THR, 'recorded on validation'),
    ('recorded', 0.2, 0.2, 'given'),
    ('plain', None, 0.5, 'default'),
])
def test_threshold_comes_from_the_one_checkpoint_load(tiny_config, checkpoints,
                                                      name, score_thr,
                                                      expected, source):
    with mock.patch.object(
            CheckpointLoader,
            'load_checkpoint',
            wraps=CheckpointLoader.load_checkpoint) as load:
        reader = DigitInferencer(
            tiny_config, checkpoints[name], device='cpu', score_thr=score_thr)
    assert load.call_count == 1
    assert reader.score_thr == expected
    assert reader.score_thr_source.startswith(source)
    # the recorded options the reader still has
    assert reader.reader_cfg == (
        dict(nms_ios_thr=0.6) if name == 'recorded' else {})


def test_read_number_and_its_score(reader):
    reader = copy.copy(reader)
    reader.score_thr = 0.5
    instances = InstanceData(
        bboxes=torch.tensor([[30., 0, 40, 20], [10, 0, 20, 20],
                             [31, 0, 41, 20], [50, 0, 60, 20]]),
        scores=torch.tensor([0.6, 0.9, 0.55, 0.3]),
        labels=torch.tensor([2, 1, 7, 5]))
    # the 7 overlaps the 2 and is suppressed, the 5 scores under 0.5: the
    # score is the 2's, not the suppressed or the dropped box's
    assert reader.read_number(instances) == ('12', pytest.approx(0.6))
    reader.reader_cfg = dict(nms_ios_thr=1.0)  # no suppression
    assert reader.read_number(instances) == ('127', pytest.approx(0.55))
    reader.score_thr = 0.95
    assert reader.read_number(instances) == ('', None)


def test_reader_options_are_the_test_evaluators():
    dumper = dict(
        type='DigitSubmissionDumper',
        out_dir='x',
        reader_cfg=dict(nms_ios_thr=0.6))
    assert config_reader_cfg(Config(dict(test_evaluator=dumper))) == \
        dict(nms_ios_thr=0.6)
    assert config_reader_cfg(Config(dict(
        test_evaluator=[dict(type='CocoMetric'), dumper]))) == \
        dict(nms_ios_thr=0.6)
    # none set: the checkpoint's recorded options apply
    assert config_reader_cfg(
        Config(dict(test_evaluator=dict(type='DigitSubmissionDumper')))) \
        is None


def test_reads_with_the_configs_reader_options(tiny_config, checkpoints,
                                               tiny_data):
    # random weights at threshold 0 read many overlapping boxes here
    image = cv2.imread(osp.join(tiny_data, 'test', '2.png'))
    cfg = Config.fromfile(tiny_config)
    default = DigitInferencer(
        cfg, checkpoints['plain'], device='cpu', score_thr=0.)
    assert default.reader_cfg == {}
    cfg.test_evaluator = dict(
        type='DigitSubmissionDumper',
        out_dir='unused',
        reader_cfg=dict(nms_ios_thr=1.0))
    reader = DigitInferencer(
        cfg, checkpoints['plain'], device='cpu', score_thr=0.)
    assert reader.reader_cfg == dict(nms_ios_thr=1.0)
    assert len(predict(reader, image)[0]['number']) > \
        len(predict(default, image)[0]['number'])
    with pytest.raises(KeyError, match='max_digits'):
        DigitInferencer(
            cfg, checkpoints['plain'], reader_cfg=dict(max_digits=2))


def test_numbers_and_pred2dict_use_the_number_boxes(reader):
    """A reading model that fuses passes keeps the boxes numbers are read
    from apart (``number_instances``)."""
    from mmdet.structures import DetDataSample
    s = DetDataSample(metainfo=dict(img_path='7.png'))
    s.pred_instances = InstanceData(
        bboxes=torch.tensor([[0., 0., 10., 20.], [12., 0., 22., 20.]]),
        scores=torch.tensor([0.9, 0.8]),
        labels=torch.tensor([4, 2]))
    s.set_metainfo(dict(number='42', number_score=0.8))
    assert 'number_instances' not in reader.pred2dict(s)
    s.number_instances = s.pred_instances[:1]
    assert reader.read_number(s.number_instances)[0] == '4'
    result = reader.pred2dict(s)
    assert result['number_instances'] == dict(
        labels=[4], scores=[pytest.approx(0.9)], bboxes=[[0., 0., 10., 20.]])
    assert result['labels'] == [4, 2]


def test_list_images(tmp_path):
    for name in ('10.png', '2.png', 'IMG_3.JPG', 'notes.txt'):
        (tmp_path / name).write_bytes(b'')
    (tmp_path / 'sub.png').mkdir()  # a folder, whatever its name
    folder = [str(tmp_path / n) for n in ('2.png', '10.png', 'IMG_3.JPG')]
    assert list_images(str(tmp_path)) == folder
    assert list_images(str(tmp_path / '*.png')) == folder[:2]
    missing = str(tmp_path / 'missing.png')
    gray = np.zeros((4, 5), np.uint8)
    images = list_images([missing, str(tmp_path), gray])
    assert images[:4] == [missing] + folder
    assert images[4].shape == (4, 5, 3)


def test_to_bgr():
    gray = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert (to_bgr(gray) == gray[..., None]).all()
    assert to_bgr(gray).shape == (2, 3, 3)
    bgra = np.random.RandomState(0).randint(0, 255, (2, 3, 4), np.uint8)
    assert (to_bgr(bgra) == bgra[..., :3]).all()
    with pytest.raises(ValueError, match='HxW'):
        to_bgr(np.zeros((2, 3, 2), np.uint8))


def test_number_rows_as_text_and_csv():
    rows = [('a.png', '128', 0.91234), ('b.jpg', '-1', None)]
    assert number_rows_text(rows) == [['a.png', '128', '0.9123'],
                                      ['b.jpg', '-1', '']]
    assert number_rows_to_csv(rows) == \
        'file,number,score\na.png,128,0.9123\nb.jpg,-1,\n'


def test_image_kinds_read_alike(reader, image, tmp_path):
    """Grayscale, RGBA, JPEG, EXIF-rotated and array inputs are read as the
    same picture decoded by the config's loader."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(tmp_path / 'gray.png'), gray)
    cv2.imwrite(str(tmp_path / 'gray3.png'), to_bgr(gray))
    cv2.imwrite(str(tmp_path / 'rgb.png'), image)
    alpha = np.random.RandomState(0).randint(0, 255, image.shape[:2])
    cv2.imwrite(
        str(tmp_path / 'rgba.png'),
        np.dstack([image, alpha]).astype(np.uint8))
    # a phone photo: pixels stored turned a quarter left, EXIF orientation 6
    # ("rotate 90 clockwise to display")
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.ascontiguousarray(np.rot90(image[..., ::-1]))).save(
        tmp_path / 'phone.jpg', exif=exif.tobytes())
    stored = cv2.imread(
        str(tmp_path / 'phone.jpg'),
        cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    upright = np.ascontiguousarray(np.rot90(stored, k=-1))
    big = cv2.resize(image, None, fx=12, fy=12)
    cv2.imwrite(str(tmp_path / 'big.jpg'), big)

    preds = predict(reader, [
        str(tmp_path / n) for n in ('gray.png', 'gray3.png', 'rgb.png',
                                    'rgba.png', 'phone.jpg', 'big.jpg')
    ] + [gray, upright,
         np.dstack([image, alpha]).astype(np.uint8)])
    gray_f, gray3_f, rgb_f, rgba_f, phone_f, big_f, gray_a, upright_a, \
        bgra_a = preds

    def same(a, b):
        assert a['number'] and a['number'] == b['number']
        assert a['bboxes'] == b['bboxes'] and a['scores'] == b['scores']

    same(gray_f, gray3_f)
    same(gray_f, gray_a)
    same(rgba_f, rgb_f)  # the alpha channel is dropped
    same(bgra_a, rgb_f)
    same(phone_f, upright_a)  # the EXIF orientation is applied
    h, w = image.shape[:2]
    assert max(x for box in phone_f['bboxes'] for x in box[::2]) <= w
    assert max(y for box in phone_f['bboxes'] for y in box[1::2]) <= h
    # boxes of a large image in its own pixels
    assert max(x for box in big_f['bboxes'] for x in box[::2]) > w * 2
    assert not any(p['unreadable'] for p in preds)


def test_unreadable_files_are_reported_not_raised(reader, tiny_data, tmp_path):
    (tmp_path / 'empty.png').write_bytes(b'')
    (tmp_path / 'text.jpg').write_text('not an image')
    good = osp.join(tiny_data, 'test', '2.png')
    inputs = [
        str(tmp_path / 'empty.png'), good,
        str(tmp_path / 'text.jpg'),
        str(tmp_path / 'missing.png')
    ]
    with pytest.warns(UnreadableImageWarning) as record:
        preds = predict(reader, inputs, batch_size=2)
    warned = [
        str(w.message) for w in record if w.category is UnreadableImageWarning
    ]
    assert len(warned) == 3
    for path, message in zip(inputs[:1] + inputs[2:], warned):
        assert message.startswith(f'unreadable image {path} (')
    assert [p['unreadable'] for p in preds] == [True, False, True, True]
    for p in preds[:1] + preds[2:]:
        assert (p['number'], p['number_score'], p['bboxes']) == ('', None, [])
    assert preds[1]['number']


def test_pictures_and_prediction_files(reader, tiny_data, tmp_path):
    path = osp.join(tiny_data, 'test', '3.png')
    h, w = cv2.imread(path).shape[:2]
    out = reader([path, str(tmp_path / 'missing.png')],
                 out_dir=str(tmp_path / 'out'),
                 no_save_pred=False,
                 return_vis=True)
    pred = out['predictions'][0]
    saved = mmengine.load(tmp_path / 'out' / 'preds' / '3.json')
    assert saved['number'] == pred['number'] and pred['number']
    assert saved['bboxes'] == pred['bboxes']
    picture = cv2.imread(str(tmp_path / 'out' / 'vis' / '3.png'))
    assert (picture[..., ::-1] == out['visualization'][0]).all()
    # enlarged so the short side is MIN_VIS_SIDE, plus the number's band
    scale = MIN_VIS_SIDE / min(h, w)
    assert picture.shape[1] == round(w * scale)
    assert picture.shape[0] > round(h * scale)
    assert (picture[:2] == 255).all()  # the band is white above the text
    assert osp.exists(tmp_path / 'out' / 'vis' / 'missing.png')


@pytest.mark.slow
@pytest.mark.parametrize('config', [
    'faster_rcnn_r50_fpn_digits.py',
    'ablations/fcos_r50_fpn_gn-head_1x_digits.py'
])
def test_repo_configs(config, image):
    """The test pipelines and model kinds of the configs (random weights)."""
    with pytest.warns(UserWarning, match='weights is None'):
        reader = DigitInferencer(
            osp.join(REPO, 'configs', config),
            device='cpu',
            score_thr=0.,
            show_progress=False)
    pred, = predict(reader, cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    assert pred['number'].isdigit()
    assert all(0 <= label <= 9 for label in pred['labels'])
