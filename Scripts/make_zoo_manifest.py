#!/usr/bin/env python3
"""Writes the model-zoo manifest from torchvision's weight enums, so URLs, hashes, presets and
published metrics are exactly torchvision's:

  Weights/zoo.json                         the manifest (one object per entry)
  Weights/imagenet_categories.txt          torchvision's _IMAGENET_CATEGORIES, one per line
  Sources/Models/Zoo/ZooData+Generated.swift  the same data as Swift literals, so the `vision`
                                           binary needs no resource bundle at run time
                                           (ZooManifestTests checks the two agree)

Entry names: the architecture name for IMAGENET1K_V1 weights, `<arch>_v2` for IMAGENET1K_V2,
`<arch>_swag` for IMAGENET1K_SWAG_E2E_V1 and `<arch>_swag_linear` for IMAGENET1K_SWAG_LINEAR_V1
(regnet_y_16gf/32gf/128gf). googlenet and inception_v3 entries have "transformInput": true, as
torchvision's builders set transform_input when given weights; numParams is torchvision's published
count, that of the model its builder returns (googlenet's without the auxiliary heads it drops).
The sha256 prefix is the hex run after the last '-' of the file name (torchvision's convention).

Run: /tmp/torch-venv/bin/python Scripts/make_zoo_manifest.py
"""
import json
import os
import re

import torchvision.models as tvm
from torchvision.models._meta import _IMAGENET_CATEGORIES

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ARCHITECTURES = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
                 "resnext101_32x8d", "wide_resnet50_2", "wide_resnet101_2", "vgg11", "vgg11_bn", "vgg13",
                 "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "alexnet", "mobilenet_v2",
                 "mobilenet_v3_large", "mobilenet_v3_small", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
                 "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4",
                 "efficientnet_b5", "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_s", "efficientnet_v2_m",
                 "efficientnet_v2_l", "squeezenet1_0", "squeezenet1_1", "densenet121", "densenet161", "densenet169",
                 "densenet201", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
                 "regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf",
                 "regnet_x_16gf", "regnet_x_32gf", "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf",
                 "regnet_y_3_2gf", "regnet_y_8gf", "regnet_y_16gf", "regnet_y_32gf", "convnext_tiny",
                 "convnext_small", "convnext_base", "convnext_large", "googlenet", "inception_v3",
                 "regnet_y_128gf"]
# Enum members listed, and the suffix of their entry names.
MEMBERS = {"IMAGENET1K_V1": "", "IMAGENET1K_V2": "_v2", "IMAGENET1K_SWAG_E2E_V1": "_swag",
           "IMAGENET1K_SWAG_LINEAR_V1": "_swag_linear"}
# Builders that set transform_input=True when given weights (torchvision's googlenet, inception_v3).
TRANSFORM_INPUT = {"googlenet", "inception_v3"}
# torchvision's ImageClassification defaults; an entry's preset overrides them (efficientnet_v2_l: 0.5).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def entries():
    out = []
    for arch in ARCHITECTURES:
        enum = tvm.get_model_weights(arch)
        for member in enum:
            if member.name not in MEMBERS:
                continue  # e.g. vgg16's IMAGENET1K_FEATURES (no classifier)
            file_name = member.url.rsplit("/", 1)[1]
            match = re.search(r"-([0-9a-f]{8,})\.pth$", file_name)
            assert match, file_name
            kw = member.transforms.keywords
            interpolation = kw.get("interpolation")
            metrics = member.meta["_metrics"]["ImageNet-1K"]
            assert member.meta["categories"] == _IMAGENET_CATEGORIES
            out.append({
                "name": arch + MEMBERS[member.name],
                "architecture": arch,
                "weights": f"{enum.__name__}.{member.name}",
                "url": member.url,
                "fileName": file_name,
                "sha256Prefix": match.group(1),
                "resizeSize": kw.get("resize_size", 256),
                "cropSize": kw["crop_size"],
                "interpolation": interpolation.value if interpolation is not None else "bilinear",
                "mean": [float(v) for v in kw.get("mean", IMAGENET_MEAN)],
                "std": [float(v) for v in kw.get("std", IMAGENET_STD)],
                "numClasses": len(member.meta["categories"]),
                "categories": "imagenet-1k",
                "acc1": metrics["acc@1"],
                "acc5": metrics["acc@5"],
                "numParams": member.meta["num_params"],
                **({"transformInput": True} if arch in TRANSFORM_INPUT else {}),
            })
    return out


def swift_normalization(e):
    """The preset's mean/std arguments, only where they differ from ZooPreset's ImageNet defaults."""
    if tuple(e["mean"]) == IMAGENET_MEAN and tuple(e["std"]) == IMAGENET_STD:
        return ""
    values = lambda xs: "[" + ", ".join(repr(x) for x in xs) + "]"
    return f",\n                                    mean: {values(e['mean'])}, std: {values(e['std'])}"


def swift_string(s):
    return json.dumps(s, ensure_ascii=False)


def main():
    items = entries()
    with open(os.path.join(ROOT, "Weights", "zoo.json"), "w") as f:
        json.dump({"source": "torchvision weight enums", "entries": items}, f, indent=1)
        f.write("\n")
    with open(os.path.join(ROOT, "Weights", "imagenet_categories.txt"), "w") as f:
        f.write("\n".join(_IMAGENET_CATEGORIES) + "\n")
    lines = ["// Generated by Scripts/make_zoo_manifest.py from torchvision's weight enums; do not edit.",
             "// The same data is in Weights/zoo.json and Weights/imagenet_categories.txt.", "",
             "extension Zoo {", "    /// Every zoo entry, in manifest order.",
             "    public static let entries: [ZooEntry] = ["]
    for e in items:
        lines.append(
            f"        ZooEntry(name: {swift_string(e['name'])}, architecture: {swift_string(e['architecture'])}, "
            f"weights: {swift_string(e['weights'])},\n"
            f"                 url: {swift_string(e['url'])}, sha256Prefix: {swift_string(e['sha256Prefix'])},\n"
            f"                 preset: ZooPreset(resizeSize: {e['resizeSize']}, cropSize: {e['cropSize']}, "
            f"interpolation: {swift_string(e['interpolation'])}{swift_normalization(e)}),\n"
            f"                 numClasses: {e['numClasses']}, acc1: {e['acc1']}, acc5: {e['acc5']}, "
            f"numParams: {e['numParams']}" + (", transformInput: true" if e.get("transformInput") else "") + "),")
    lines += ["    ]", "",
              "    /// ImageNet-1k class names in index order (torchvision's `_IMAGENET_CATEGORIES`).",
              "    public static let imagenetCategories: [String] = ["]
    for c in _IMAGENET_CATEGORIES:
        lines.append(f"        {swift_string(c)},")
    lines += ["    ]", "}", ""]
    with open(os.path.join(ROOT, "Sources", "Models", "Zoo", "ZooData+Generated.swift"), "w") as f:
        f.write("\n".join(lines))
    print(f"{len(items)} entries, {len(_IMAGENET_CATEGORIES)} categories")


if __name__ == "__main__":
    main()
