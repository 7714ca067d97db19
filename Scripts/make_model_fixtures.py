#!/usr/bin/env python3
"""Writes Tests/ModelsTests/Fixtures/: the state-dict key/shape list of every torchvision
architecture SwiftVision builds (architectures.json), and logits of several architectures whose
weights are filled by a closed formula both sides can compute (logits.json), so full-size models
can be compared without committing their weights or sharing a random generator.

Formula (the k-th state-dict entry, element i, s = sin(0.37·i + 1.3·k)):
  rank ≥ 2 weights: s / sqrt(fan_in)        1-D "weight": 1 + 0.1·s      "bias": 0.1·s
  running_mean: 0.1·s    running_var: 0.5 + 0.5·s²    num_batches_tracked: 0
Input element i of the flattened batch: sin(0.1·i).

That "sin" formula attenuates the input: a kernel of sin(0.37·i + φ) summed over a smooth patch is
O(1/√fan_in), so after a few dozen layers the logits are the biases' and BN shifts' (for
convnext_tiny, efficientnet_b0 or squeezenet1_1 a zero input changes them by < 1e-4 of their
scale) and a broken input path would pass. Families listed in CHIRP use the "chirp" formula
instead, recorded as "weights": "chirp" in their logits file: s = sin(0.37·((i² + 3i) mod 10007)
+ 1.3·k) (pseudo-random signs, so sums grow as √fan_in) and rank ≥ 2 weights g·s / sqrt(fan_in)
with a gain g (recorded as "gain", for the file or per case; 2 is He's variance 2 / fan_in); the
rest as above.
write_family checks that the logits of the two images differ by at least 1e-3 of the logit scale
and that float32 is within 1e-5 of float64 (a gain too large makes some models chaotic).

Each family writes its own pair of files (architectures-<family>.json, logits-<family>.json; the
first family writes architectures.json and logits.json), so adding a family leaves the others'
fixtures byte-identical. The tests read every such file.

classify.json (family "classify"): one model per family through the zoo preset of its name on the
sample photos, top-5 probabilities (see write_classify), for ClassifyParityTests.

Run: /tmp/torch-venv/bin/python Scripts/make_model_fixtures.py [FAMILY ...]   (default: all)
"""
import json
import math
import os
import sys

import torch
import torchvision.models as tvm

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ModelsTests", "Fixtures")
# family → (builder names for the key/shape lists, [(builder, input size)] for the logits).
FAMILIES = {
    "": (["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
          "wide_resnet50_2", "wide_resnet101_2", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn",
          "vgg16_bn", "vgg19_bn", "alexnet", "mobilenet_v2"],
         [("resnet18", 64), ("resnet50", 64), ("resnext50_32x4d", 64), ("wide_resnet50_2", 48),
          ("vgg11_bn", 32), ("alexnet", 64), ("mobilenet_v2", 64)]),
    "classic": (["squeezenet1_0", "squeezenet1_1", "densenet121", "densenet161", "densenet169", "densenet201",
                 "googlenet", "inception_v3", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
                 "shufflenet_v2_x2_0"],
                [("squeezenet1_1", 64), ("densenet121", 48), ("googlenet", 64), ("inception_v3", 75),
                 ("shufflenet_v2_x1_0", 64)]),
    "regnext": (["regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf", "regnet_x_16gf",
                 "regnet_x_32gf", "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf",
                 "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf", "convnext_tiny", "convnext_small", "convnext_base",
                 "convnext_large"],
                [("regnet_x_400mf", 64), ("regnet_y_400mf", 64), ("regnet_y_1_6gf", 32), ("convnext_tiny", 32)]),
    "mobile": (["mobilenet_v3_large", "mobilenet_v3_small", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
                "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4",
                "efficientnet_b5", "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_s", "efficientnet_v2_m",
                "efficientnet_v2_l"],
               [("mobilenet_v3_small", 32), ("mobilenet_v3_large", 64), ("mnasnet1_0", 64), ("mnasnet0_5", 32),
                ("efficientnet_b0", 64), ("efficientnet_b3", 32), ("efficientnet_v2_s", 64)]),
}


