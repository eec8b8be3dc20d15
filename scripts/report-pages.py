#!/usr/bin/env python3
"""Makes docs/report-pages.png, the README's picture: pages of a report.pdf side by side on a grey
ground. Needs only poppler's pdftoppm and the standard library.

    python3 scripts/report-pages.py out/report.pdf 3 5 docs/report-pages.png
"""
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

GROUND = (232, 234, 239)
GAP = 24
DPI = 90


def read_ppm(path):
    data = Path(path).read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval
        while data[pos : pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", "pdftoppm writes 8-bit PPM"
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos + 1 :]


def write_png(path, width, height, rgb):
    def chunk(kind, body):
        return (len(body).to_bytes(4, "big") + kind + body
                + zlib.crc32(kind + body).to_bytes(4, "big"))
    rows = b"".join(b"\x00" + rgb[y * width * 3 : (y + 1) * width * 3] for y in range(height))
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
           + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    Path(path).write_bytes(png)


def main():
    pdf, first, last, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(first), "-l", str(last), pdf,
                        f"{tmp}/p"], check=True)
        pages = [read_ppm(p) for p in sorted(Path(tmp).glob("p-*.ppm"))]
    height = max(h for _, h, _ in pages) + 2 * GAP
    width = sum(w for w, _, _ in pages) + GAP * (len(pages) + 1)
    canvas = bytearray(bytes(GROUND) * width * height)
    x = GAP
    for w, h, rgb in pages:
        for y in range(h):
            at = ((GAP + y) * width + x) * 3
            canvas[at : at + w * 3] = rgb[y * w * 3 : (y + 1) * w * 3]
        x += w + GAP
    write_png(out, width, height, bytes(canvas))


if __name__ == "__main__":
    main()
