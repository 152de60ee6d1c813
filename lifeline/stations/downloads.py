"""A file over HTTP with resumable downloads (RFC 9110 ranges), streamed in bounded memory.

    file_response(request, file, etag, filename)
        200 and the whole file; with `Range: bytes=N-` (or N-M, or -N for the last N bytes)
        206 and that part with Content-Range; 416 and `Content-Range: bytes */SIZE` when the
        range is not one range the file can serve. `If-Range` with another ETag gets the whole
        file. Every answer says `Accept-Ranges: bytes` and carries the ETag.

The ETag is given by the caller: for a package, its SHA-256 (packages never change).
"""
import os
import re

from django.http import JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

CHUNK = 256 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class BadRange(Exception):
    pass


def parse_range(header: str, size: int) -> tuple[int, int]:
    """(first, last) byte of the one range asked for; BadRange when the file cannot serve it."""
    match = _RANGE.fullmatch(header.strip())
    if not match or match.groups() == ("", ""):
        raise BadRange(_("Range: %(range)s is not one byte range (bytes=N-, bytes=N-M or bytes=-N)")
                       % {"range": header})
    first, last = match.groups()
    if not first:  # the last N bytes
        if int(last) == 0:
            raise BadRange(_("Range: %(range)s asks for no bytes") % {"range": header})
        return max(size - int(last), 0), size - 1
    first, last = int(first), int(last) if last else size - 1
    if first >= size or last < first:
        raise BadRange(_("Range: %(range)s is outside the file's %(size)d bytes") % {"range": header, "size": size})
    return first, min(last, size - 1)


def file_response(request, file, etag: str, filename: str) -> StreamingHttpResponse | JsonResponse:
    """Answer a GET for the open binary `file` (closed when the answer is sent)."""
    size = os.fstat(file.fileno()).st_size
    quoted = f'"{etag}"'
    header = request.headers.get("Range")
    # If-Range: the part only if the file is still the one the client has the start of.
    if header and request.headers.get("If-Range", quoted) == quoted:
        try:
            first, last = parse_range(header, size)
        except BadRange as bad:
            file.close()
            response = JsonResponse({"detail": str(bad)}, status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        status = 206
    else:
        first, last, status = 0, size - 1, 200
    response = StreamingHttpResponse(_Part(file, first, last - first + 1), status=status,
                                     content_type="application/octet-stream")
    response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = quoted
    response["Cache-Control"] = "private, no-transform"  # for its holder only, byte for byte
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if status == 206:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return response


class _Part:
    """`length` bytes of `file` from `start`, a chunk at a time; the response closes it."""

    def __init__(self, file, start: int, length: int):
        self.file, self.start, self.length = file, start, length

    def __iter__(self):
        self.file.seek(self.start)
        left = self.length
        while left > 0:
            chunk = self.file.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk

    def close(self):
        self.file.close()
