"""mmdigit: MMDetection 3.x extensions for reading multi-digit house numbers.

Importing the package (``custom_imports=dict(imports=['mmdigit'])``)
registers its datasets, transforms, metrics and hooks into MMDetection's
registries and lets ``torch.load(weights_only=True)`` read MMEngine
checkpoints.
"""
from .utils import register_checkpoint_safe_globals

register_checkpoint_safe_globals()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__version__ = '0.1.0'
__all__ = ['datasets', 'engine', 'evaluation', 'models', '__version__']
