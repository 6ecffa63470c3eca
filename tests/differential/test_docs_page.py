"""The docs page (`/docs`) of each server, rendered by a real browser (headless Chromium,
offline): Swagger UI loads the server's `/openapi.json` and shows every operation of the
contract and every schema of the document. A page that fails to load its assets or its
document shows none of them, so this fails."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile

import httpx
import pytest

from conftest import Servers

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"

#: The operations of the contract, as Swagger UI marks them (`data-path`).
ROUTES = ["/org/create", "/org/get", "/admin/login", "/org/update", "/org/delete", "/health"]


def rendered(url: str) -> str:
    """The DOM of `url` after its scripts ran, from headless Chromium."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (make test installs it)")
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=20000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    return out.stdout.decode(errors="replace")


@pytest.mark.parametrize("name", ["rust", "fastapi", "express"])
def test_the_docs_page_renders_every_operation_and_schema(servers: Servers, name: str) -> None:
    url = servers.urls[name]
    document = httpx.get(f"{url}/openapi.json", timeout=10).json()
    dom = rendered(f"{url}/docs")
    assert "Failed to load API definition" not in dom
    shown = set(re.findall(r'data-path="([^"]+)"', dom))
    assert set(ROUTES) <= shown, f"{name}: operations shown {sorted(shown)}"
    assert document["info"]["title"] in dom
    for schema in document.get("components", {}).get("schemas", {}):
        assert re.search(rf">\s*{re.escape(schema)}\s*<", dom), f"{name}: schema {schema} not shown"
