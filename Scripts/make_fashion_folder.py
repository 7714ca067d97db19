#!/usr/bin/env python3
"""Writes a small real image folder from Debian's Fashion-MNIST (Python standard library only).

Run:  python3 Scripts/make_fashion_folder.py [SOURCE_DIR]
SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist),
which holds {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.

Output: Datasets/fashion-mnist-small/train/<class>/NNNNN.png (the first 200 images of each class
in the training file) and Datasets/fashion-mnist-small/test/<class>/NNNNN.png (the first 50 of each
class in the test file), 28x28 8-bit grayscale PNGs. NNNNN is the image's index in its IDX file.
Class folders use torchvision's FashionMNIST.classes made safe for file names ("T-shirt/top" ->
"T-shirt_top", "Ankle boot" -> "Ankle_boot"); ImageFolder sorts them, so its class indices differ
from the IDX labels. The choice is deterministic: rerunning gives identical files.
"""
import gzip, os, shutil, struct, sys, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Datasets", "fashion-mnist-small")
CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]
PER_CLASS = {"train": 200, "test": 50}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    payload = data[4 + 4 * ndim :]
    size = 1
    for d in dims:
        size *= d
    if len(payload) != size:
        sys.exit(f"{path}: {len(payload)} data bytes, header says {size}")
    return dims, payload


def png_gray(width, height, pixels):
    """An 8-bit grayscale PNG: rows with filter byte 0, one zlib stream."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + pixels[y * width : (y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    if not os.path.isdir(source):
        sys.exit(f"{source} not found: apt-get install dataset-fashion-mnist (or pass the directory)")
    shutil.rmtree(OUT, ignore_errors=True)
    total = 0
    for split, prefix in [("train", "train"), ("test", "t10k")]:
        (n, h, w), images = read_idx(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz"))
        (m,), labels = read_idx(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz"))
        if n != m:
            sys.exit(f"{split}: {n} images but {m} labels")
        taken = [0] * len(CLASSES)
        for i in range(n):
            label = labels[i]
            if taken[label] >= PER_CLASS[split]:
                continue
            taken[label] += 1
            folder = os.path.join(OUT, split, CLASSES[label])
            os.makedirs(folder, exist_ok=True)
            data = png_gray(w, h, images[i * h * w : (i + 1) * h * w])
            with open(os.path.join(folder, f"{i:05d}.png"), "wb") as f:
                f.write(data)
            total += len(data)
            if all(t >= PER_CLASS[split] for t in taken):
                break
        print(f"{split}: {sum(taken)} images ({', '.join(f'{c} {t}' for c, t in zip(CLASSES, taken))})")
    print(f"wrote {OUT} ({total / 1024:.0f} KB of PNG data)")


if __name__ == "__main__":
    main()
