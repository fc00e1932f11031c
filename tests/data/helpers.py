"""Helpers to look inside exports (XLSX is a zip of XML; PDF streams are zlib-compressed)."""

from __future__ import annotations

import io
import re
import zipfile
import zlib


def xlsx_bytes(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return b"".join(zf.read(name) for name in zf.namelist())


def pdf_bytes(data: bytes) -> bytes:
    """The PDF with every Flate stream inflated, so its text can be searched."""
    out = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"".join(out)


def export_bytes(fmt: str, data: bytes) -> bytes:
    if fmt == "xlsx":
        return xlsx_bytes(data)
    if fmt == "pdf":
        return pdf_bytes(data)
    return data
