#!/usr/bin/env python3
"""Writes the Checkpoints test fixtures (Tests/CheckpointsTests/Fixtures) with PyTorch.

Run with a Python that has torch, torchvision and safetensors, e.g.
    /tmp/torch-venv/bin/python Scripts/make_checkpoint_fixtures.py

Every file is small (a few KB). `expected.json` lists, per fixture, every tensor the Swift loader
must return, in order: name, original dtype, shape and the values as float32 (row-major).
The `evil_*` files are malicious or corrupt checkpoints the loader must reject; they are built
by hand here (nothing in them is ever unpickled by this script).
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import tarfile
import zipfile

import torch
import torch.nn as nn
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "CheckpointsTests", "Fixtures")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.conv2(x)).mean((2, 3))
        return self.fc(x)


DTYPE_NAMES = {
    torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.float64: "float64", torch.int64: "int64", torch.int32: "int32", torch.int16: "int16",
    torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
}


def describe(sd):
    return [{"name": k, "dtype": DTYPE_NAMES[v.dtype], "shape": list(v.shape),
             "values": [float(x) for x in v.detach().to(torch.float32).reshape(-1).tolist()]}
            for k, v in sd.items()]


def trained_model():
    model = SmallCNN()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2)
    model.train()
    for _ in range(2):  # BN running stats and num_batches_tracked move; momentum buffers exist
        loss = model(torch.randn(2, 3, 8, 8)).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model, opt, sched


def main():
    expected = {}
    model, opt, sched = trained_model()

    # The rich state dict: the model's entries plus the awkward cases.
    sd = collections.OrderedDict(model.state_dict())
    sd["extra.transposed"] = sd["fc.weight"].t()  # non-contiguous, shares fc.weight's storage
    sd["extra.half"] = torch.randn(3, 4).half()
    sd["extra.bfloat16"] = torch.randn(2, 3).bfloat16()
    sd["extra.double"] = torch.randn(5, dtype=torch.float64)
    sd["extra.int64"] = torch.tensor([-3, 0, 7, 123456], dtype=torch.int64)
    sd["extra.int32"] = torch.tensor([[1, -2], [3, 4]], dtype=torch.int32)
    sd["extra.uint8"] = torch.tensor([0, 17, 255], dtype=torch.uint8)
    sd["extra.bool"] = torch.tensor([True, False, True])
    sd["extra.offset"] = torch.arange(20, dtype=torch.float32)[5:11].view(2, 3)  # storage offset 5
    sd["extra.strided"] = torch.arange(24, dtype=torch.float32).view(4, 6)[::2, 1::2]  # step slicing
    sd["extra.scalar"] = torch.tensor(3.5)
    sd["extra.empty"] = torch.empty(0, 3)
    assert not sd["extra.transposed"].is_contiguous() and not sd["extra.strided"].is_contiguous()

    def save(obj, name, **kw):
        torch.save(obj, os.path.join(OUT, name), **kw)
        torch.load(os.path.join(OUT, name), weights_only=True)  # must be a weights_only-clean file

    save(sd, "cnn_zip.pth")
    expected["cnn_zip.pth"] = describe(sd)
    save(sd, "cnn_legacy.pth", _use_new_zipfile_serialization=False)
    expected["cnn_legacy.pth"] = describe(sd)

    # A training checkpoint as torchvision's references write it (minus `args`, a Namespace).
    plain = model.state_dict()
    save({"model": plain, "optimizer": opt.state_dict(), "lr_scheduler": sched.state_dict(), "epoch": 2},
         "train_checkpoint.pth")
    expected["train_checkpoint.pth"] = describe(plain)

    # DataParallel: every key prefixed by `module.`, inside a {"state_dict": ...} wrapper.
    dp = nn.DataParallel(model).state_dict()
    assert all(k.startswith("module.") for k in dp)
    save({"state_dict": dp, "epoch": 7}, "dataparallel.pth", _use_new_zipfile_serialization=False)
    expected["dataparallel.pth"] = describe(plain)

    # safetensors from the reference package (contiguous, unshared tensors only).
    st = collections.OrderedDict((k, v.contiguous().clone()) for k, v in sd.items() if k != "extra.bool")
    st["extra.bool"] = sd["extra.bool"]
    meta = {"architecture": "smallcnn", "num_classes": "5", "format": "pt"}
    save_file(st, os.path.join(OUT, "cnn.safetensors"), metadata=meta)
    # The reference writer sorts by dtype alignment then name; file order is the data order.
    from safetensors import safe_open
    with open(os.path.join(OUT, "cnn.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    names = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])
    expected["cnn.safetensors"] = describe(collections.OrderedDict((k, st[k]) for k in names))
    expected["cnn.safetensors.metadata"] = meta

    # The legacy zip wrapper (torch.hub's _legacy_zip_load): one member, itself a checkpoint.
    with zipfile.ZipFile(os.path.join(OUT, "legacy_wrapper_stored.zip"), "w", zipfile.ZIP_STORED) as z:
        z.write(os.path.join(OUT, "cnn_legacy.pth"), "cnn_legacy.pth")
    expected["legacy_wrapper_stored.zip"] = describe(sd)
    with zipfile.ZipFile(os.path.join(OUT, "legacy_wrapper_deflated.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.write(os.path.join(OUT, "cnn_legacy.pth"), "cnn_legacy.pth")
    expected["legacy_wrapper_deflated.zip"] = describe(sd)

    write_tar(plain, os.path.join(OUT, "cnn_tar.pth"))
    expected["cnn_tar.pth"] = describe(plain)

    write_evil_files()

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=0)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}")


def write_tar(sd, path):
    """The pre-0.4 tar format (`storages`, `tensors`, `pickle`, `sys_info`), which torch.save can no
    longer write, built member by member the way serialization.py's legacy_load reads it."""
    storages, tensors = io.BytesIO(), io.BytesIO()
    items = list(sd.items())
    pickle.dump(len(items), storages, protocol=2)
    for i, (_, t) in enumerate(items):
        storage_type = {torch.float32: torch.FloatStorage, torch.int64: torch.LongStorage}[t.dtype]
        pickle.dump((str(100 + i), "cpu", storage_type), storages, protocol=2)
        flat = t.contiguous().reshape(-1)
        storages.write(struct.pack("<q", flat.numel()))
        storages.write(flat.numpy().tobytes())
    pickle.dump([], storages, protocol=2)  # storage views
    pickle.dump(len(items), tensors, protocol=2)
    for i, (_, t) in enumerate(items):
        tensor_type = {torch.float32: torch.FloatTensor, torch.int64: torch.LongTensor}[t.dtype]
        pickle.dump((str(200 + i), str(100 + i), tensor_type), tensors, protocol=2)
        strides = t.contiguous().stride()
        tensors.write(struct.pack("<i", t.dim()) + b"\0\0\0\0")
        tensors.write(struct.pack(f"<{t.dim()}q", *t.shape) + struct.pack(f"<{t.dim()}q", *strides))
        tensors.write(struct.pack("<q", 0))

    class Ref:
        def __init__(self, key):
            self.key = key

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            return obj.key if isinstance(obj, Ref) else None

    obj = collections.OrderedDict((k, Ref(str(200 + i))) for i, (k, _) in enumerate(items))
    pk = io.BytesIO()
    P(pk, protocol=2).dump(obj)
    sys_info = pickle.dumps({"protocol_version": 1000, "little_endian": True,
                             "type_sizes": {"short": 2, "int": 4, "long": 8}}, protocol=2)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [("sys_info", sys_info), ("pickle", pk.getvalue()),
                           ("tensors", tensors.getvalue()), ("storages", storages.getvalue())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def torch_zip(path, data_pkl, records=()):
    """A zip laid out like torch.save's: archive/data.pkl, archive/byteorder, archive/data/<key>."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/byteorder", "little")
        for key, data in records:
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/version", "3\n")


def write_evil_files():
    """Malicious pickles, assembled from raw opcodes (this script never unpickles them)."""
    proto = b"\x80\x02"

    def s(text):  # BINUNICODE
        b = text.encode()
        return b"X" + struct.pack("<I", len(b)) + b

    # 1. GLOBAL posix.system (os.system) + REDUCE.
    torch_zip(os.path.join(OUT, "evil_os_system.pth"),
              proto + b"cposix\nsystem\n" + s("touch /tmp/swiftvision_pwned") + b"\x85R.")
    # 2. builtins.eval.
    torch_zip(os.path.join(OUT, "evil_eval.pth"),
              proto + b"cbuiltins\neval\n" + s("__import__('os').system('touch /tmp/swiftvision_pwned')") + b"\x85R.")
    # 3. The pickle an arbitrary class's __reduce__ produces: its class, NEWOBJ, BUILD.
    torch_zip(os.path.join(OUT, "evil_reduce_class.pth"),
              proto + b"c__main__\nExploit\n)\x81}" + s("cmd") + s("id") + b"sb.")
    # 4. A legacy-format file whose one storage claims 2**40 floats; the file holds 16 bytes.
    legacy = io.BytesIO()
    pickle.dump(0x1950A86A20F9469CFC6C, legacy, protocol=2)
    pickle.dump(1001, legacy, protocol=2)
    pickle.dump({"protocol_version": 1001, "little_endian": True,
                 "type_sizes": {"short": 2, "int": 4, "long": 4}}, legacy, protocol=2)
    n = 1 << 40
    pid = b"(" + s("storage") + b"ctorch\nFloatStorage\n" + s("0") + s("cpu") + b"\x8a\x06" + n.to_bytes(6, "little") + b"Nt"
    obj = (proto + b"ccollections\nOrderedDict\n)R" + s("w")
           + b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"Q" + b"K\x00" + b"\x8a\x06" + n.to_bytes(6, "little") + b"\x85"
           + b"K\x01\x85" + b"\x89" + b"ccollections\nOrderedDict\n)R" + b"tR" + b"s.")
    legacy.write(obj)
    pickle.dump(["0"], legacy, protocol=2)
    legacy.write(struct.pack("<q", n) + b"\0" * 16)
    with open(os.path.join(OUT, "evil_big_storage.pth"), "wb") as f:
        f.write(legacy.getvalue())


if __name__ == "__main__":
    sys.exit(main())
