from .curves import (COMPARE_KEYS, X_AXES, find_scalar_logs,
                     format_run_summary, plot_run_comparison,
                     plot_training_curves, read_run_curves,
                     read_training_curves, summarize_runs, training_minutes)
from .submission_plot import (boxes_read, mistakes_first,
                              plot_confusion_matrix, plot_predictions)

__all__ = [
    'boxes_read', 'mistakes_first', 'plot_confusion_matrix',
    'plot_predictions', 'find_scalar_logs', 'plot_training_curves',
    'read_training_curves', 'COMPARE_KEYS', 'X_AXES', 'training_minutes',
    'read_run_curves', 'plot_run_comparison', 'summarize_runs',
    'format_run_summary'
]
