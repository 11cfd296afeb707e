import subprocess
import sys

import pytest

# Importing mmdigit registers modules into mmdet's registries and changes
# nothing else: torch's weights_only allow-list and mmengine's loader for
# local checkpoints stay as they were.
SCRIPT = '''
import torch
from mmengine.runner import CheckpointLoader
def state():
    return (list(torch.serialization.get_safe_globals()),
            CheckpointLoader._schemes[''])
before = state()
import mmdigit
from mmdet.registry import DATASETS
assert DATASETS.get('SyntheticDigitDataset') is not None
assert state() == before, 'import mmdigit changed torch/mmengine state'
from mmdigit.utils import register_checkpoint_safe_globals
register_checkpoint_safe_globals()
assert state() != before
print('ok')
'''


@pytest.mark.slow
def test_import_changes_no_global_state():
    out = subprocess.run([sys.executable, '-c', SCRIPT],
                         capture_output=True,
                         text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'ok'
