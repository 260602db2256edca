"""A stored document sent to the browser: always a download, never rendered, whatever it holds."""

from __future__ import annotations

from typing import IO, Any

from django.http import FileResponse


def attachment_response(file: IO[Any], *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
