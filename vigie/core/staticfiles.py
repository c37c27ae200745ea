"""Static files compressed with gzip only.

WhiteNoise also makes Brotli copies when the ``brotli`` package is importable (WeasyPrint
brings it); at Brotli's default quality that takes minutes on this project's files
(hls.js, the API browser), at every first start of the demo, for no gain on a local
network.
"""

from __future__ import annotations

from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedStaticFilesStorage


class GzipStaticFilesStorage(CompressedStaticFilesStorage):
    def create_compressor(self, **kwargs: Any) -> Compressor:
        return Compressor(use_brotli=False, **kwargs)
