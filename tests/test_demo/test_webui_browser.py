"""demo/webui.py in a real browser: the page is served from a subprocess
on a free loopback port, and Debian's headless ``chromium`` is driven
through Debian's ``chromedriver`` (Selenium; no browser download) to drop
photos and read the page. Without Gradio, Selenium or Chromium the module
is skipped with one line saying what to install.
"""
import importlib.util
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse
from urllib.request import ProxyHandler, build_opener

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmdigit.apis import DigitInferencer
from mmdigit.apis.inferencer import number_rows_to_csv
from mmdigit.datasets import DIGIT_METAINFO
from mmdigit.utils.config import BEST_THR_KEY

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WEBUI = osp.join(REPO, 'demo', 'webui.py')
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
CHROMEDRIVER = shutil.which('chromedriver')
pytestmark = pytest.mark.slow


def installed(name: str) -> bool:
    # a folder an uninstall left behind is a spec without an origin
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.origin is not None


MISSING = [name for name in ('gradio', 'selenium') if not installed(name)] + [
    name for name, path in (('chromium', CHROMIUM),
                            ('chromedriver', CHROMEDRIVER)) if path is None
]
if MISSING:
    pytest.skip(
        f'browser test: no {", ".join(MISSING)} (pip install -r '
        'requirements/web.txt -c requirements.txt; apt-get install chromium '
        'chromium-driver)',
        allow_module_level=True)
PHOTOS_INPUT = '#photos input[type=file]'
#: Recorded in the test checkpoint: random weights score ~0.1, so every
#: box the detector keeps is read and the number is long.
RECORDED_THR = 0.0


@pytest.fixture(scope='module')
def webui():
    """demo/webui.py as a module (it imports Gradio only when serving)."""
    spec = importlib.util.spec_from_file_location('webui', WEBUI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def checkpoint(tiny_config, tmp_path_factory):
    """Random tiny-config weights with a recorded threshold, saved as
    MMEngine saves them (no training needed to serve them)."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(tiny_config).model)
    path = str(tmp_path_factory.mktemp('web_ckpt') / 'tiny.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=DIGIT_METAINFO),
            message_hub=dict(runtime_info={BEST_THR_KEY: RECORDED_THR})), path)
    return path


#: Runs beside the test process and kills a process group when that
#: process dies, even by SIGKILL (Linux's parent-death signal), so a test
#: run killed without clean-up leaves no server or browser behind.
GUARD = """
import ctypes, os, signal, sys, time
group, parent = int(sys.argv[1]), int(sys.argv[2])
def kill(*_):
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
    os._exit(0)
signal.signal(signal.SIGTERM, kill)
ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
if os.getppid() != parent:
    kill()
while True:
    time.sleep(3600)
"""


def guard(group: int) -> subprocess.Popen:
    """Start a :data:`GUARD` of a process group; ``kill()`` it once the
    group is stopped."""
    return subprocess.Popen(
        [sys.executable, '-c', GUARD,
         str(group), str(os.getpid())])


def stop(proc: subprocess.Popen) -> None:
    """Stop a process started in its own session, and all its children."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


@pytest.fixture(scope='module')
def server(tiny_config, checkpoint, tiny_data, tmp_path_factory):
    """The page served on a free loopback port (``--port 0``), browsing
    the tiny valid split; always stopped."""
    log_path = tmp_path_factory.mktemp('web_log') / 'webui.log'
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
        PYTHONUNBUFFERED='1')
    cmd = [
        sys.executable, WEBUI, tiny_config, checkpoint, '--port', '0',
        '--device', 'cpu', '--data-root', tiny_data, '--ann-file',
        osp.join(tiny_data, 'valid.json')
    ]
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True)
    watchdog = guard(proc.pid)
    try:
        url, deadline = None, time.monotonic() + 180
        while url is None:
            with open(log_path) as f:
                log_text = f.read()
            for line in log_text.splitlines():
                if line.startswith('serving on '):
                    url = line.split()[2]
            if url is None:
                assert proc.poll() is None, \
                    f'the server stopped:\n{log_text}'
                assert time.monotonic() < deadline, \
                    f'no server in 180 s:\n{log_text}'
                time.sleep(0.2)
        assert urlparse(url).hostname == '127.0.0.1'
        yield url
    finally:
        stop(proc)
        watchdog.kill()
        watchdog.wait()


