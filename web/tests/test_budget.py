"""The shipped client stays small: its JavaScript and CSS together at most 150 KB gzipped."""

from __future__ import annotations

import gzip

from web.tests.conftest import DIST

BUDGET = 150 * 1024


def test_shipped_javascript_and_css_fit_the_budget() -> None:
    assets = [*DIST.glob("assets/*.js"), *DIST.glob("assets/*.css")]
    assert assets, "web/dist is not built (scripts/web-build.sh)"
    gzipped = sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in assets)
    print(f"\nweb client: {len(assets)} files, {gzipped / 1024:.1f} KB gzipped")
    assert gzipped <= BUDGET


def test_index_loads_only_built_assets() -> None:
    index = (DIST / "index.html").read_text()
    assert "/src/" not in index  # the source entry was replaced by hashed bundles
    assert 'type="module"' in index and "/assets/" in index
