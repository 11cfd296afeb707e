import signal

import pytest
from mmengine.registry import Registry

from mmdigit.datasets import DatasetError, DatasetProblem
from mmdigit.tools import exit_on_interrupt, exit_on_user_error
from mmdigit.utils import DEBUG_ENV, CheckpointError, atomic_write_files

PARTS = Registry('test_cli_parts')


@PARTS.register_module()
class Part:

    def __init__(self, depth: int):
        self.depth = depth + 'x'  # a bug: str + int


def exit_line(capsys, fn, **kwargs):
    """Run ``fn`` under exit_on_user_error; return (exit code, stderr)."""
    with pytest.raises(SystemExit) as exc:
        with exit_on_user_error(**kwargs):
            fn()
    return exc.value.code, capsys.readouterr().err


@pytest.fixture(autouse=True)
def no_debug(monkeypatch):
    monkeypatch.delenv(DEBUG_ENV, raising=False)


def test_user_errors_are_one_line(capsys):

    def bad_checkpoint():
        raise CheckpointError('x.pth is not a readable checkpoint')

    expected = (1, 'error: test: x.pth is not a readable checkpoint\n')
    assert exit_line(capsys, bad_checkpoint, prefix='test: ') == expected

    def bad_dataset():
        raise DatasetError([
            DatasetProblem('error', 'missing_image', 'a.json: 1.png',
                           'image file not found')
        ], 'a.json')

    expected = (1, 'error: a.json: 1.png: image file not found\n')
    assert exit_line(capsys, bad_dataset) == expected


def test_config_errors_are_one_line_and_bugs_keep_their_traceback(capsys):
    code, err = exit_line(capsys,
                          lambda: PARTS.build(dict(type='Part', dpeth=1)))
    assert code == 1 and err.startswith('error: config: ')
    assert "'dpeth'" in err and err.count('\n') == 1
    code, err = exit_line(capsys, lambda: PARTS.build(dict(type='Prat')))
    assert code == 1 and err.startswith('error: config: Prat is not in')
    # a TypeError from inside the class: not caught
    with pytest.raises(TypeError, match='str'):
        with exit_on_user_error():
            PARTS.build(dict(type='Part', depth=1))
    # nor builtin errors that used to be caught by type
    for error in (TypeError('bug'), KeyError('bug'), ValueError('bug'),
                  FileNotFoundError('bug'), FloatingPointError('bug')):
        with pytest.raises(type(error)):
            with exit_on_user_error():
                raise error
    assert capsys.readouterr().err == ''


def test_debug_switch_reraises_everything(monkeypatch):
    monkeypatch.setenv(DEBUG_ENV, '1')
    with pytest.raises(CheckpointError):
        with exit_on_user_error():
            raise CheckpointError('x')
    with pytest.raises(TypeError):
        with exit_on_user_error():
            PARTS.build(dict(type='Part', dpeth=1))
    with pytest.raises(KeyboardInterrupt):
        with exit_on_interrupt([], 'out'):
            raise KeyboardInterrupt
    monkeypatch.setenv(DEBUG_ENV, '0')
    with pytest.raises(SystemExit):
        with exit_on_user_error():
            raise CheckpointError('x')


def test_extra_types_are_reported(capsys):

    class UsageError(Exception):
        pass

    def fail():
        raise UsageError('no images found')

    expected = (1, 'error: no images found\n')
    assert exit_line(capsys, fail, extra=(UsageError, )) == expected


@pytest.fixture
def sigint_raises():
    """Ctrl-C raises KeyboardInterrupt during the test, as in a terminal
    (a shell's background job starts with SIGINT ignored)."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize('previous', [True, False])
def test_interrupt_says_what_became_of_the_files(tmp_path, capsys, signum,
                                                 previous, sigint_raises):
    files = [tmp_path / 'pred.json', tmp_path / 'pred.csv']
    if previous:
        for path in files:
            path.write_text('old')
    old_term = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exc:
        with exit_on_interrupt([str(p) for p in files], str(tmp_path)):
            signal.raise_signal(signum)  # before anything is written
    assert exc.value.code == 128 + signum
    state = 'the previous files' if previous else 'nothing written'
    assert capsys.readouterr().err == \
        f'interrupted: {tmp_path} left unchanged ({state})\n'
    assert signal.getsignal(signal.SIGTERM) == old_term

    # interrupted after the new files are all in place
    with pytest.raises(SystemExit) as exc:
        with exit_on_interrupt([str(p) for p in files], str(tmp_path)):
            atomic_write_files({p: b'new' for p in files})
            signal.raise_signal(signum)
    assert exc.value.code == 128 + signum
    assert capsys.readouterr().err == (
        f'interrupted: {tmp_path} had already been written in full '
        '(all files new)\n')