def _block_params_on_cpu():
    """RegNet's BlockParams.from_init_params computes its widths with tensor ops whose values it
    reads (.tolist()); under the meta device used for the key/shape lists those have no data, so
    the computation runs on the CPU while the model itself stays on meta."""
    from torchvision.models import regnet
    from_init_params = regnet.BlockParams.from_init_params.__func__

    def on_cpu(cls, *args, **kwargs):
        with torch.device("cpu"):
            return from_init_params(cls, *args, **kwargs)
    regnet.BlockParams.from_init_params = classmethod(on_cpu)


_block_params_on_cpu()


# Families whose logits use the "chirp" weight formula, with the gains to try (see the opening
# comment): one gain is recorded for the whole file; with several, each case records the first that
# passes write_family's checks.
CHIRP = {"regnext": [1.5], "mobile": [2.0, 1.75, 1.9, 1.8, 1.85, 1.95, 1.5], "classic": [2.0, 1.75, 1.5]}


def formula_fill(model, weights="sin", gain=1.0):
    sd = model.state_dict()
    for k, (name, t) in enumerate(sd.items()):
        n = t.numel()
        i = torch.arange(n, dtype=torch.int64)
        if weights == "chirp":
            s = torch.sin(0.37 * ((i * i + 3 * i) % 10007).double() + 1.3 * k)
        else:
            s = torch.sin(0.37 * i.double() + 1.3 * k)
        leaf = name.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            v = torch.zeros(n, dtype=torch.float64)
        elif t.dim() >= 2:
            fan_in = t.shape[1] * math.prod(t.shape[2:])
            v = gain * s / math.sqrt(fan_in)
        elif leaf == "weight":
            v = 1 + 0.1 * s
        elif leaf == "running_var":
            v = 0.5 + 0.5 * s * s
        else:  # bias, running_mean
            v = 0.1 * s
        t.copy_(v.reshape(t.shape).to(t.dtype))
    model.load_state_dict(sd)


def formula_model_and_input(name, size, weights="sin", gain=1.0):
    """The builder in eval mode with formula weights, and the formula batch of 2 at size × size."""
    torch.manual_seed(0)
    m = getattr(tvm, name)().eval()
    formula_fill(m, weights, gain)
    n = 2 * 3 * size * size
    return m, torch.sin(0.1 * torch.arange(n, dtype=torch.float64)).float().reshape(2, 3, size, size)


def write_family(family, names, logit_cases):
    suffix = f"-{family}" if family else ""
    archs = {}
    with torch.device("meta"):
        for name in names:
            m = getattr(tvm, name)()
            archs[name] = [[k, list(v.shape)] for k, v in m.state_dict().items()]
    with open(os.path.join(OUT, f"architectures{suffix}.json"), "w") as f:
        json.dump(archs, f, separators=(",", ":"))

    weights, gains = ("chirp", CHIRP[family]) if family in CHIRP else ("sin", [1.0])
    logits = []
    for name, size in logit_cases:
        for gain in gains:
            m, x = formula_model_and_input(name, size, weights, gain)
            with torch.no_grad():
                y = m(x)
            if weights != "chirp":
                break
            # The logits must depend on the input, and float32 must be enough.
            scale = float(y.abs().max())
            spread = float((y[0] - y[1]).abs().max()) / scale
            with torch.no_grad():
                drift = float((m.double()(x.double()) - y.double()).abs().max()) / scale
            if spread >= 1e-3 and drift <= 1e-5:
                break
            print(f"{name}: gain {gain}: the two images' logits differ by {spread:.1e} of their scale, "
                  f"float32 differs from float64 by {drift:.1e}")
        else:
            sys.exit(f"{name}: no gain in {gains} passes")
        case = {"model": name, "inputSize": size}
        if len(gains) > 1:
            case["gain"] = gain
        logits.append({**case, "logits": [float(f"{v:.9g}") for v in y.reshape(-1).tolist()]})
    with open(os.path.join(OUT, f"logits{suffix}.json"), "w") as f:
        record = {"generator": f"torch {torch.__version__}"}
        if weights != "sin":
            record.update(weights=weights, **({"gain": gains[0]} if len(gains) == 1 else {}))
        json.dump({**record, "cases": logits}, f, separators=(",", ":"))


