from .photometric import ColorJitter, GaussianBlur

__all__ = ['ColorJitter', 'GaussianBlur']