@pytest.fixture(scope='module')
def browser(server):
    """Headless Chromium that can reach the loopback address only."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                '--window-size=1400,1000', '--no-first-run',
                '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'):
        options.add_argument(arg)
    options.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
    # chromedriver and the chromium it starts: one process group
    service = Service(CHROMEDRIVER, popen_kw=dict(start_new_session=True))
    driver = webdriver.Chrome(service=service, options=options)
    watchdog = guard(service.process.pid)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
        watchdog.kill()
        watchdog.wait()


def wait_for(driver, condition, timeout=60):
    """Wait until ``condition(driver)`` is truthy; the page re-renders
    while it is read, so elements that go stale or away are waited out."""
    from selenium.common.exceptions import (NoSuchElementException,
                                            StaleElementReferenceException)
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(
        driver,
        timeout,
        poll_frequency=0.2,
        ignored_exceptions=(NoSuchElementException,
                            StaleElementReferenceException)).until(condition)


def text(driver, selector: str) -> str:
    """The text of an element, read in one script call (no stale
    elements); ``''`` when it is not there."""
    return driver.execute_script(
        'const e = document.querySelector(arguments[0]);'
        'return e ? e.innerText.trim() : "";', selector)


def table(driver, elem_id: str) -> list:
    """The rows of a table on the page (Gradio's grid) as cell texts, read
    in one script call."""
    return driver.execute_script(
        'return Array.from(document.querySelectorAll(`#${arguments[0]} '
        '[role=grid] [role=row][data-index]`), r => Array.from('
        'r.querySelectorAll("[role=gridcell]"), c => c.innerText.trim()));',
        elem_id)


def picture(driver) -> str:
    """The address of the browse tab's picture (``''``: none)."""
    return driver.execute_script(
        'const i = document.querySelector("#browse-picture img");'
        'return i ? i.src : "";')


def open_page(driver, url) -> None:
    """Load the page and wait for its file input."""
    from selenium.webdriver.common.by import By
    driver.get(url)
    wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, PHOTOS_INPUT))


def upload(driver, url, *paths):
    """Drop files on the page; return the numbers table once filled."""
    from selenium.webdriver.common.by import By
    open_page(driver, url)

    def drop(d):  # retried if the input is re-rendered under us
        d.find_element(By.CSS_SELECTOR,
                       PHOTOS_INPUT).send_keys('\n'.join(paths))
        return True

    wait_for(driver, drop)
    names = [osp.basename(p) for p in paths]

    def filled(d):
        rows = table(d, 'numbers')
        return [row[0] for row in rows] == names and rows

    return wait_for(driver, filled)


def click(driver, selector: str, label: str) -> bool:
    """Click the element of ``selector`` reading ``label``, in one script
    call; whether it was there."""
    return driver.execute_script(
        'const b = Array.from(document.querySelectorAll(arguments[0]))'
        '.find(b => b.innerText.trim() === arguments[1]);'
        'if (b) b.click(); return Boolean(b);', selector, label)


def press(driver, selector: str) -> bool:
    """Click an element as a person does (Gradio's table and dropdown
    ignore a script's ``click()``); False if it is covered for now."""
    from selenium.common.exceptions import ElementClickInterceptedException
    from selenium.webdriver.common.by import By
    try:
        driver.find_element(By.CSS_SELECTOR, selector).click()
    except ElementClickInterceptedException:
        return False
    return True


