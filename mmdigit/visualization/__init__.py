from .submission_plot import plot_predictions

__all__ = ['plot_predictions']
