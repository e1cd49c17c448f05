"""PyTorch reference of micflow's gated CRF loss row, for `npm run bench -- --rows gatedcrf --vs-torch`.

Computes the gated CRF loss (Potts model; Obukhov et al., arXiv:1906.04651) the way PyMIC's GatedCRFLoss
(pymic/loss/seg/gatedcrf.py) does after the authors' code: the zero-padded feature and probability maps are unfolded
(F.unfold) into pair tensors [N, C, (2r+1)^2, H, W], each kernel is a Gaussian of the feature differences (xy mesh
divided by the xy bandwidth, image divided by the intensity bandwidth), the gate multiplies the pair weights as source
(unfolded) and destination masks, and the loss is (sum K - sum K p_i p_j) / max(sum gate, 1).

One difference from PyMIC, to compute exactly what micflow's gatedCrfLoss defines: pairs whose neighbour lies outside
the image are left out (the pair weights are multiplied by the unfolded all-ones map), where PyMIC keeps them as a
constant through the zero padding. With a gate they are out in both anyway (the unfolded gate is 0 there).

Inputs are drawn from the same 32-bit LCG as bench/gated-crf-row.ts (seeds 1, 2, 3 for logits, image and gate,
channels-last order), so both sides see bit-identical tensors. Times forward + backward (softmax, affinities, loss,
gradient with respect to the logits, loss read back) and prints one JSON line with the median in milliseconds and
the loss value (the bench checks it against micflow's).

    /usr/bin/python3 bench/torch_losses.py --batch 4 --size 64 --classes 5 --radius 5 \
        --kernels '[{"weight":1,"xy":5,"image":0.1},{"weight":1,"xy":3}]' --steps 10 --warmup 2 --threads 1

Uses Debian's python3-torch (apt-get install python3-torch); run with /usr/bin/python3.
"""
import argparse
import json
import resource
import time

import torch
import torch.nn.functional as F

SEEDS = {'logits': 1, 'image': 2, 'mask': 3}


def lcg_uniform(seed, count):
    """As lcgUniform in bench/gated-crf-row.ts: state = 1664525 state + 1013904223 mod 2^32, top 24 bits / 2^24."""
    out = [0.0] * count
    state = seed & 0xFFFFFFFF
    for i in range(count):
        state = (1664525 * state + 1013904223) & 0xFFFFFFFF
        out[i] = (state >> 8) / 16777216.0
    return torch.tensor(out, dtype=torch.float64)


def unfold(maps, radius):
    """[N, C, H, W] -> [N, C, (2r+1)^2, H, W]: every pixel's window of the zero-padded map, offsets row-major."""
    n, c, h, w = maps.shape
    diameter = 2 * radius + 1
    return F.unfold(maps, diameter, padding=radius).view(n, c, diameter * diameter, h, w)


def pair_weights(image, kernels, radius, n, h, w):
    """sum_k weight_k exp(-|f_i - f_j|^2 / 2) per pair, f = (x, y) / xy_k and image / image_k; 0 for j = i and outside."""
    total = None
    for kernel in kernels:
        features = []
        if 'xy' in kernel:
            xs = torch.arange(w, dtype=torch.float32).view(1, 1, 1, w).expand(n, 1, h, w)
            ys = torch.arange(h, dtype=torch.float32).view(1, 1, h, 1).expand(n, 1, h, w)
            features.append(torch.cat([xs, ys], 1) / kernel['xy'])
        if 'image' in kernel:
            features.append(image / kernel['image'])
        features = torch.cat(features, 1)
        difference = unfold(features, radius) - features.unsqueeze(2)
        term = kernel['weight'] * torch.exp(-0.5 * (difference ** 2).sum(1, keepdim=True))
        total = term if total is None else total + term
    inside = unfold(torch.ones(1, 1, h, w), radius)
    inside[:, :, (2 * radius + 1) ** 2 // 2] = 0
    return total * inside


def gated_crf_loss(logits, image, mask, kernels, radius):
    n, _, h, w = logits.shape
    p = torch.softmax(logits, 1)
    weights = pair_weights(image, kernels, radius, n, h, w)
    weights = weights * unfold(mask, radius) * mask.unsqueeze(2)
    denominator = mask.sum().clamp(min=1)
    agreement = (weights * unfold(p, radius) * p.unsqueeze(2)).sum()
    return (weights.sum() - agreement) / denominator


def median(values):
    """The middle value, the upper middle of an even count (as bench-report.ts's median)."""
    return sorted(values)[len(values) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--classes', type=int, default=5)
    parser.add_argument('--radius', type=int, default=5)
    parser.add_argument('--kernels', default='[{"weight": 1, "xy": 5, "image": 0.1}, {"weight": 1, "xy": 3}]')
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    kernels = json.loads(args.kernels)
    n, s, c = args.batch, args.size, args.classes
    pixels = n * s * s
    # Channels-last draws as on the micflow side, then NCHW.
    logits = (6 * lcg_uniform(SEEDS['logits'], pixels * c) - 3).float().view(n, s, s, c).permute(0, 3, 1, 2).contiguous()
    image = lcg_uniform(SEEDS['image'], pixels).float().view(n, 1, s, s)
    mask = (lcg_uniform(SEEDS['mask'], pixels) < 0.5).float().view(n, 1, s, s)
    logits.requires_grad_(True)
    times = []
    loss_value = float('nan')
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        logits.grad = None
        loss = gated_crf_loss(logits, image, mask, kernels, args.radius)
        loss.backward()
        loss_value = loss.item()
        if step >= args.warmup:
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({
        'framework': f'pytorch {torch.__version__}',
        'threads': torch.get_num_threads(),
        'stepMs': median(times),
        'stepMsAll': times,
        'loss': loss_value,
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == '__main__':
    main()