def set_threshold(driver, value: float) -> bool:
    """Type a score threshold in the slider's box (again, if it is
    re-rendered meanwhile)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    box = driver.find_element(By.CSS_SELECTOR, '#thr input[type=number]')
    box.send_keys(Keys.CONTROL, 'a')
    box.send_keys(str(value), Keys.ENTER)
    return True


def test_page_reads_the_number_of_a_photo(browser, server, tiny_config,
                                          checkpoint, tiny_data, tmp_path):
    photo = str(tmp_path / 'house.png')
    shutil.copy(osp.join(tiny_data, 'test', '1.png'), photo)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the server computes
    try:
        expected = DigitInferencer(
            tiny_config, checkpoint, device='cpu',
            show_progress=False)(photo)['predictions'][0]
    finally:
        torch.set_num_threads(threads)
    assert expected['number']
    rows = upload(browser, server, photo)
    assert rows == [[
        'house.png', expected['number'], f'{expected["number_score"]:.4f}'
    ]]
    caption = wait_for(browser, lambda d: text(d, '#pictures'))
    assert f'house.png: {expected["number"]} (' in caption
    shot = str(tmp_path / 'webui.png')
    assert browser.save_screenshot(shot)
    with open(shot, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert osp.getsize(shot) > 10_000


def test_threshold_reads_again_and_csv_downloads(browser, server, tiny_data,
                                                 tmp_path):
    photo = str(tmp_path / 'house.png')
    shutil.copy(osp.join(tiny_data, 'test', '3.png'), photo)
    rows = upload(browser, server, photo)
    assert rows[0][1] != '-1'  # every box is read at the recorded 0
    wait_for(browser, lambda d: set_threshold(d, 1))
    wait_for(browser,
             lambda d: table(d, 'numbers') == [['house.png', '-1', '']])
    wait_for(
        browser,
        lambda d: 'house.png: no number (no digit scores 1.00)' in text(
            d, '#pictures'))
    expected = number_rows_to_csv([('house.png', '-1', None)])

    def csv_read_again(d):
        link = d.execute_script(
            'return document.querySelector("#csv a[href]").href')
        assert link.startswith(server)
        # no proxy: urlopen's global opener keeps the proxies of its first
        # call, which a download test in this process may have faked
        with build_opener(ProxyHandler({})).open(link) as f:
            return f.read().decode() == expected

    wait_for(browser, csv_read_again)


def test_example_click_reads_it(browser, server):
    open_page(browser, server)
    wait_for(browser, lambda d: click(d, '#examples button', '2.png'))
    assert wait_for(browser, lambda d: table(d, 'numbers'))[0][0] == '2.png'
    wait_for(browser, lambda d: click(d, 'button', 'Read all examples'))
    rows = wait_for(
        browser,
        lambda d: len(table(d, 'numbers')) == 6 and table(d, 'numbers'))
    assert [row[0] for row in rows] == [f'{i}.png' for i in range(1, 7)]


def test_corrupt_upload_is_a_message(browser, server, tiny_data, tmp_path,
                                     webui):
    corrupt = tmp_path / 'corrupt.jpg'
    corrupt.write_bytes(b'\xff\xd8\xff\xe0 not a whole jpeg')
    photo = str(tmp_path / 'house.png')
    shutil.copy(osp.join(tiny_data, 'test', '2.png'), photo)
    rows = upload(browser, server, str(corrupt), photo)
    assert rows[0] == ['corrupt.jpg', '-1', '']
    assert text(browser, '#messages') == f'corrupt.jpg {webui.UNREADABLE}'
    page = text(browser, 'body')
    assert 'Traceback' not in page and 'Error' not in page


def test_browse_shows_wrong_numbers_first(browser, server, tiny_data):
    open_page(browser, server)
    wait_for(browser,
             lambda d: click(d, 'button[role=tab]', 'Browse valid.json'))
    rows = wait_for(
        browser, lambda d: len(table(d, 'browse-table')) == 8 and table(
            d, 'browse-table'))
    assert ' of 8 numbers read right ' in text(browser, '#browse-summary')
    right = [row[4] for row in rows]
    assert right == sorted(right)  # 'NO' before 'yes'
    assert all((row[2] == row[3]) == (row[4] == 'yes') for row in rows)
    # a row clicked is drawn
    row = rows[3]
    wait_for(browser,
             lambda d: press(d, '#browse-table [data-testid="cell-3-1"]'))
    wait_for(browser, lambda d: picture(d).endswith(f'/{row[0]}.png'))
    # filtered by digit count
    count = len(rows[0][2])
    wait_for(browser, lambda d: press(d, '#browse-digits input'))
    wait_for(
        browser, lambda d: d.execute_script(
            'const o = Array.from(document.querySelectorAll("[role=option]"))'
            '.find(o => o.innerText.trim() === arguments[0]); if (o) '
            'o.dispatchEvent(new MouseEvent("mousedown", {bubbles: true}));'
            'return Boolean(o);', str(count)))
    shown = [r for r in rows if len(r[2]) == count]
    assert wait_for(browser,
                    lambda d: table(d, 'browse-table') == shown or None)
    assert f'; {len(shown)} {count}-digit numbers shown' in text(
        browser, '#browse-summary')


def test_page_loads_nothing_from_outside(browser, server):
    # every request of the module's tests so far (uploads, examples,
    # pictures, CSV, browsing) and of a page loaded anew
    open_page(browser, server)
    time.sleep(1)  # late requests (fonts, scripts) of the page
    urls = set()
    for entry in browser.get_log('performance'):
        message = json.loads(entry['message'])['message']
        if message['method'] == 'Network.requestWillBeSent':
            urls.add(message['params']['request']['url'])
    assert any(u.startswith(server) for u in urls)
    outside = [
        u for u in urls
        if not u.startswith((server, 'data:', 'blob:', 'ws://127.0.0.1'))
    ]
    assert outside == []
