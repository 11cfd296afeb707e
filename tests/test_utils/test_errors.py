import pytest
from mmengine.registry import Registry

from mmdigit.utils import (CheckpointError, CheckpointNotFoundError,
                           ConfigError, InputNotFoundError, MMDigitUserError,
                           NonFiniteLossError, error_line, is_config_error)

THINGS = Registry('test_errors_things')


@THINGS.register_module()
class Thing:

    def __init__(self, depth: int, name: str = 'a'):
        # a bug inside the constructor: str + int
        self.label = name + depth if name == 'buggy' else name
        if name == 'lookup':
            self.label = {}['missing']


def raised(fn):
    try:
        fn()
    except Exception as e:
        return e
    raise AssertionError('nothing raised')


@pytest.mark.parametrize(
    'cfg',
    [
        dict(type='Thing', dpeth=18),  # misspelt keyword
        dict(type='Thing'),  # missing required keyword
        dict(type='Thnig', depth=18),  # unknown type
        dict(depth=18),  # no type
    ])
def test_registry_rejecting_a_config_is_a_config_error(cfg):
    e = raised(lambda: THINGS.build(cfg))
    assert isinstance(e, (TypeError, KeyError))
    assert is_config_error(e)
    assert error_line(e, 'config: ').startswith('error: config: ')


@pytest.mark.parametrize('name', ['buggy', 'lookup'])
def test_same_types_raised_inside_a_class_are_bugs(name):
    e = raised(lambda: THINGS.build(dict(type='Thing', depth=1, name=name)))
    assert isinstance(e, (TypeError, KeyError))
    assert not is_config_error(e)


def test_reraised_build_errors_are_judged_by_the_original():
    # mmengine versions that re-raise a build error with the class name
    # prepended (``raise type(e)(f'class ...: {e}')`` in the build
    # function's except block), once per nesting level
    import mmengine.registry.build_functions as bf
    code = compile(
        'def rebuild(build, cfg):\n'
        '    try:\n'
        '        return build(cfg)\n'
        '    except Exception as e:\n'
        '        raise type(e)(f"class `Thing`: {e}")\n', bf.__file__, 'exec')
    scope = {}
    exec(code, scope)  # frames in mmengine's build_functions.py
    rebuild = scope['rebuild']

    def nested(cfg):  # an outer class whose constructor builds a Thing
        return rebuild(lambda c: rebuild(THINGS.build, c), cfg)

    misspelt = raised(lambda: nested(dict(type='Thing', dpeth=1)))
    assert 'class `Thing`: class `Thing`:' in str(misspelt)
    assert is_config_error(misspelt)
    buggy = raised(lambda: nested(dict(type='Thing', depth=1, name='buggy')))
    assert isinstance(buggy, TypeError)
    assert not is_config_error(buggy)


def test_other_errors_are_not_config_errors():
    assert not is_config_error(TypeError('x'))
    assert not is_config_error(ValueError('x'))
    assert not is_config_error(raised(lambda: {}['x']))


def test_user_errors_keep_their_builtin_types():
    assert issubclass(CheckpointNotFoundError, FileNotFoundError)
    assert issubclass(CheckpointNotFoundError, CheckpointError)
    assert issubclass(InputNotFoundError, FileNotFoundError)
    assert issubclass(NonFiniteLossError, FloatingPointError)
    from mmdigit.datasets import DatasetError
    for cls in (CheckpointError, ConfigError, DatasetError, NonFiniteLossError,
                InputNotFoundError):
        assert issubclass(cls, MMDigitUserError)


def test_error_line_is_one_line():
    assert error_line(ConfigError('a\n  b'), 'x: ') == 'error: x: a b'
    assert error_line(KeyError('Thnig is not in the registry')) == \
        'error: Thnig is not in the registry'
    assert error_line(ValueError('error: train.json: bad'), 'x: ') == \
        'error: train.json: bad'
