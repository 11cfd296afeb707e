"""mmdigit: MMDetection 3.x extensions for reading multi-digit house numbers.

Importing it (``custom_imports=dict(imports=['mmdigit'])``) registers its
modules into MMDetection's registries and changes nothing else; what reads
checkpoints calls :func:`~mmdigit.utils.register_checkpoint_safe_globals`.
"""
from . import datasets, engine, evaluation, models  # noqa: F401

__version__ = '0.1.0'
__all__ = ['datasets', 'engine', 'evaluation', 'models', '__version__']
