"""Draws the app icon (a key on a shield-blue tile) as PNGs with the standard library only."""
import struct
import sys
import zlib
from pathlib import Path


def pixel(x: float, y: float) -> tuple[int, int, int, int]:
    # Coordinates are in 0..1; rounded tile, key bow (ring) and shaft with two teeth.
    r = 0.18
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    d = ((x - 0.36) ** 2 + (y - 0.5) ** 2) ** 0.5
    ring = 0.09 < d < 0.17
    shaft = 0.5 < x < 0.8 and 0.47 < y < 0.53
    teeth = (0.66 < x < 0.7 or 0.74 < x < 0.78) and 0.53 <= y < 0.62
    if ring or shaft or teeth:
        return (250, 250, 245, 255)
    return (16, 97, 74, 255)


def png(size: int) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel((i + 0.5) / size, (j + 0.5) / size)) for i in range(size))
        for j in range(size)
    )
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "icons")
    out.mkdir(exist_ok=True)
    for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        (out / name).write_bytes(png(size))
