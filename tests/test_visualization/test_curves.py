import json
import os.path as osp
import subprocess
import sys

import pytest
from PIL import Image

from mmdigit.visualization import (find_scalar_logs, format_run_summary,
                                   plot_run_comparison, plot_training_curves,
                                   read_run_curves, read_training_curves,
                                   summarize_runs, training_minutes)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def train(it, loss, lr=0.01):
    # as MMEngine's LoggerHook writes them (iteration-based loop)
    return dict(
        lr=lr,
        data_time=0.01,
        loss=loss,
        loss_cls=loss / 2,
        time=0.5,
        iter=it,
        memory=100,
        step=it)


def val(mAP, acc):
    # step is 0: log_metric_by_epoch=True in an iteration-based loop
    return {
        'coco/bbox_mAP': mAP,
        'coco/bbox_mAP_50': 2 * mAP,
        'digit/accuracy': acc,
        'digit/best_accuracy': acc,
        'data_time': 0.02,
        'time': 0.3,
        'step': 0
    }


@pytest.fixture
def work_dir(tmp_path):
    """A run killed after iteration 4, resumed from iteration 2's
    checkpoint: it logs iterations 3 and 4 again."""
    # yapf: disable
    runs = {
        '20250101_120000': [train(1, 2.0, 0.001), train(2, 1.8),
                            val(0.1, 0.2), train(3, 1.6), train(4, 1.5),
                            val(0.15, 0.3)],
        '20250102_090000': [train(3, 1.61), train(4, 1.41), val(0.2, 0.4),
                            train(5, 1.2)],
    }
    # yapf: enable
    for stamp, records in runs.items():
        folder = tmp_path / stamp / 'vis_data'
        folder.mkdir(parents=True)
        (folder / 'scalars.json').write_text(''.join(
            json.dumps(r) + '\n' for r in records))
    (tmp_path / 'iter_4.pth').write_bytes(b'')  # not a run folder
    return tmp_path


def test_read_joins_resumed_runs(work_dir):
    curves = read_training_curves(str(work_dir))
    assert curves['loss'] == ([1, 2, 3, 4, 5], [2.0, 1.8, 1.61, 1.41, 1.2])
    assert curves['lr'] == ([1, 2, 3, 4, 5], [0.001, 0.01, 0.01, 0.01, 0.01])
    # validation: at the last training iteration logged before it; the
    # first run's validation at 4 was replaced by the resumed run's
    assert curves['coco/bbox_mAP'] == ([2, 4], [0.1, 0.2])
    assert curves['digit/accuracy'] == ([2, 4], [0.2, 0.4])
    # training 'time' only, no x keys as curves
    assert curves['time'][0] == [1, 2, 3, 4, 5]
    assert not {'iter', 'step', 'epoch', 'coco/bbox_mAP_75'} & set(curves)


def test_find_logs(work_dir):
    logs = find_scalar_logs(str(work_dir))
    assert [osp.relpath(p, work_dir) for p in logs] == [
        osp.join(s, 'vis_data', 'scalars.json')
        for s in ('20250101_120000', '20250102_090000')
    ]
    # one run by its folder or its file
    assert find_scalar_logs(str(work_dir / '20250102_090000')) == logs[1:]
    resumed = read_training_curves(logs[1])
    assert resumed['loss'] == ([3, 4, 5], [1.61, 1.41, 1.2])
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        find_scalar_logs(str(work_dir / '20250101_120000' / 'vis_data'))


