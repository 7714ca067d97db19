#!/usr/bin/env python3
"""Writes the ImageIO/Transforms test fixtures with Pillow and torchvision (the reference).

Run:  /tmp/torch-venv/bin/python Scripts/make_image_fixtures.py
Needs Pillow, numpy, torch, torchvision (and scikit-image once, to refresh Datasets/samples).
Outputs (all small): png/ and jpeg/ (decoder references) go to Tests/ImageIOTests/Fixtures/, the
transform references to Tests/TransformsTests/Fixtures/ (with a copy of png/rgba8.png, which the
preset tests also read); each folder gets the manifest keys of its files:
  png/*.png           synthetic PNGs of every colour type and bit depth (written by hand, not Pillow,
                      so 16-bit, 2-bit, tRNS, Adam7 and gAMA cases are exactly controlled)
  png/*.{rgb,l,rgba}  Pillow's convert("RGB"/"L"/"RGBA") of each, raw HWC uint8
  jpeg/*.jpg          JPEGs Pillow wrote (RGB 4:2:0/4:4:4, progressive, gray, CMYK, EXIF orientations)
  jpeg/*.rgb          Pillow's decoded convert("RGB") (and *.transposed.rgb after exif_transpose)
  resize/*            a source crop and Pillow's resize() for nearest/bilinear/bicubic at odd sizes
  geometry/*          torchvision F.resize/center_crop/pad/flips/grayscale of resize/source.png
  color/*             F.adjust_brightness/contrast/saturation/hue, gaussian_blur, rotate (nearest/bilinear/bicubic)
  autoaugment/*       torchvision's autoaugment._apply_op for every TrivialAugmentWide operation
  grid/*              torchvision.utils.make_grid of a random batch (float32 little-endian)
  preset/*            torchvision's ImageNet preset of each Datasets/samples photo: the 8-bit crop as
                      PNG plus sampled values and sums of the normalised tensor
  manifest.json       what each file is
"""
import io, json, os, struct, sys, zlib
import numpy as np
from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGEIO_OUT = os.path.join(ROOT, "Tests", "ImageIOTests", "Fixtures")
TRANSFORMS_OUT = os.path.join(ROOT, "Tests", "TransformsTests", "Fixtures")
DECODER_KEYS = ("png", "jpeg")
SAMPLES = os.path.join(ROOT, "Datasets", "samples")
rng = np.random.RandomState(1234)
manifest = {"png": [], "jpeg": [], "resize": [], "preset": [], "geometry": [], "color": [], "grid": [], "autoaugment": []}


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def out_dir(rel):
    """The fixture folder of a file: ImageIOTests for decoder references, TransformsTests else."""
    return IMAGEIO_OUT if rel.split("/")[0] in DECODER_KEYS else TRANSFORMS_OUT


