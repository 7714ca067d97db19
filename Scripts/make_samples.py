#!/usr/bin/env python3
"""Writes Datasets/samples/*.jpg from scikit-image's bundled photos (see Datasets/samples/README.md).

Run once: /tmp/torch-venv/bin/python Scripts/make_samples.py   (needs scikit-image and Pillow)
"""
import os
from PIL import Image
import skimage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Datasets", "samples")
DATA = os.path.join(os.path.dirname(skimage.__file__), "data")
os.makedirs(OUT, exist_ok=True)
for name in ("astronaut", "chelsea", "coffee"):
    im = Image.open(os.path.join(DATA, name + ".png")).convert("RGB")
    im.save(os.path.join(OUT, name + ".jpg"), "JPEG", quality=90)
    print(name, im.size, os.path.getsize(os.path.join(OUT, name + ".jpg")))
