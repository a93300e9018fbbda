#!/usr/bin/env python3
"""Renders resources/icons/tunebench-{48,128,256}.png from the shapes of
resources/icons/tunebench.svg (rounded rectangles and circles only), with
4x4 supersampling and no dependency beyond the standard library.
    python3 packaging/make_icons.py
Keep the SHAPES below in step with the SVG."""
import os
import struct
import zlib

# (kind, params, RGB) in the SVG's 256x256 coordinates, painted in order.
SHAPES = [
    ("rrect", (16, 16, 224, 224, 48), (0x1F, 0x6F, 0x8B)),
    ("rrect", (66, 56, 12, 144, 6), (0xE8, 0xF1, 0xF2)),
    ("rrect", (122, 56, 12, 144, 6), (0xE8, 0xF1, 0xF2)),
    ("rrect", (178, 56, 12, 144, 6), (0xE8, 0xF1, 0xF2)),
    ("circle", (72, 150, 22), (0xF4, 0xA2, 0x59)),
    ("circle", (128, 100, 22), (0xF4, 0xA2, 0x59)),
    ("circle", (184, 128, 22), (0xF4, 0xA2, 0x59)),
]


def inside(kind, p, x, y):
    if kind == "circle":
        cx, cy, r = p
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    rx, ry, w, h, rad = p
    if x < rx or x > rx + w or y < ry or y > ry + h:
        return False
    # Distance to the inner rectangle whose corners are the arc centres.
    dx = max(rx + rad - x, 0, x - (rx + w - rad))
    dy = max(ry + rad - y, 0, y - (ry + h - rad))
    return dx * dx + dy * dy <= rad * rad


def render(size, ss=4):
    scale = 256.0 / size
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            r = g = b = a = 0.0
            for sy in range(ss):
                for sx in range(ss):
                    x = (px + (sx + 0.5) / ss) * scale
                    y = (py + (sy + 0.5) / ss) * scale
                    colour = None
                    for kind, p, rgb in SHAPES:
                        if inside(kind, p, x, y):
                            colour = rgb
                    if colour:
                        r += colour[0]
                        g += colour[1]
                        b += colour[2]
                        a += 1
            n = ss * ss
            if a:
                # Straight (not premultiplied) alpha, as PNG stores it.
                row += bytes((round(r / a), round(g / a), round(b / a), round(255 * a / n)))
            else:
                row += b"\0\0\0\0"
        rows.append(b"\0" + bytes(row))
    return b"".join(rows)


def png(size, pixels):
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "icons")
    for size in (48, 128, 256):
        with open(os.path.join(out, "tunebench-%d.png" % size), "wb") as f:
            f.write(png(size, render(size)))