def save(rel, data):
    path = os.path.join(out_dir(rel), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- PNG written by hand
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


def pack_rows(arr, depth):
    rows = []
    for v in arr:
        if depth == 16:
            rows.append(v.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(v.astype(np.uint8).tobytes())
        else:
            per = 8 // depth
            b = bytearray((len(v) + per - 1) // per)
            for i, s in enumerate(v):
                b[i // per] |= int(s) << (8 - depth * (i % per + 1))
            rows.append(bytes(b))
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_bytes(samples, w, h, spp, depth, ctype, plte=None, trns=None, interlace=False, gama=None):
    """samples: (h, w*spp) ints."""
    if interlace:
        raw = b""
        a = samples.reshape(h, w, spp)
        for x0, y0, dx, dy in ADAM7:
            sub = a[y0::dy, x0::dx]
            if sub.size == 0:
                continue
            raw += b"".join(b"\x00" + r for r in pack_rows(sub.reshape(sub.shape[0], -1), depth))
    else:
        raw = b"".join(b"\x00" + r for r in pack_rows(samples, depth))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 1 if interlace else 0))
    if gama is not None:
        out += chunk(b"gAMA", struct.pack(">I", gama))
    if plte is not None:
        out += chunk(b"PLTE", plte)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def make_pngs():
    w, h = 13, 7
    cases = []
    for depth in (1, 2, 4, 8, 16):
        s = rng.randint(0, 1 << depth, (h, w))
        if depth == 16:  # make sure both small (<256) and large values occur
            s[0, :6] = [0, 1, 255, 256, 1000, 65535]
        cases.append((f"gray{depth}", s, 1, depth, 0, {}))
    cases.append(("gray8_trns", rng.randint(0, 256, (h, w)), 1, 8, 0, {"trns": struct.pack(">H", 77)}))
    for depth in (8, 16):
        cases.append((f"graya{depth}", rng.randint(0, 1 << depth, (h, w * 2)), 2, depth, 4, {}))
        cases.append((f"rgb{depth}", rng.randint(0, 1 << depth, (h, w * 3)), 3, depth, 2, {}))
        cases.append((f"rgba{depth}", rng.randint(0, 1 << depth, (h, w * 4)), 4, depth, 6, {}))
    cases.append(("rgb8_trns", rng.randint(0, 256, (h, w * 3)), 3, 8, 2, {"trns": struct.pack(">HHH", 10, 20, 30)}))
    cases.append(("rgb8_gama", rng.randint(0, 256, (h, w * 3)), 3, 8, 2, {"gama": 100000}))
    cases.append(("rgb8_adam7", rng.randint(0, 256, (h, w * 3)), 3, 8, 2, {"interlace": True}))
    cases.append(("rgba16_adam7", rng.randint(0, 65536, (h, w * 4)), 4, 16, 6, {"interlace": True}))
    for depth in (1, 2, 4, 8):
        n = 1 << depth
        plte = rng.randint(0, 256, n * 3).astype(np.uint8).tobytes()
        extra = {"plte": plte}
        if depth in (4, 8):
            extra["trns"] = rng.randint(0, 256, n // 2).astype(np.uint8).tobytes()
        cases.append((f"palette{depth}" + ("_trns" if "trns" in extra else ""), rng.randint(0, n, (h, w)), 1, depth, 3, extra))
    cases.append(("palette4_adam7", rng.randint(0, 16, (h, w)), 1, 4, 3,
                  {"plte": rng.randint(0, 256, 48).astype(np.uint8).tobytes(), "interlace": True}))
    for name, s, spp, depth, ctype, extra in cases:
        data = png_bytes(s, w, h, spp, depth, ctype, **extra)
        save(f"png/{name}.png", data)
        im = Image.open(io.BytesIO(data))
        entry = {"name": name, "width": w, "height": h, "pillowMode": im.mode}
        for mode, ext in (("RGB", "rgb"), ("L", "l"), ("RGBA", "rgba")):
            save(f"png/{name}.{ext}", np.asarray(im.convert(mode)).tobytes())
        manifest["png"].append(entry)


# ---------------------------------------------------------------- JPEG written by Pillow
def make_jpegs():
    photo = Image.open(os.path.join(SAMPLES, "chelsea.jpg")).convert("RGB")
    crop = photo.crop((120, 60, 120 + 75, 60 + 53))  # odd size: partial MCUs
    variants = [
        ("rgb420_q90", crop, dict(quality=90)),
        ("rgb444_q95", crop, dict(quality=95, subsampling=0)),
        ("rgb422_q80", crop, dict(quality=80, subsampling=1)),
        ("progressive", crop, dict(quality=85, progressive=True)),
        ("gray", crop.convert("L"), dict(quality=90)),
        ("cmyk", crop.convert("CMYK"), dict(quality=90)),
    ]
    for orientation in (2, 3, 5, 6, 7, 8):
        exif = Image.Exif()
        exif[0x0112] = orientation
        variants.append((f"exif{orientation}", crop.crop((0, 0, 31, 20)), dict(quality=90, exif=exif.tobytes())))
    for name, im, kw in variants:
        buf = io.BytesIO()
        im.save(buf, "JPEG", **kw)
        data = buf.getvalue()
        save(f"jpeg/{name}.jpg", data)
        dec = Image.open(io.BytesIO(data))
        entry = {"name": name, "pillowMode": dec.mode, "width": dec.width, "height": dec.height}
        save(f"jpeg/{name}.rgb", np.asarray(dec.convert("RGB")).tobytes())
        save(f"jpeg/{name}.l", np.asarray(dec.convert("L") if dec.mode != "CMYK" else dec.convert("RGB").convert("L")).tobytes())
        if name.startswith("exif"):
            t = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
            entry["orientation"] = int(name[4:])
            entry["transposedWidth"], entry["transposedHeight"] = t.width, t.height
            save(f"jpeg/{name}.transposed.rgb", np.asarray(t).tobytes())
        manifest["jpeg"].append(entry)
    # Full sample photos: checksums of Pillow's decoded pixels (the files are in Datasets/samples).
    for fn in sorted(os.listdir(SAMPLES)):
        if fn.endswith(".jpg"):
            im = Image.open(os.path.join(SAMPLES, fn)).convert("RGB")
            a = np.asarray(im)
            manifest["jpeg"].append({"name": fn, "sample": True, "width": im.width, "height": im.height,
                                     "fnv1a64": fnv1a64(a.tobytes()),
                                     "sum": int(a.astype(np.int64).sum())})


# ---------------------------------------------------------------- Resize
def make_resize():
    photo = Image.open(os.path.join(SAMPLES, "coffee.jpg")).convert("RGB")
    src = photo.crop((200, 100, 200 + 73, 100 + 51))
    save("resize/source.png", _png(src))
    gray = src.convert("L")
    save("resize/source_gray.png", _png(gray))
    # (w, h): down, aspect changes, up, one axis each way, width only, tiny, 2x, and both sides of Pillow 13's
    # pass-order rule (vertical first iff h < H and 2(W - w) < H - h): 65x20 vertical first, 50x20 horizontal first.
    sizes = [(31, 22), (17, 40), (97, 130), (120, 30), (73, 20), (5, 3), (146, 102), (65, 20), (50, 20), (80, 51)]
    filters = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
               "bicubic": Image.Resampling.BICUBIC}
    for fname, f in filters.items():
        for (w, h) in sizes:
            for label, im in (("rgb", src), ("gray", gray)):
                if label == "gray" and (w, h) not in [(31, 22), (97, 130)]:
                    continue
                out = im.resize((w, h), f)
                rel = f"resize/{label}_{fname}_{w}x{h}.bin"
                save(rel, np.asarray(out).tobytes())
                manifest["resize"].append({"source": f"source{'' if label == 'rgb' else '_gray'}.png", "filter": fname,
                                           "width": w, "height": h, "file": rel[len('resize/'):]})


def _png(im):
    b = io.BytesIO()
    im.save(b, "PNG")
    return b.getvalue()


# ---------------------------------------------------------------- geometry transforms (torchvision on PIL)
def make_geometry():
    import torchvision.transforms.v2.functional as F1
    import torchvision.transforms.functional as F
    src = Image.open(io.BytesIO(open(os.path.join(TRANSFORMS_OUT, "resize/source.png"), "rb").read())).convert("RGB")
    cases = [
        ("resize_int_40", lambda im: F.resize(im, 40)),                      # shorter side 40, bilinear
        ("resize_int_40_max45", lambda im: F.resize(im, 40, max_size=45)),
        ("resize_hw_33x21_bicubic", lambda im: F.resize(im, [33, 21], interpolation=F.InterpolationMode.BICUBIC)),
        ("center_crop_31x20", lambda im: F.center_crop(im, [20, 31])),
        ("center_crop_pad_60x90", lambda im: F.center_crop(im, [60, 90])),
        ("pad_3_constant", lambda im: F.pad(im, [3, 1, 2, 4], fill=0)),
        ("pad_2_edge", lambda im: F.pad(im, [2], padding_mode="edge")),
        ("pad_2_reflect", lambda im: F.pad(im, [2, 3], padding_mode="reflect")),
        ("pad_2_symmetric", lambda im: F.pad(im, [2, 3], padding_mode="symmetric")),
        ("hflip", F.hflip),
        ("vflip", F.vflip),
        ("grayscale3", lambda im: F.rgb_to_grayscale(im, num_output_channels=3)),
    ]
    for name, fn in cases:
        out = fn(src)
        a = np.asarray(out)
        save(f"geometry/{name}.bin", a.tobytes())
        manifest["geometry"].append({"name": name, "width": out.width, "height": out.height, "channels": a.shape[2] if a.ndim == 3 else 1})


# ---------------------------------------------------------------- colour (torchvision F on PIL) and make_grid
def make_color():
    import torchvision.transforms.functional as F
    src = Image.open(io.BytesIO(open(os.path.join(TRANSFORMS_OUT, "resize/source.png"), "rb").read())).convert("RGB")
    cases = [("brightness", v) for v in (0.6, 1.4)] + [("contrast", v) for v in (0.5, 1.7)] + \
            [("saturation", v) for v in (0.3, 1.8)] + [("hue", v) for v in (-0.3, 0.1, 0.45)] + \
            [("blur5", 1.3), ("blur9", 2.0)] + \
            [(f"rotate_{m}", a) for m in ("nearest", "bilinear", "bicubic") for a in (17.5, -33.0, 90.0, 200.0)]
    for kind, v in cases:
        if kind == "brightness": out = F.adjust_brightness(src, v)
        elif kind == "contrast": out = F.adjust_contrast(src, v)
        elif kind == "saturation": out = F.adjust_saturation(src, v)
        elif kind == "hue": out = F.adjust_hue(src, v)
        elif kind.startswith("rotate"):
            mode = {"nearest": F.InterpolationMode.NEAREST, "bilinear": F.InterpolationMode.BILINEAR,
                    "bicubic": F.InterpolationMode.BICUBIC}[kind[7:]]
            out = F.rotate(src, v, interpolation=mode)
        else: out = F.gaussian_blur(src, [int(kind[4:])] * 2, [v, v])
        name = f"{kind}_{v}"
        save(f"color/{name}.bin", np.asarray(out).tobytes())
        manifest["color"].append({"name": name, "kind": kind, "value": v})


def make_autoaugment():
    import torch
    from torchvision.transforms import autoaugment as AA
    src = Image.open(io.BytesIO(open(os.path.join(TRANSFORMS_OUT, "resize/source.png"), "rb").read())).convert("RGB")
    cases = [("Identity", 0.0), ("ShearX", 0.3), ("ShearX", -0.66), ("ShearY", 0.5), ("TranslateX", 12.0),
             ("TranslateY", -7.0), ("Rotate", 40.5), ("Brightness", -0.4), ("Color", 0.7), ("Contrast", 0.5),
             ("Sharpness", 0.8), ("Sharpness", -0.9), ("Posterize", 3.0), ("Solarize", 119.0), ("AutoContrast", 0.0),
             ("Equalize", 0.0)]
    dark = src.point(lambda v: v // 3 + 40)  # narrow range so autocontrast/equalize do something
    save("autoaugment/dark.png", _png(dark))
    for op, mag in cases:
        for label, im in (("src", src), ("dark", dark)):
            out = AA._apply_op(im, op, mag, interpolation=AA.InterpolationMode.NEAREST, fill=None)
            name = f"{op}_{mag}_{label}"
            save(f"autoaugment/{name}.bin", np.asarray(out).tobytes())
            manifest["autoaugment"].append({"name": name, "op": op, "magnitude": mag, "source": label})
    t = AA.TrivialAugmentWide()
    manifest["trivialAugmentMagnitudes"] = {k: ([float(x) for x in v[0].flatten()] if v[0].ndim > 0 else [], bool(v[1]))
                                            for k, v in t._augmentation_space(31).items()}


def make_grid():
    import torch
    from torchvision.utils import make_grid as mg
    g = torch.Generator().manual_seed(0)
    batch = torch.randn(5, 3, 6, 7, generator=g)
    cases = [("default", dict()), ("nrow2_pad1_norm", dict(nrow=2, padding=1, normalize=True)),
             ("scale_each_range", dict(nrow=3, normalize=True, value_range=(-1.0, 1.0), scale_each=True, pad_value=0.5))]
    save("grid/batch.f32", batch.numpy().astype("<f4").tobytes())
    for name, kw in cases:
        out = mg(batch, **kw)
        save(f"grid/{name}.f32", out.numpy().astype("<f4").tobytes())
        manifest["grid"].append({"name": name, "shape": list(out.shape), **{k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}})


# ---------------------------------------------------------------- ImageNet preset
def make_preset():
    import torch
    import torchvision.transforms as T
    for fn in sorted(os.listdir(SAMPLES)):
        if not fn.endswith(".jpg"):
            continue
        im = Image.open(os.path.join(SAMPLES, fn)).convert("RGB")
        resize = T.Resize(256, interpolation=T.InterpolationMode.BILINEAR, antialias=True)
        crop = T.CenterCrop(224)
        cropped = crop(resize(im))
        full = T.Compose([resize, crop, T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])(im)
        name = fn[:-4]
        save(f"preset/{name}_crop.png", _png(cropped))
        idx = np.random.RandomState(7).randint(0, full.numel(), 200)
        flat = full.flatten().numpy()
        manifest["preset"].append({"name": fn, "shape": list(full.shape), "indices": idx.tolist(),
                                   "values": [float(v) for v in flat[idx]],
                                   "channelSums": [float(full[c].double().sum()) for c in range(3)]})


if __name__ == "__main__":
    for out in (IMAGEIO_OUT, TRANSFORMS_OUT):
        os.makedirs(out, exist_ok=True)
    make_pngs()
    make_jpegs()
    make_resize()
    make_geometry()
    make_color()
    make_grid()
    make_autoaugment()
    make_preset()
    os.makedirs(os.path.join(TRANSFORMS_OUT, "png"), exist_ok=True)
    with open(os.path.join(IMAGEIO_OUT, "png/rgba8.png"), "rb") as src, \
            open(os.path.join(TRANSFORMS_OUT, "png/rgba8.png"), "wb") as dst:
        dst.write(src.read())
    for out, keys in ((IMAGEIO_OUT, [k for k in manifest if k in DECODER_KEYS]),
                      (TRANSFORMS_OUT, [k for k in manifest if k not in DECODER_KEYS])):
        with open(os.path.join(out, "manifest.json"), "w") as f:
            json.dump({k: manifest[k] for k in keys}, f, indent=1)
        total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
        print(f"fixtures written to {out}: {total / 1024:.0f} KiB")
