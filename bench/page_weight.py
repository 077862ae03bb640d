"""Benchmark: what the visitor's pages weigh on a phone (issue 16, §5: under 300 KB compressed).

Usage:
    .venv/bin/python bench/page_weight.py [--database tanfang_bench_pages] [--keep]

Seeds the demo (`seed_demo`: Wuzhi county, 2,000 elders) into a scratch PostgreSQL database, logs in as
the demo visitor, and fetches its work list and the recording page of its first elder through Django's
test client. For each page it prints the HTML, and every script and style sheet the page links, raw and
gzip-compressed (level 6, what nginx sends by default), and the totals with and without those assets
(the assets are cached by the browser after the first page). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_scratch_database, use_scratch_database

TARGET_KB = 300
ASSET = re.compile(r'<(?:script[^>]+src|link[^>]+href)="(/static/[^"]+\.(?:js|css))"')


def gz(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=6))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="tanfang_bench_pages")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    use_scratch_database(args.database)
    import django

    django.setup()
    from django.contrib.staticfiles import finders
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from tanfang.accounts.models import User
    from tanfang.visitors.models import Pairing

    override_settings(ALLOWED_HOSTS=["*"]).enable()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    visitor = User.objects.get(username="visitor")
    client = Client()
    client.force_login(visitor)
    paired = Pairing.objects.filter(visitor__user=visitor, ended_on__isnull=True)
    elder_id = paired.values_list("elder_id", flat=True)[0]
    pages = {"work list /worklist/": "/worklist/", "recording page": f"/records/elders/{elder_id}/new/"}
    worst = 0
    for label, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content
        print(f"\n{label}")
        print(f"  {'HTML':<48} {len(html) / 1024:8.1f} KB raw {gz(html) / 1024:7.1f} KB gzip")
        assets_raw = assets_gz = 0
        for path in dict.fromkeys(ASSET.findall(html.decode())):
            found = finders.find(path.removeprefix("/static/"))
            if not found:
                print(f"  {path:<48} (not found)")
                continue
            content = Path(found).read_bytes()
            assets_raw, assets_gz = assets_raw + len(content), assets_gz + gz(content)
            print(f"  {path:<48} {len(content) / 1024:8.1f} KB raw {gz(content) / 1024:7.1f} KB gzip")
        total = (gz(html) + assets_gz) / 1024
        worst = max(worst, gz(html))
        print(f"  total with its scripts and styles: {total:.1f} KB gzip; the page alone {gz(html) / 1024:.1f} KB")
    verdict = "ok" if worst / 1024 < TARGET_KB else "OVER"
    print(f"\nHEAVIEST PAGE WITHOUT CACHED ASSETS: {worst / 1024:.1f} KB gzip (target < {TARGET_KB} KB: {verdict})")
    if not args.keep:
        drop_scratch_database(args.database)


if __name__ == "__main__":
    main()
