#!/usr/bin/env python3
"""Writes the Datasets test fixtures and torchvision's answers for them.

Run:  /tmp/torch-venv/bin/python Scripts/make_dataset_fixtures.py
Needs numpy, Pillow, torch, torchvision. Outputs (about 200 KB) go to Tests/DatasetsTests/Fixtures/:
  folder/        an ImageFolder tree: PNG and JPEG files, upper-case extensions, nested directories
                 whose os.walk order differs from a depth-first walk ("sub", "sub-x", "sub/deeper"),
                 a class named "Zebra" (sorts before "cat"), a text file, a corrupt PNG
  idx/           MNIST-format files: the train split gzip'd (images as two concatenated gzip
                 members), the t10k split raw
  idx_bad/       a truncated gzip file and one with a bad CRC
  cifar/bin/     CIFAR-10 binary batches (3 records per training batch, 4 in the test batch)
  cifar/py/      the same records as python pickles: data_batch_1 and test_batch in the layout of the
                 real cifar-10-python files (Python 2, protocol 2, BINSTRING keys, written by hand),
                 the others as Python 3 writes them with protocols 2, 3, 4 and 5
  cifar/evil/    a test batch whose pickle calls os.system, and batches.meta
  expected.json  torchvision's results: classes, class_to_idx, sample order, pixel values
"""
import gzip, io, json, os, pickle, shutil, struct, sys, tempfile
import numpy as np
from PIL import Image
import torch
import torchvision
from torchvision import transforms as T

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DatasetsTests", "Fixtures")
rng = np.random.RandomState(20240601)
expected = {}


