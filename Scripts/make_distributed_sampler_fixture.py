#!/usr/bin/env python3
"""Writes Tests/DatasetsTests/Fixtures/distributed_sampler.json: the indices torch's
DistributedSampler gives every rank, for DistributedShard's tests (run from the repository root
with a Python that has torch: /tmp/torch-venv/bin/python Scripts/make_distributed_sampler_fixture.py)."""
import json

import torch
from torch.utils.data.distributed import DistributedSampler

cases = []
for count, world, seed, shuffle in [(10, 3, 5, True), (7, 2, 0, True), (3, 4, 11, True), (1000, 2, 42, True),
                                    (10, 3, 0, False), (2, 5, 1, False)]:
    for epoch in (0, 1, 7):
        ranks = []
        for rank in range(world):
            sampler = DistributedSampler(range(count), num_replicas=world, rank=rank, shuffle=shuffle, seed=seed,
                                         drop_last=False)
            sampler.set_epoch(epoch)
            ranks.append(list(sampler))
        cases.append({"count": count, "world_size": world, "seed": seed, "shuffle": shuffle, "epoch": epoch,
                      "torch": torch.__version__, "ranks": ranks})
with open("Tests/DatasetsTests/Fixtures/distributed_sampler.json", "w") as f:
    json.dump(cases, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(cases)} cases")
