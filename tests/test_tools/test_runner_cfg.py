import pytest

from mmdigit.tools import load_cfg
from mmdigit.utils import ConfigError


def test_missing_or_broken_config(tmp_path):
    with pytest.raises(ConfigError, match='config file not found: .*x.py'):
        load_cfg(str(tmp_path / 'x.py'))
    (tmp_path / 'broken.py').write_text('model = dict(\n')
    with pytest.raises(ConfigError, match='broken.py'):
        load_cfg(str(tmp_path / 'broken.py'))
    (tmp_path / 'orphan.py').write_text("_base_ = './gone.py'\n")
    with pytest.raises(ConfigError, match='gone.py'):
        load_cfg(str(tmp_path / 'orphan.py'))
