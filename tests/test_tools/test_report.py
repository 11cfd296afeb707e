import json
import os
import os.path as osp

import pytest
from PIL import Image

from mmdigit.tools.report import BarPanel, write_table_report
from mmdigit.utils import markdown_table

HEADERS = ['config', 'mAP', '×']
ROWS = [['base', '0.500', '1.00'], ['variant', '0.750', '1.50']]


def test_markdown_table():
    assert markdown_table(HEADERS, ROWS) == ('| config | mAP | × |\n'
                                             '|---|---|---|\n'
                                             '| base | 0.500 | 1.00 |\n'
                                             '| variant | 0.750 | 1.50 |')
    assert markdown_table(['a'], []) == '| a |\n|---|'


def test_write_table_report_md_csv_json_png(tmp_path):
    work_dir = str(tmp_path / 'new' / 'folder')
    panels = [
        BarPanel('mAP', [0.5, 0.75], labels=['1.00×', '1.50×']),
        BarPanel('iters', [10, 0], errors=[(1, 2), (0, 0)]),
    ]
    paths = write_table_report(
        work_dir,
        'rep',
        HEADERS,
        ROWS,
        intro=['Set-up.', '`cmd`'],
        notes=['× = ratio.'],
        csv_rows=[['config', 'mAP', 'note'], ['base', 0.5, ''],
                  ['variant', 0.75, 'a, b']],
        json_data=dict(meta={'device': 'cpu'}, results=[1, 2]),
        panels=panels,
        title='a title')
    assert paths == {
        ext: osp.join(work_dir, f'rep.{ext}')
        for ext in ('md', 'csv', 'json', 'png')
    }
    with open(paths['md'], encoding='utf-8') as f:
        assert f.read() == ('Set-up.\n\n`cmd`\n\n'
                            '| config | mAP | × |\n'
                            '|---|---|---|\n'
                            '| base | 0.500 | 1.00 |\n'
                            '| variant | 0.750 | 1.50 |\n\n'
                            '× = ratio.\n')
    with open(paths['csv'], 'rb') as f:
        assert f.read() == (b'config,mAP,note\r\nbase,0.5,\r\n'
                            b'variant,0.75,"a, b"\r\n')
    with open(paths['json']) as f:
        text = f.read()
    assert json.loads(text) == dict(meta={'device': 'cpu'}, results=[1, 2])
    assert text.startswith('{\n "meta": {\n  "device"')  # indent=1
    with open(paths['png'], 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    # 360 px per panel
    assert Image.open(paths['png']).size[0] == 720
    # nothing left behind by the atomic writer
    assert sorted(
        os.listdir(work_dir)) == ['rep.csv', 'rep.json', 'rep.md', 'rep.png']


def test_write_table_report_writes_only_what_is_given(tmp_path):
    paths = write_table_report(str(tmp_path), 'only', ['a', 'b'], [['x', '1']])
    assert paths == {'md': str(tmp_path / 'only.md')}
    md = (tmp_path / 'only.md').read_text()
    assert md == '| a | b |\n|---|---|\n| x | 1 |\n'
    assert os.listdir(tmp_path) == ['only.md']

    # one panel, and a second write replaces the files
    paths = write_table_report(
        str(tmp_path),
        'only', ['a'], [['y']],
        intro=['Line one.\nLine two.'],
        panels=[BarPanel('a', [3.0])])
    assert sorted(paths) == ['md', 'png']
    assert (tmp_path / 'only.md').read_text() == (
        'Line one.\nLine two.\n\n| a |\n|---|\n| y |\n')
    assert Image.open(paths['png']).size[0] == 360


def test_bar_panel_is_frozen():
    panel = BarPanel('t', [1.0])
    assert panel.errors is None and panel.labels is None
    with pytest.raises(AttributeError):
        panel.title = 'other'
