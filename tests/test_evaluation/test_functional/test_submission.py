import json
import os
import zipfile
from unittest import mock

import pytest

from mmdigit.datasets import DatasetError
from mmdigit.evaluation import (evaluate_submission, load_submission,
                                write_submission)
from mmdigit.utils import InputNotFoundError, UserInputError

DETS = [dict(image_id=1, bbox=[1.0, 2.0, 3.0, 4.0], score=0.9, category_id=2)]
ROWS = [(1, '1'), (2, '-1')]


def test_written_submission_loads_back(tmp_path):
    zip_path = write_submission(str(tmp_path / 'sub'), DETS, ROWS)
    for path in (tmp_path / 'sub', zip_path):
        dets, labels = load_submission(str(path))
        assert dets == DETS and labels == {1: '1', 2: '-1'}
    files = sorted(os.listdir(tmp_path / 'sub'))
    assert files == ['pred.csv', 'pred.json', 'submission.zip']


def test_failed_write_keeps_the_previous_three_files(tmp_path):
    out = tmp_path / 'sub'
    write_submission(str(out), DETS, ROWS)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_fsync = os.fsync
    calls = []

    def fsync(fd):  # dies while writing the zip, the last of the three
        calls.append(fd)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_fsync(fd)

    with mock.patch('os.fsync', side_effect=fsync):
        with pytest.raises(KeyboardInterrupt):
            write_submission(str(out), [], [(1, '7')])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_bad_submissions_are_user_errors(tmp_path):
    with pytest.raises(InputNotFoundError, match='submission not found'):
        load_submission(str(tmp_path / 'nope'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(UserInputError, match='no pred.json in this folder'):
        load_submission(str(tmp_path / 'empty'))
    with zipfile.ZipFile(tmp_path / 'half.zip', 'w') as zf:
        zf.writestr('pred.json', '[]')
    with pytest.raises(UserInputError, match='the zip has no pred.csv'):
        load_submission(str(tmp_path / 'half.zip'))
    (tmp_path / 'notes.txt').write_text('hello')
    with pytest.raises(UserInputError, match='not a submission'):
        load_submission(str(tmp_path / 'notes.txt'))
    bad = tmp_path / 'bad'
    bad.mkdir()
    (bad / 'pred.json').write_text('[{')
    (bad / 'pred.csv').write_text('image_id,pred_label\n1,2\n')
    with pytest.raises(UserInputError, match='not a valid submission'):
        load_submission(str(bad))
    (bad / 'pred.csv').write_text('id,label\n1,2\n')
    with pytest.raises(UserInputError, match='header must be'):
        load_submission(str(bad))


def test_evaluate_submission_bad_ann_file_is_a_dataset_error(tmp_path):
    sub = write_submission(str(tmp_path / 'sub'), DETS, ROWS)
    with pytest.raises(DatasetError, match='annotation file not found'):
        evaluate_submission(sub, str(tmp_path / 'valid.json'))
    (tmp_path / 'valid.json').write_text(json.dumps(dict(images=[])))
    with pytest.raises(DatasetError, match='no annotations / categories'):
        evaluate_submission(sub, str(tmp_path / 'valid.json'))


def test_resolve_reading_given_then_recorded_then_default():
    from mmdigit.evaluation import DEFAULT_CSV_SCORE_THR, resolve_reading
    recorded = (0.35, dict(nms_ios_thr=0.7))
    assert resolve_reading(0.2, dict(nms_ios_thr=0.6), recorded) == \
        (0.2, dict(nms_ios_thr=0.6), 'given')
    thr, cfg, source = resolve_reading(recorded=recorded)
    assert (thr, cfg) == (0.35, dict(nms_ios_thr=0.7))
    assert source.startswith('recorded on validation')
    thr, cfg, source = resolve_reading()
    assert (thr, cfg) == (DEFAULT_CSV_SCORE_THR, {})
    assert source.startswith('default')


def test_resolve_reading_ignores_removed_recorded_options():
    from mmdigit.evaluation import resolve_reading

    # what checkpoints recorded before the reader lost its other options
    old = dict(
        nms_iou_thr=0.5,
        nms_ios_thr=0.6,
        nms_x_thr=1.0,
        rel_score_thr=0.0,
        line_tol=float('inf'),
        height_tol=float('inf'),
        max_digits=0)
    # the rules a checkpoint recorded as off stay off
    assert resolve_reading(recorded=(0.35, old))[1] == dict(
        nms_ios_thr=0.6, line_tol=float('inf'), height_tol=float('inf'))
    # given options must exist
    with pytest.raises(KeyError, match='max_digits'):
        resolve_reading(reader_cfg=dict(max_digits=3), recorded=(0.35, old))