# (builder, input size, {node: output name}) for features.json: torchvision's
# create_feature_extractor outputs with formula weights.
# One builder of each family, its stage outputs by module name (torchvision takes a module's last node).
FEATURE_CASES = [
    ("resnet18", 64, {"layer1": "stage1", "layer3": "stage3", "layer4": "stage4", "avgpool": "pooled"}),
    ("mobilenet_v2", 64, {"features.3": "c3", "features.13": "c13", "features.18": "last"}),
    ("mobilenet_v3_small", 64, {"features.1": "c1", "features.3": "c3", "features.8": "c8", "features.12": "last"}),
    ("squeezenet1_1", 64, {"features.4": "c4", "features.9": "c9", "features.12": "last"}),
    ("densenet121", 64, {"features.denseblock1": "block1", "features.transition2": "transition2",
                         "features.norm5": "norm5"}),
    ("googlenet", 64, {"inception3b": "i3b", "inception4e": "i4e", "inception5b": "i5b"}),
    ("inception_v3", 80, {"Mixed_5d": "m5d", "Mixed_6e": "m6e", "Mixed_7c": "m7c"}),
    ("mnasnet0_5", 64, {"layers.8": "l8", "layers.11": "l11", "layers.16": "last"}),
    ("shufflenet_v2_x0_5", 64, {"stage2": "s2", "stage3": "s3", "stage4": "s4", "conv5": "c5"}),
    ("efficientnet_b0", 64, {"features.2": "f2", "features.5": "f5", "features.8": "last"}),
    ("regnet_y_400mf", 64, {"stem": "stem", "trunk_output.block2": "b2", "trunk_output.block4": "b4"}),
    ("convnext_tiny", 64, {"features.1": "s1", "features.5": "s3", "features.7": "s4", "avgpool": "pooled"}),
]


