"""A stamp of the code that renders pages, for the page cache's keys.

Kept pages and parts (smm_site/page_cache.py) are served for up to ten minutes while the data
has not changed; after a release that changes a template, a view or a translation, pages
rendered by the previous code must not be served by the new one (a fixed template must show at
once). Every key of the ``pages`` cache therefore starts with this stamp: a new release starts
with an empty cache, and during a rolling restart each worker reads only its own release's
pages. The stamp is ``SMM_RELEASE`` if the deployment sets it (a commit id, say), else a digest
of the files that shape a page, read once when the settings load (about 160 small files).

No Django here: the settings import it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# What a rendered page depends on besides the data: code, templates, translations, and the
# static files' names (hashed into their URLs, listed in the manifest that collectstatic writes).
_SOURCES = ("*.py", "*.html", "*.txt", "*.mo")
_FOLDERS = ("smm_site", "communities", "assessments", "templates")


def code_stamp(base_dir: Path, static_root: Path | None = None) -> str:
    digest = hashlib.sha256()
    files = sorted(
        path
        for folder in _FOLDERS
        if (base_dir / folder).is_dir()
        for pattern in _SOURCES
        for path in (base_dir / folder).rglob(pattern)
        if "__pycache__" not in path.parts
    )
    if static_root is not None and (static_root / "staticfiles.json").is_file():
        files.append(static_root / "staticfiles.json")
    for path in files:
        digest.update(
            str(path.relative_to(base_dir) if path.is_relative_to(base_dir) else path.name).encode()
        )
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]
