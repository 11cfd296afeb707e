"""The README's and docs' relative links point at files and headings that
exist (GitHub's heading anchors)."""
import glob
import os.path as osp
import re

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAGES = [osp.join(REPO, 'README.md')] + sorted(
    glob.glob(osp.join(REPO, 'docs', '*.md')))
LINK = re.compile(r'\]\(([^)\s]+)\)')


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped,
    spaces to hyphens."""
    text = heading.strip().lower().replace('`', '')
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(path: str) -> set:
    with open(path) as f:
        text = re.sub(r'```.*?```', '', f.read(), flags=re.S)
    return {
        anchor(line.lstrip('#'))
        for line in text.splitlines() if line.startswith('#')
    }


def test_anchor_rules():
    assert anchor(' `make demo` and `make test` on a fresh clone') == \
        'make-demo-and-make-test-on-a-fresh-clone'
    assert anchor(' The whole course-sized submission, run end to end') == \
        'the-whole-course-sized-submission-run-end-to-end'


@pytest.mark.parametrize(
    'page', PAGES, ids=[osp.relpath(p, REPO) for p in PAGES])
def test_relative_links_resolve(page):
    with open(page) as f:
        text = re.sub(r'```.*?```', '', f.read(), flags=re.S)
    for target in LINK.findall(text):
        if re.match(r'[a-z]+://', target):
            continue
        path, _, fragment = target.partition('#')
        path = osp.normpath(osp.join(osp.dirname(page), path)) \
            if path else page
        assert osp.exists(path), f'{osp.relpath(page, REPO)}: {target}'
        if fragment and path.endswith('.md'):
            assert fragment in anchors(path), \
                f'{osp.relpath(page, REPO)}: no heading for {target}'
