#!/usr/bin/env bash
# Data-parallel training speed on this machine: the ResNet-18 training step at a global batch of 32
# on 64×64 images, 1 process × N threads against N processes × 1 thread (mpirun, batch 32/N each),
# alternating, ROUNDS times; prints each run, the medians and the ratio; then the loopback
# all-reduce bandwidth at the gradient's size. Run from the repository root after
# `swift build -c release`. Usage: Scripts/bench_distributed.sh [ROUNDS=3] [N=2]
set -euo pipefail
rounds=${1:-3}
ranks=${2:-2}
vision=.build/release/vision
mpirun=(mpirun --allow-run-as-root --oversubscribe --mca btl_vader_single_copy_mechanism none)
per_rank=$((32 / ranks))
one=() many=() share=()
echo "$($vision bench machine --seconds 0.2 --repeats 2 | head -1)"
for round in $(seq 1 "$rounds"); do
    a=$(VISION_NUM_THREADS=$ranks $vision bench train --cases resnet18:32:3:64 --runs 8 | tail -1)
    b=$(VISION_NUM_THREADS=1 "${mpirun[@]}" -np "$ranks" -x VISION_NUM_THREADS $vision bench train --data-parallel \
        --cases "resnet18:$per_rank:3:64" --runs 8 | tail -1)
    echo "round $round: 1 process × $ranks threads: $a"
    echo "round $round: $ranks processes × 1 thread:  $b"
    one+=("$(sed -E 's/.* ([0-9.]+) img\/s.*/\1/' <<<"$a")")
    many+=("$(sed -E 's/.*ms, +([0-9.]+) img\/s.*/\1/' <<<"$b")")
    share+=("$(sed -E 's/.*\(([0-9.]+)% of the step\).*/\1/' <<<"$b")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int(NR/2)+1]}'; }
m1=$(median "${one[@]}"); m2=$(median "${many[@]}"); ms=$(median "${share[@]}")
echo "median: 1 process × $ranks threads $m1 img/s; $ranks processes × 1 thread $m2 img/s (ratio $(awk -v a="$m2" -v b="$m1" 'BEGIN {printf "%.2f", a / b}')); exposed all-reduce $ms% of the step"
"${mpirun[@]}" -np "$ranks" $vision bench allreduce --sizes 16M,64M --repeats 5