def write_features():
    from torchvision.models.feature_extraction import create_feature_extractor
    cases = []
    for name, size, nodes in FEATURE_CASES:
        m, x = formula_model_and_input(name, size)
        with torch.no_grad():
            out = create_feature_extractor(m, return_nodes=nodes)(x)
        for node, key in nodes.items():
            t = out[key].double()
            flat = t.reshape(-1)
            picks = sorted({(j * flat.numel()) // 64 for j in range(min(flat.numel(), 64))})  # spread over the map
            cases.append({"model": name, "inputSize": size, "node": node, "name": key, "shape": list(t.shape),
                          "indices": picks, "values": [float(f"{flat[i].item():.9g}") for i in picks],
                          "sum": float(t.sum()), "absSum": float(t.abs().sum())})
    with open(os.path.join(OUT, "features.json"), "w") as f:
        json.dump({"generator": f"torch {torch.__version__}", "cases": cases}, f, separators=(",", ":"))


def state_summary(model):
    """Samples (16 evenly spaced elements), sum and sum of |x| of every state-dict entry."""
    entries = []
    for name, t in model.state_dict().items():
        flat = t.double().reshape(-1)
        n = flat.numel()
        picks = sorted({(j * n) // 16 for j in range(min(n, 16))})
        entries.append({"key": name, "indices": picks, "values": [float(f"{flat[i].item():.9g}") for i in picks],
                        "sum": float(flat.sum()), "absSum": float(flat.abs().sum())})
    return entries


def lcg_batch(count, size, offset):
    """A batch both sides compute exactly: element i is ((i·1103515245 + 12345 + 7919·offset)
    mod 2³¹) / 2³¹ − 0.5, in float32."""
    i = torch.arange(count * 3 * size * size, dtype=torch.int64)
    v = (i * 1103515245 + 12345 + offset * 7919) % (2 ** 31)
    return (v.double() / 2 ** 31 - 0.5).float().reshape(count, 3, size, size)


def write_training():
    """mobilenet_v2_training.json: a reduced MobileNetV2 (width 0.5, 10 classes, no dropout, so the
    only random draws are the initialisation's) built right after torch.manual_seed(0), its
    initial state, then three SGD steps (momentum, weight decay, lr 1) with BatchNorm in eval mode
    (frozen statistics, as when fine-tuning with frozen BN) on LCG batches: the loss of each step,
    the state after them and the logits of a fixed batch afterwards.
    Why eval-mode BN: with batch statistics over 8 images at MobileNet's 1×1 late maps the run is
    so ill-conditioned that PyTorch's own float32 and float64 runs differ by percents after three
    steps, so no float32 code could match within 1e-4; with frozen statistics they agree to 2e-4
    of the update itself, which is what the test checks (updates within 1e-2, parameters within
    1e-4)."""
    size, batch, lr = 32, 8, 1.0
    torch.manual_seed(0)
    m = tvm.mobilenet_v2(num_classes=10, width_mult=0.5, dropout=0.0)
    initial = state_summary(m)
    m.eval()
    opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    losses = []
    for step in range(3):
        y = torch.tensor([(i + step) % 10 for i in range(batch)])
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(m(lcg_batch(batch, size, step)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    trained = state_summary(m)
    with torch.no_grad():
        logits = m(lcg_batch(2, size, 7))
    with open(os.path.join(OUT, "mobilenet_v2_training.json"), "w") as f:
        json.dump({"generator": f"torch {torch.__version__}", "seed": 0, "widthMult": 0.5, "numClasses": 10,
                   "inputSize": size, "batchSize": batch, "lr": lr, "momentum": 0.9, "weightDecay": 1e-4,
                   "initial": initial, "losses": [float(f"{v:.9g}") for v in losses], "entries": trained,
                   "logits": [float(f"{v:.9g}") for v in logits.reshape(-1).tolist()]}, f, separators=(",", ":"))


# classify.json: one model per family end to end as `vision classify --model NAME --weights FILE`
# runs it: chirp weights, the classifier (the state dict's last weight and bias) scaled by 2^-e so
# the logits' standard deviation is 1–2 (softmax neither flat nor one-hot), the zoo's V1 preset of NAME
# (torchvision's weights.transforms()) on Datasets/samples/*.jpg, softmax top-5. The gain is the
# first of CLASSIFY_GAINS for which float32 is enough (within 1e-5 of float64), the preset matters
# (ImageNet's other preset moves a probability by 1e-3 or more) and the top 6 logits of each image
# are 1e-3 or more apart (so the order is not float noise).
CLASSIFY_CASES = ["mobilenet_v3_small", "mnasnet0_5", "efficientnet_b0", "squeezenet1_1", "densenet121",
                  "shufflenet_v2_x0_5", "regnet_y_400mf", "convnext_tiny", "googlenet", "inception_v3"]
# Built as torchvision's builders build them when given the zoo's weights (the test loads these by
# zoo name, which must turn transform_input on).
TRANSFORM_INPUT = {"googlenet", "inception_v3"}
CLASSIFY_GAINS = [1.5, 1.75, 2.0]


def classify_case(name, gain, pictures):
    """(record without images, probabilities [N, 1000]) or a string saying why this gain fails."""
    from torchvision.transforms import InterpolationMode
    torch.manual_seed(0)
    m = getattr(tvm, name)(**({"transform_input": True} if name in TRANSFORM_INPUT else {})).eval()
    formula_fill(m, "chirp", gain)
    weights = tvm.get_model_weights(name).IMAGENET1K_V1
    tf = weights.transforms()
    x = torch.stack([tf(p) for p in pictures])
    with torch.no_grad():
        raw = m(x)
        spread = float(raw.std(1).mean())
        if not math.isfinite(spread) or spread == 0:
            return f"logit standard deviation {spread}"
        e = math.floor(math.log2(spread))  # a standard deviation of 1..2 after × 2^-e
        sd = m.state_dict()
        for key in list(sd)[-2:]:
            sd[key].mul_(2.0 ** -e)  # exact: a power of two
        logits = m(x)
        probabilities = logits.softmax(1)
        drift = float((m.double()(x.double()).softmax(1) - probabilities.double()).abs().max())
        m.float()
        if drift > 1e-5:
            return f"float32 differs from float64 by {drift:.1e}"
        default = (tf.resize_size, tf.interpolation) == ([256], InterpolationMode.BILINEAR)
        other = type(tf)(crop_size=tf.crop_size[0], resize_size=232 if default else 256)
        moved = float((m(torch.stack([other(p) for p in pictures])).softmax(1) - probabilities).abs().max())
        if moved < 1e-3:
            return f"another preset moves the probabilities by only {moved:.1e}"
        if name in TRANSFORM_INPUT:  # and transform_input must matter
            m.transform_input = False
            off = float((m(x).softmax(1) - probabilities).abs().max())
            m.transform_input = True
            if off < 1e-3:
                return f"transform_input off moves the probabilities by only {off:.1e}"
    for row in logits:
        v = row.topk(6).values
        if float((v[:-1] - v[1:]).min()) < 1e-3:
            return f"a near tie in the top 6 logits: {v.tolist()}"
    return {"model": name, "weights": f"{type(weights).__name__}.{weights.name}", "gain": gain,
            "resizeSize": tf.resize_size[0], "cropSize": tf.crop_size[0], "interpolation": tf.interpolation.value,
            "classifierScaleLog2": -e, "presetSensitivity": float(f"{moved:.3g}"),
            "transformInput": name in TRANSFORM_INPUT}, probabilities


def write_classify():
    import glob
    from PIL import Image
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    images = sorted(glob.glob(os.path.join(root, "Datasets", "samples", "*.jpg")))
    pictures = [Image.open(i).convert("RGB") for i in images]
    cases = []
    for name in CLASSIFY_CASES:
        for gain in CLASSIFY_GAINS:
            result = classify_case(name, gain, pictures)
            if not isinstance(result, str):
                break
            print(f"{name}: gain {gain}: {result}")
        else:
            sys.exit(f"{name}: no gain in {CLASSIFY_GAINS} works")
        record, probabilities = result
        record["top"] = []
        for path, row in zip(images, probabilities):
            v, i = row.topk(5)
            record["top"].append({"image": os.path.relpath(path, root), "indices": i.tolist(),
                                  "probabilities": [float(f"{t:.9g}") for t in v.tolist()]})
        print(f"{name}: {record['weights']}, gain {record['gain']}, classifier × 2^{record['classifierScaleLog2']}, "
              f"the other preset moves p by {record['presetSensitivity']}, top-1 p "
              f"{[t['probabilities'][0] for t in record['top']]}")
        cases.append(record)
    with open(os.path.join(OUT, "classify.json"), "w") as f:
        json.dump({"generator": f"torch {torch.__version__}", "weights": "chirp", "cases": cases}, f,
                  separators=(",", ":"))


def main():
    os.makedirs(OUT, exist_ok=True)
    families = sys.argv[1:] or list(FAMILIES) + ["features", "training", "classify"]
    for family in families:
        if family in ("features", "training", "classify"):
            {"features": write_features, "training": write_training, "classify": write_classify}[family]()
            continue
        names, logit_cases = FAMILIES["" if family == "base" else family]
        write_family("" if family == "base" else family, names, logit_cases)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