@pytest.mark.slow
def test_plot_png_size_and_cli(work_dir, tmp_path):
    out = plot_training_curves(
        read_training_curves(str(work_dir)), str(tmp_path / 'c' / 'x.png'),
        'title')
    assert Image.open(out).size == (1200, 800)
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'plot_curves.py')
    proc = subprocess.run(
        [sys.executable, tool, str(work_dir)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'loss: 5 points, last 1.2000 at iteration 5' in proc.stdout
    assert 'digit/accuracy: 2 points, last 0.4000 at iteration 4' in \
        proc.stdout
    assert Image.open(work_dir / 'curves.png').size == (1200, 800)


def test_plot_training_only_log(tmp_path):
    log = tmp_path / 'scalars.json'
    log.write_text(json.dumps(train(1, 1.0)) + '\n')
    out = plot_training_curves(
        read_training_curves(str(log)), str(tmp_path / 'c.png'), 'title')
    assert Image.open(out).size == (1200, 800)


def test_training_minutes_sum_time_per_logged_window(work_dir):
    curves = read_training_curves(str(work_dir))
    # 'time' is 0.5 s per iteration at every record: 0.5 s x 4 = 2 s
    assert training_minutes(curves, [1, 2, 4]) == pytest.approx(
        [0.5 / 60, 1 / 60, 2 / 60])
    with pytest.raises(ValueError, match='iteration'):
        training_minutes(curves, [7])


def stage(path, records):
    folder = path / '20250101_000000' / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(''.join(
        json.dumps(r) + '\n' for r in records))
    return str(path)


def test_read_run_curves_continues_each_stage(tmp_path):
    # logged every 2 iterations at 3 s per iteration, validated at 4
    pre = stage(tmp_path / 'pre', [
        dict(train(2, 1.0), time=3.0),
        dict(train(4, 0.8), time=3.0),
        val(0.1, 0.2)
    ])
    ft = stage(tmp_path / 'ft', [
        dict(train(2, 0.5), time=6.0),
        val(0.3, 0.5),
        dict(train(4, 0.4), time=6.0),
        val(0.4, 0.6)
    ])
    by_iter = read_run_curves([pre, ft], 'iter')
    assert by_iter['coco/bbox_mAP'] == ([4, 6, 8], [0.1, 0.3, 0.4])
    by_min = read_run_curves([pre, ft])
    # 12 s of pretraining, then 12 s per logged window of fine-tuning
    assert by_min['digit/accuracy'][0] == pytest.approx([0.2, 0.4, 0.6])
    assert by_min['loss'][0] == pytest.approx([0.1, 0.2, 0.4, 0.6])
    with pytest.raises(ValueError, match='x must be'):
        read_run_curves([pre], 'epoch')


@pytest.mark.slow
def test_compare_runs_png_and_cli(work_dir, tmp_path):
    runs = [('a', [str(work_dir)]), ('a', [str(work_dir)]),
            ('b', [str(work_dir), str(work_dir)])]
    out = plot_run_comparison([(label, read_run_curves(stages, 'iter'))
                               for label, stages in runs],
                              str(tmp_path / 'cmp.png'), 'iter')
    assert Image.open(out).size == (1500, 500)
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'plot_curves.py')
    proc = subprocess.run([
        sys.executable, tool, f'one={work_dir}', f'two={work_dir}+{work_dir}',
        '--x', 'iter', '--out',
        str(tmp_path / 'cli.png')
    ],
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (f'two ({work_dir} + {work_dir}): iter 10.0; last validation: '
            'coco/bbox_mAP 0.2000, digit/accuracy 0.4000') in proc.stdout
    assert '\n| one | 0.200 | 0.400 | - | 0.400 | 0.400 | - | - | 1 |' in (
        proc.stdout)
    assert Image.open(tmp_path / 'cli.png').size == (1500, 500)


def test_summarize_runs_last_validation_by_label(tmp_path):
    # two seeds of "a" (one stage, 2 logged windows of 2 iterations at 3 s
    # and 6 s), one two-stage run of "b"
    def run(name, mAP, acc, sec):
        return stage(tmp_path / name, [
            dict(train(2, 1.0), time=sec),
            val(mAP / 2, acc / 2),
            dict(train(4, 0.8), time=sec),
            val(mAP, acc)
        ])

    a0, a1 = run('a0', 0.2, 0.4, 3.0), run('a1', 0.4, 0.5, 6.0)
    pre, ft = run('pre', 0.1, 0.1, 3.0), run('ft', 0.3, 0.6, 3.0)
    summary = summarize_runs([('a', read_run_curves([a0])),
                              ('a', read_run_curves([a1])),
                              ('b', read_run_curves([pre, ft]))])
    assert summary['label'].tolist() == ['a', 'a', 'b']
    assert summary['coco/bbox_mAP'].tolist() == [0.2, 0.4, 0.3]
    assert summary['digit/best_accuracy'].tolist() == [0.4, 0.5, 0.6]
    # the last stage's last validation; minutes of both stages
    assert summary['coco/bbox_mAP_50'].iloc[2] == 0.6
    assert summary['minutes'].tolist() == pytest.approx([0.2, 0.4, 0.4])
    assert 'coco/bbox_mAP_75' not in summary  # no run logged it
    table = format_run_summary(summary).splitlines()
    assert table[0].startswith('| run | mAP | AP50 | AP75 | number acc. @0.5')
    assert table[0].endswith('| runs | training minutes |')
    assert len(table) == 4 and table[1] == '|' + '---|' * 10
    # mean (min-max); a key no run logged is a dash
    assert table[2] == ('| a | 0.300 (0.200-0.400) | 0.600 (0.400-0.800) '
                        '| - | 0.450 (0.400-0.500) | 0.450 (0.400-0.500) '
                        '| - | - | 2 | 0.3 (0.2-0.4) |')
    assert table[3] == ('| b | 0.300 | 0.600 | - | 0.600 | 0.600 | - | - '
                        '| 1 | 0.4 |')


def test_time_to_accuracy_first_validation_reaching_the_target(tmp_path):
    # validations after 2 and 4 iterations of `sec` seconds each
    def run(name, first, last, sec=3.0):
        return stage(tmp_path / name, [
            dict(train(2, 1.0), time=sec),
            val(first, 0.1),
            dict(train(4, 0.8), time=sec),
            val(last, 0.2)
        ])

    runs = [('a', read_run_curves([run('a0', 0.2, 0.4)])),
            ('a', read_run_curves([run('a1', 0.2, 0.35, sec=12.0)])),
            ('a', read_run_curves([run('a2', 0.1, 0.2)])),
            ('b', read_run_curves([run('pre', 0.1, 0.1),
                                   run('ft', 0.5, 0.5)]))]
    summary = summarize_runs(runs, ('coco/bbox_mAP', 0.35))
    # first reached: a0 and a1 after 4 iterations (of 3 s, of 12 s), a2
    # never, b after pretraining (0.2 min) and 2 fine-tuning iterations
    assert summary['minutes_to_target'].tolist() == pytest.approx(
        [0.2, 0.8, float('nan'), 0.3], nan_ok=True)
    table = format_run_summary(summary).splitlines()
    assert table[0].endswith('| training minutes | minutes to target |')
    assert table[2].endswith('| 0.5 (0.2-0.8) (2/3 reached) |')
    assert table[3].endswith('| 1 | 0.4 | 0.3 (1/1 reached) |')
    assert 'minutes to target' not in format_run_summary(summarize_runs(runs))
