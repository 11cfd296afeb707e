from .submission_plot import (mistakes_first, plot_confusion_matrix,
                              plot_predictions)

__all__ = ['mistakes_first', 'plot_confusion_matrix', 'plot_predictions']