def path(*parts):
    p = os.path.join(OUT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write(rel, data):
    with open(path(*rel.split("/")), "wb") as f:
        f.write(data)


def floats(t):
    """A float32 tensor as a list of Python floats (exact: every float32 is a double)."""
    return [float(v) for v in t.flatten().tolist()]


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def digest(t):
    """A float32 tensor too big to list: FNV-1a of its little-endian bytes (bit-exact check), its
    sum and a few values (for readable failures)."""
    a = t.detach().numpy().astype("<f4")
    flat = a.flatten()
    return {"shape": list(a.shape), "fnv": fnv1a64(a.tobytes()), "sum": float(flat.astype(np.float64).sum()),
            "some": [[int(i), float(flat[i])] for i in range(0, flat.size, max(1, flat.size // 7))]}


# ---------------------------------------------------------------- ImageFolder
def image_folder():
    base = os.path.join(OUT, "folder")
    shutil.rmtree(base, ignore_errors=True)

    def img(rel, w, h, mode="RGB", fmt="PNG", **kw):
        shape = (h, w) if mode == "L" else (h, w, len(mode))
        pixels = rng.randint(0, 256, size=shape).astype(np.uint8)
        p = path("folder", *rel.split("/"))
        Image.fromarray(pixels, mode).save(p, fmt, **kw)

    img("Zebra/z1.png", 6, 5)
    img("Zebra/z2.JPG", 8, 8, fmt="JPEG", quality=90)
    for name in ["b.png", "a.png", "img10.png", "img2.png"]:
        img("cat/" + name, 5, 4)
    img("cat/sub/c.png", 4, 4)
    img("cat/sub-x/d.png", 3, 5)
    img("cat/sub/deeper/e.jpeg", 8, 6, fmt="JPEG", quality=95)
    write("folder/cat/notes.txt", b"not an image\n")
    img("dog/1.jpg", 9, 7, fmt="JPEG", quality=85)
    write("folder/dog/corrupt.png", b"\x89PNG\r\n\x1a\n" + bytes(rng.randint(0, 256, 40).astype(np.uint8)))
    img("dog/nested/2.PNG", 4, 3, mode="RGBA")
    img("gray/g.png", 5, 5, mode="L")
    img("gray/h.png", 3, 2, mode="LA")

    ds = torchvision.datasets.ImageFolder(base, transform=T.ToTensor())
    rel = lambda p: os.path.relpath(p, base)
    png_only = torchvision.datasets.ImageFolder(base, is_valid_file=lambda p: p.endswith(".png"))
    out = {
        "classes": ds.classes,
        "class_to_idx": ds.class_to_idx,
        "samples": [[rel(p), c] for p, c in ds.samples],
        "png_only_samples": [[rel(p), c] for p, c in png_only.samples],
        "pixels": {},
        "gray_pixels": {},
    }
    gray = torchvision.datasets.ImageFolder(base, transform=T.ToTensor(), loader=lambda p: Image.open(p).convert("L"))
    for i, (p, _) in enumerate(ds.samples):
        if p.endswith("corrupt.png"):
            continue
        t, label = ds[i]
        out["pixels"][rel(p)] = {"shape": list(t.shape), "values": floats(t), "label": label}
        if "gray/" in p or "Zebra/z2" in p or "dog/nested" in p:
            g, _ = gray[i]
            out["gray_pixels"][rel(p)] = {"shape": list(g.shape), "values": floats(g)}
    expected["folder"] = out


# ---------------------------------------------------------------- IDX (MNIST format)
def idx_bytes(array, type_code):
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def mnist_files():
    shutil.rmtree(os.path.join(OUT, "idx"), ignore_errors=True)
    shutil.rmtree(os.path.join(OUT, "idx_bad"), ignore_errors=True)
    splits = {"train": 12, "t10k": 5}
    raw = {}
    for split, n in splits.items():
        images = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
        images[:, :4, :] = 0  # a little structure: zero rows, a bright square
        images[:, 10:14, 10:14] = 255
        labels = rng.randint(0, 10, size=n).astype(np.uint8)
        raw[split] = (idx_bytes(images, 0x08), idx_bytes(labels, 0x08))
    img, lab = raw["train"]
    half = len(img) // 2  # two gzip members, concatenated: readers must continue after the first
    write("idx/train-images-idx3-ubyte.gz", gzip.compress(img[:half], mtime=0) + gzip.compress(img[half:], mtime=0))
    write("idx/train-labels-idx1-ubyte.gz", gzip.compress(lab, mtime=0))
    write("idx/t10k-images-idx3-ubyte", raw["t10k"][0])
    write("idx/t10k-labels-idx1-ubyte", raw["t10k"][1])
    gz = gzip.compress(img, mtime=0)
    write("idx_bad/truncated-images-idx3-ubyte.gz", gz[: len(gz) // 2])
    bad = bytearray(gz)
    bad[-8] ^= 0xFF  # CRC32 of the trailer
    write("idx_bad/badcrc-images-idx3-ubyte.gz", bytes(bad))

    # torchvision reads root/<Class>/raw/<name> (uncompressed).
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for cls in ["MNIST", "FashionMNIST"]:
            os.makedirs(os.path.join(tmp, cls, "raw"))
            for split, (i, l) in raw.items():
                for kind, data in [("images-idx3", i), ("labels-idx1", l)]:
                    with open(os.path.join(tmp, cls, "raw", f"{split}-{kind}-ubyte"), "wb") as f:
                        f.write(data)
        for train in [True, False]:
            plain = torchvision.datasets.MNIST(tmp, train=train, transform=T.ToTensor())
            fashion = torchvision.datasets.FashionMNIST(
                tmp, train=train, transform=T.Compose([T.ToTensor(), T.Normalize((0.2860,), (0.3530,))]))
            mnist_norm = torchvision.datasets.MNIST(
                tmp, train=train, transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]))
            n = len(plain)
            picks = [0, n - 1]
            out["train" if train else "test"] = {
                "count": n,
                "targets": plain.targets.tolist(),
                "classes": plain.classes,
                "fashion_classes": fashion.classes,
                "picks": picks,
                "plain": [digest(plain[k][0]) for k in picks],
                "fashion_normalized": [digest(fashion[k][0]) for k in picks],
                "mnist_normalized": [digest(mnist_norm[k][0]) for k in picks],
                "sums": [float(plain[k][0].double().sum()) for k in range(n)],
            }
    expected["mnist"] = out


# ---------------------------------------------------------------- CIFAR-10
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def py2_dumps(root):
    """Pickles dicts, lists, ints, byte strings and uint8 arrays the way Python 2's cPickle
    (protocol 2) wrote the real cifar-10-python batches: BINSTRING for str, numpy's
    _reconstruct + BUILD for arrays, BINPUT after every object."""
    out = bytearray(b"\x80\x02")
    memo = [0]

    def put():
        memo[0] += 1
        out.extend(b"q" + bytes([memo[0]]) if memo[0] < 256 else b"r" + struct.pack("<I", memo[0]))

    def s(b):
        if len(b) < 256:
            out.extend(b"U" + bytes([len(b)]) + b)
        else:
            out.extend(b"T" + struct.pack("<i", len(b)) + b)
        put()

    def i(v):
        if 0 <= v < 256:
            out.extend(b"K" + bytes([v]))
        elif 0 <= v < 65536:
            out.extend(b"M" + struct.pack("<H", v))
        else:
            out.extend(b"J" + struct.pack("<i", v))

    def obj(o):
        if isinstance(o, dict):
            out.extend(b"}")
            put()
            out.extend(b"(")
            for k, v in o.items():
                obj(k)
                obj(v)
            out.extend(b"u")
        elif isinstance(o, list):
            out.extend(b"]")
            put()
            out.extend(b"(")
            for v in o:
                obj(v)
            out.extend(b"e")
        elif isinstance(o, (bytes, str)):
            s(o if isinstance(o, bytes) else o.encode("latin1"))
        elif isinstance(o, int):
            i(o)
        elif isinstance(o, np.ndarray):
            assert o.dtype == np.uint8
            out.extend(b"cnumpy.core.multiarray\n_reconstruct\n")
            put()
            out.extend(b"cnumpy\nndarray\n")
            put()
            out.extend(b"K\x00\x85")
            put()
            s(b"b")
            out.extend(b"\x87")
            put()
            out.extend(b"R")
            put()
            out.extend(b"(K\x01")
            for d in o.shape:
                i(d)
            out.extend(b"\x86" if o.ndim == 2 else b"\x85")
            put()
            out.extend(b"cnumpy\ndtype\n")
            put()
            s(b"u1")
            out.extend(b"K\x00K\x01\x87R")
            put()
            out.extend(b"(K\x03")
            s(b"|")
            out.extend(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89")
            s(o.tobytes())
            out.extend(b"t")
            put()
            out.extend(b"b")
        else:
            raise TypeError(type(o))

    obj(root)
    out.extend(b".")
    return bytes(out)


def cifar_files():
    base = os.path.join(OUT, "cifar")
    shutil.rmtree(base, ignore_errors=True)
    names = [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]
    batches = {}
    for name in names:
        n = 4 if name == "test_batch" else 3
        data = rng.randint(0, 256, size=(n, 3072)).astype(np.uint8)
        labels = [int(v) for v in rng.randint(0, 10, size=n)]
        batches[name] = (data, labels)
        records = b"".join(bytes([labels[r]]) + data[r].tobytes() for r in range(n))
        write(f"cifar/bin/{name}.bin", records)
        entry = {"batch_label": name, "labels": labels, "data": data,
                 "filenames": [f"img_{name}_{r}.png" for r in range(n)]}
        if name in ("data_batch_1", "test_batch"):
            blob = py2_dumps(entry)  # str keys become BINSTRING, as Python 2 wrote them
        else:
            protocol = {"data_batch_2": 2, "data_batch_3": 3, "data_batch_4": 4, "data_batch_5": 5}[name]
            blob = pickle.dumps(entry, protocol=protocol)
        write(f"cifar/py/{name}", blob)
    write("cifar/bin/batches.meta.txt", ("\n".join(CLASSES) + "\n\n").encode())
    meta = {"num_cases_per_batch": 3, "label_names": CLASSES, "num_vis": 3072}
    write("cifar/py/batches.meta", py2_dumps(meta))
    # A test batch whose pickle would run os.system if anything executed it.
    evil = b"\x80\x02}q\x00(U\x04dataq\x01cposix\nsystem\nq\x02U\x1atouch /tmp/swiftvision_pwnedq\x03\x85q\x04Rq\x05u."
    write("cifar/evil/test_batch", evil)
    write("cifar/evil/batches.meta", py2_dumps(meta))

    # torchvision's CIFAR10 on the python batches (md5 checks patched out: these are not the real files).
    for loads in [lambda b: pickle.loads(b, encoding="latin1"), lambda b: pickle.loads(b, encoding="bytes")]:
        for name in names:
            with open(os.path.join(base, "py", name), "rb") as f:
                e = loads(f.read())
            key = lambda k: k if k in e else k.encode()  # encoding="bytes" gives b'data' for Python 2 strings
            assert (e[key("data")] == batches[name][0]).all() and e[key("labels")] == batches[name][1], name
    torchvision.datasets.CIFAR10._check_integrity = lambda self: True
    torchvision.datasets.cifar.check_integrity = lambda *args, **kwargs: True
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(os.path.join(base, "py"), os.path.join(tmp, "cifar-10-batches-py"))
        out = {}
        norm = T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
        for train in [True, False]:
            ds = torchvision.datasets.CIFAR10(tmp, train=train, transform=T.ToTensor())
            dsn = torchvision.datasets.CIFAR10(tmp, train=train, transform=T.Compose([T.ToTensor(), norm]))
            picks = [0, len(ds) - 1]
            out["train" if train else "test"] = {
                "count": len(ds),
                "classes": ds.classes,
                "targets": list(ds.targets),
                "picks": picks,
                "plain": [digest(ds[k][0]) for k in picks],
                "normalized": [digest(dsn[k][0]) for k in picks],
                "hwc_first": fnv1a64(ds.data[0].tobytes()),
            }
    expected["cifar"] = out


if __name__ == "__main__":
    image_folder()
    mnist_files()
    cifar_files()
    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    keep = path(".keep")
    if os.path.exists(keep):
        os.remove(keep)
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"wrote {OUT} ({total / 1024:.0f} KB)")
