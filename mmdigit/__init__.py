"""mmdigit: MMDetection 3.x extensions for reading multi-digit house numbers.

Importing the package (``custom_imports=dict(imports=['mmdigit'])``)
registers its datasets, transforms, metrics and hooks into MMDetection's
registries, and nothing else: what reads MMEngine checkpoints under
``torch.load(weights_only=True)`` (the tools' runners through
:class:`~mmdigit.engine.CheckpointFitHook`, ``DigitInferencer``) calls
:func:`~mmdigit.utils.register_checkpoint_safe_globals` itself.
"""
from . import datasets, engine, evaluation, models  # noqa: F401

__version__ = '0.1.0'
__all__ = ['datasets', 'engine', 'evaluation', 'models', '__version__']
