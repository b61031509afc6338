"""Static files storage for production: whitenoise's compressed, hashed (manifest) storage."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Like whitenoise's, but leaves ``sourceMappingURL`` comments alone.

    The vendored minified Bootstrap files point at source maps we do not ship; Django's manifest
    storage would otherwise fail collectstatic on them. Browsers simply find no map (a 404 in the
    developer tools only). ``url()`` and ``@import`` references are still rewritten to hashed names.
    """

    patterns = tuple(
        (
            glob,
            tuple(
                pattern
                for pattern in rules
                if "sourceMappingURL" not in (pattern if isinstance(pattern, str) else pattern[0])
            ),
        )
        for glob, rules in CompressedManifestStaticFilesStorage.patterns
    )
