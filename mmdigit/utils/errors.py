"""The errors a user can fix, and how the tools tell them from bugs.

Every tool reports a :class:`MMDigitUserError` (and a config mistake that
mmengine's registry rejects, see :func:`is_config_error`) as one ``error:``
line with exit code 1; anything else is a bug and keeps its traceback
(``mmdigit.tools.exit_on_user_error``). The subclasses also derive from the
builtin type they replace, so ``except ValueError`` / ``except
FileNotFoundError`` callers keep working.
"""
import os
import os.path as osp
from types import TracebackType
from typing import Optional

#: Environment switch: ``MMDIGIT_DEBUG=1`` re-raises every error with its
#: traceback, user errors and interrupts included.
DEBUG_ENV = 'MMDIGIT_DEBUG'

# mmengine's registry raises for a config it cannot build (unknown ``type``,
# misspelt keyword, missing ``type``) from these files; see is_config_error.
_MMENGINE_BUILD_FILES = (
    osp.join('mmengine', 'registry', 'build_functions.py'),
    osp.join('mmengine', 'registry', 'registry.py'),
)


class MMDigitUserError(Exception):
    """A mistake the user can fix: a bad file, path, flag or config value.

    The message is the whole report: one line saying what is wrong and,
    where it helps, what to do.
    """


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


def _innermost_file(tb: Optional[TracebackType]) -> str:
    """File of the frame an exception was raised in."""
    filename = ''
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return filename


def _raised_by_mmengine_build(exc: BaseException) -> bool:
    return _innermost_file(exc.__traceback__).endswith(_MMENGINE_BUILD_FILES)


def is_config_error(exc: BaseException) -> bool:
    """Whether ``exc`` is mmengine rejecting a config, not a bug.

    MMEngine reports a misspelt constructor keyword (``dpeth=18``), a missing
    required one, an unknown ``type`` or a config without ``type`` as a
    ``TypeError`` / ``KeyError`` raised by its registry's build function
    itself: a keyword the class does not take fails while the call is being
    bound, in the registry's frame. The same types raised *inside* a
    constructor (a bug in a model or dataset class) have deeper frames and
    are not config errors. Where mmengine re-raises a build error with the
    class name prepended, the original (``__context__``) decides.

    Args:
        exc (BaseException): The exception.

    Returns:
        bool: True for a config mistake the registry rejected.
    """
    if not isinstance(exc, (TypeError, KeyError)):
        return False
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        context = exc.__cause__ or exc.__context__
        # a re-raise from the registry's `except` block: look at the original
        if (context is not None and type(context) is type(exc)
                and _raised_by_mmengine_build(exc)):
            exc = context
            continue
        return _raised_by_mmengine_build(exc)
    return False  # pragma: no cover - a cycle of contexts


def error_line(exc: BaseException, prefix: str = '') -> str:
    """One ``error:`` line for a user error.

    Args:
        exc (BaseException): The error.
        prefix (str): Put before the message, e.g. ``'config: '``.

    Returns:
        str: ``error: <prefix><message>`` on one line.
    """
    # str(KeyError('x')) quotes its message
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args \
        else str(exc)
    message = ' '.join(message.split())  # one line
    if message.startswith('error: '):  # DatasetError already says where
        return message
    return f'error: {prefix}{message}'
