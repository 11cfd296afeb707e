from .curves import (find_scalar_logs, plot_training_curves,
                     read_training_curves)
from .submission_plot import (mistakes_first, plot_confusion_matrix,
                              plot_predictions)

__all__ = [
    'mistakes_first', 'plot_confusion_matrix', 'plot_predictions',
    'find_scalar_logs', 'plot_training_curves', 'read_training_curves'
]
