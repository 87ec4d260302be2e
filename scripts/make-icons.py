"""Draws the app icon (a key on a shield-blue tile) with the standard library only: the PNGs, the
Windows icon.ico (PNG entries, which Windows Vista+ and tauri-build read) and the macOS icon.icns
(PNG entries by Apple's type codes)."""
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


def ico(sizes: list[int]) -> bytes:
    images = [png(size) for size in sizes]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    directory = b""
    for size, image in zip(sizes, images):
        # Width and height are one byte each; 0 means 256.
        directory += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return header + directory + b"".join(images)


# Apple's icon types that hold PNG data, by pixel size (the @2x types share the bigger size).
ICNS_TYPES = [(b"icp4", 16), (b"icp5", 32), (b"ic11", 32), (b"icp6", 64), (b"ic12", 64),
              (b"ic07", 128), (b"ic08", 256), (b"ic13", 256), (b"ic09", 512), (b"ic14", 512), (b"ic10", 1024)]


def icns(cache: dict[int, bytes]) -> bytes:
    body = b"".join(kind + struct.pack(">I", 8 + len(cache[size])) + cache[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "icons")
    out.mkdir(exist_ok=True)
    for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        (out / name).write_bytes(png(size))
    (out / "icon.ico").write_bytes(ico([16, 24, 32, 48, 64, 256]))
    cache = {size: png(size) for size in sorted({size for _, size in ICNS_TYPES})}
    (out / "icon.icns").write_bytes(icns(cache))
