import json
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'time_submission.py')


def run(*args):
    proc = subprocess.run([sys.executable, TOOL, *args],
                          capture_output=True,
                          text=True,
                          cwd=REPO)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_renders_tests_and_reports(tiny_config, tmp_path):
    data, work = str(tmp_path / 'data'), str(tmp_path / 'work')
    args = (tiny_config, '--num-images', '6', '--data-dir', data, '--work-dir',
            work, '--threads', '1')
    code, out = run(*args)
    assert code == 0, out[-3000:]
    with open(osp.join(work, 'time_submission.json')) as f:
        result = json.load(f)
    assert (result['images'], result['csv_rows']) == (6, 6)
    assert result['wall_s'] > 0 and result['peak_rss_mb'] > 0
    assert result['checkpoint'] == 'initial weights (untrained)'
    # the machine as the other harnesses report it, the child's threads
    assert result['device'].startswith('CPU ')
    assert result['device'].endswith(', 1 torch threads')
    assert '| 6 |' in open(osp.join(work, 'time_submission.md')).read()
    # the rendered set is reused
    code, out = run(*args)
    assert code == 0 and f'reusing 6 images in {data}' in out


@pytest.mark.slow
def test_missing_config_is_one_error_line(tmp_path):
    code, out = run(str(tmp_path / 'nope.py'))
    assert code == 1
    assert out.strip().splitlines()[-1] == \
        f'error: no such config: {tmp_path / "nope.py"}'
