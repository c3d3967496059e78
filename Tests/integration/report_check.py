"""Checks shared by the report tests: the page's SVG parses as XML, and the page rendered
by a real browser (headless Chromium) is a picture, not a blank or broken page.

The PNG is decoded here with zlib (8-bit RGB/RGBA, the form Chromium writes), so the check
needs no imaging library.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ET
import zlib

SVG_NS = "{http://www.w3.org/2000/svg}"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def svg_elements(html: str) -> list[ET.Element]:
    """Every inline <svg>…</svg> of the page, parsed as XML (raises if one is malformed)."""
    out = []
    for block in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        out.append(ET.fromstring(block))
    return out


def summary_numbers(html: str) -> dict[str, int]:
    """The summary table's first row as {column header: number}."""
    m = re.search(r'<table class="summary">(.*?)</table>', html, flags=re.S)
    assert m, "no summary table"
    heads = re.findall(r"<th>(.*?)</th>", m.group(1))
    cells = re.findall(r"<td[^>]*>(.*?)</td>", m.group(1))
    out = {}
    for h, c in zip(heads, cells):
        try:
            out[h] = int(c)
        except ValueError:
            pass
    return out


def render(html_path: str, png_path: str, width: int = 1100, height: int = 2400, timeout: float = 120) -> None:
    """Screenshots the page with headless Chromium (no network: the page has no external assets)."""
    exe = chromium()
    assert exe, "chromium is not installed (scripts/setup installs it)"
    profile = tempfile.mkdtemp(prefix="seismo-chromium-")
    try:
        r = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
                            f"--window-size={width},{height}", f"--screenshot={png_path}",
                            "file://" + os.path.abspath(html_path)],
                           capture_output=True, timeout=timeout)
        assert os.path.exists(png_path), f"chromium wrote no screenshot (exit {r.returncode}): {r.stderr[-2000:]!r}"
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def decode_png(path: str) -> tuple[int, int, int, bytes]:
    """(width, height, channels, raw pixel rows without filter bytes) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and color in (2, 6) and interlace == 0, f"unsupported PNG (depth {depth}, color {color})"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    out = bytearray(stride * height)
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return width, height, channels, bytes(out)


def picture_stats(path: str) -> dict:
    """How much of the screenshot is drawn: share of non-white pixels, distinct colours, and
    pixels in the chart colours (series blue, alert red, resolve green) — a blank, black or
    unstyled page fails these."""
    w, h, ch, px = decode_png(path)
    nonwhite = 0
    colours = set()
    blue = red = green = 0
    step = 2  # every other pixel of every other row: plenty for a ratio, 4× faster in Python
    total = 0
    for y in range(0, h, step):
        row = y * w * ch
        for x in range(0, w, step):
            i = row + x * ch
            r, g, b = px[i], px[i + 1], px[i + 2]
            total += 1
            if r < 245 or g < 245 or b < 245:
                nonwhite += 1
            colours.add((r >> 3, g >> 3, b >> 3))
            if b > 150 and r < 80 and 90 < g < 150:
                blue += 1
            if r > 180 and g < 80 and b < 80:
                red += 1
            if g > 130 and r < 90 and b < 90:
                green += 1
    return {"width": w, "height": h, "nonwhite": nonwhite / total, "colours": len(colours),
            "blue": blue, "red": red, "green": green}


def assert_picture(path: str) -> dict:
    s = picture_stats(path)
    assert 0.01 < s["nonwhite"] < 0.9, f"screenshot looks blank or solid: {s}"
    assert s["colours"] > 20, f"screenshot has too few colours to hold charts: {s}"
    assert s["blue"] > 50, f"no series line (blue) visible: {s}"
    assert s["red"] > 20, f"no firing marker / interval shade (red) visible: {s}"
    return s
