"""The errors a user can fix (one ``error:`` line, exit 1; anything else is
a bug and keeps its traceback). Subclasses also derive from the builtin type
they replace, so ``except ValueError`` keeps working."""
import os
import os.path as osp
import traceback

#: ``MMDIGIT_DEBUG=1`` re-raises every error with its traceback.
DEBUG_ENV = 'MMDIGIT_DEBUG'

# files of mmengine's registry that reject a config it cannot build
_MMENGINE_BUILD_FILES = tuple(
    osp.join('mmengine', 'registry', f'{name}.py')
    for name in ('build_functions', 'registry'))


class MMDigitUserError(Exception):
    """A mistake the user can fix; the message is the whole report."""


class InputNotFoundError(MMDigitUserError, FileNotFoundError):
    """A file or folder given by the user does not exist."""


class OutputExistsError(MMDigitUserError, FileExistsError):
    """A tool refuses to overwrite an existing output."""


class UserInputError(MMDigitUserError, ValueError):
    """An input file or argument is not what the tool expects."""


class ConfigError(MMDigitUserError):
    """A config file is missing or cannot be read."""


class CheckpointError(MMDigitUserError):
    """A checkpoint cannot be read or does not fit the config's model."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """A checkpoint file (``CHECKPOINT``, ``load_from``) does not exist."""


class NonFiniteLossError(MMDigitUserError, FloatingPointError):
    """Training stopped on a NaN/inf loss (``NonFiniteLossHook``)."""


class PretrainedWeightsError(MMDigitUserError):
    """Downloaded weights a config starts from cannot be had."""


def debug_enabled() -> bool:
    """Whether ``MMDIGIT_DEBUG`` asks for every traceback."""
    value = os.environ.get(DEBUG_ENV, '').strip().lower()
    return value not in ('', '0', 'false', 'no')


def is_config_error(exc: BaseException) -> bool:
    """Whether ``exc`` is mmengine rejecting a config, not a bug.

    A bad constructor keyword or ``type`` is a ``TypeError`` / ``KeyError``
    raised in the registry's own frame; the same types raised inside a
    constructor are bugs. Where mmengine re-raises a build error with the
    class name prepended, the original (``__context__``) decides.
    """
    while isinstance(exc, (TypeError, KeyError)):
        frames = traceback.extract_tb(exc.__traceback__)
        if not (frames
                and frames[-1].filename.endswith(_MMENGINE_BUILD_FILES)):
            return False
        context = exc.__cause__ or exc.__context__
        if type(context) is not type(exc):
            return True
        exc = context  # a re-raise from the registry's `except` block
    return False


def error_line(exc: BaseException, prefix: str = '') -> str:
    """``error: <prefix><message>`` on one line, for a user error."""
    # str(KeyError('x')) quotes its message
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args \
        else str(exc)
    message = ' '.join(message.split())
    if message.startswith('error: '):  # DatasetError already says where
        return message
    return f'error: {prefix}{message}'
