"""PyTorch twin of micflow's UNet2D and UNet3D benchmark rows, for `npm run bench -- --vs-torch`.

Builds PyMIC's UNet2D (pymic/net/net2d/unet2d.py) or UNet3D (pymic/net/net3d/unet3d.py): ConvBlock = conv3x3(x3)
-> BN -> LeakyReLU(0.01) -> Dropout(p) -> conv3x3(x3) -> BN -> LeakyReLU; 2x2(x2) max-pool down; 1x1(x1) conv +
bilinear / trilinear x2 (align_corners=True) up; concat [skip, up]; decoder blocks without dropout; 1x1(x1) output
conv. Trains it with soft Dice (whole batch as one volume per class, smooth 1e-5) + cross-entropy and Adam (lr 1e-3)
on random data, then times eval-mode inference of one image under no_grad, and prints one JSON line with the median
times in milliseconds and the number of trainable parameters (the bench refuses a ratio when it differs from
micflow's).

    /usr/bin/python3 bench/torch_unet.py --dims 2 --batch 4 --size 256 --features 16,32,64,128,256 \
        --dropout 0.05,0.1,0.2,0.3,0.5 --steps 10 --warmup 2 --threads 2

Uses Debian's python3-torch (apt-get install python3-torch); run with /usr/bin/python3.
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def layers(dims):
    if dims == 2:
        return nn.Conv2d, nn.BatchNorm2d, F.max_pool2d, 'bilinear'
    return nn.Conv3d, nn.BatchNorm3d, F.max_pool3d, 'trilinear'


class ConvBlock(nn.Module):
    def __init__(self, dims, cin, cout, p):
        super().__init__()
        conv, norm, _, _ = layers(dims)
        self.body = nn.Sequential(
            conv(cin, cout, 3, padding=1), norm(cout), nn.LeakyReLU(0.01), nn.Dropout(p),
            conv(cout, cout, 3, padding=1), norm(cout), nn.LeakyReLU(0.01))

    def forward(self, x):
        return self.body(x)


class UpBlock(nn.Module):
    def __init__(self, dims, in1, in2, cout):
        super().__init__()
        conv, _, _, mode = layers(dims)
        self.conv1x1 = conv(in1, in2, 1)
        self.up = nn.Upsample(scale_factor=2, mode=mode, align_corners=True)
        self.conv = ConvBlock(dims, 2 * in2, cout, 0.0)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(self.conv1x1(x))], dim=1))


class UNet(nn.Module):
    def __init__(self, dims, cin, classes, ft, dropout):
        super().__init__()
        conv, _, self.pool, _ = layers(dims)
        self.inc = ConvBlock(dims, cin, ft[0], dropout[0])
        self.downs = nn.ModuleList([ConvBlock(dims, ft[i - 1], ft[i], dropout[i]) for i in range(1, len(ft))])
        self.ups = nn.ModuleList([UpBlock(dims, ft[i], ft[i - 1], ft[i - 1]) for i in range(len(ft) - 1, 0, -1)])
        self.out = conv(ft[0], classes, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(self.pool(skips[-1], 2)))
        h = skips.pop()
        for up in self.ups:
            h = up(h, skips.pop())
        return self.out(h)


def dice_plus_ce(logits, target_index, classes):
    prob = torch.softmax(logits, dim=1)
    one_hot = torch.movedim(F.one_hot(target_index, classes), -1, 1).float()
    dims = tuple(d for d in range(logits.dim()) if d != 1)
    intersection = (prob * one_hot).sum(dims)
    dice = (2 * intersection + 1e-5) / (prob.sum(dims) + one_hot.sum(dims) + 1e-5)
    return (1 - dice).mean() + F.cross_entropy(logits, target_index)


def median(values):
    """The middle value, the upper middle of an even count (as bench-report.ts's median)."""
    return sorted(values)[len(values) // 2]


def numbers(text, kind):
    return [kind(v) for v in text.split(',')]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--dims', type=int, choices=(2, 3), default=2)
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--features', default='16,32,64,128,256')
    parser.add_argument('--dropout', default='0.05,0.1,0.2,0.3,0.5')
    parser.add_argument('--classes', type=int, default=2)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = UNet(args.dims, 1, args.classes, numbers(args.features, int), numbers(args.dropout, float))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    spatial = [args.size] * args.dims
    x = torch.randn(args.batch, 1, *spatial)
    y = torch.randint(0, args.classes, (args.batch, *spatial))
    train = []
    for step in range(max(1, args.warmup) + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = dice_plus_ce(net(x), y, args.classes)
        loss.backward()
        optimizer.step()
        loss.item()
        if step >= max(1, args.warmup):
            train.append((time.perf_counter() - start) * 1000)
    net.eval()
    infer = []
    with torch.no_grad():
        image = x[:1]
        for step in range(args.warmup + args.steps):
            start = time.perf_counter()
            net(image).argmax(1)
            if step >= args.warmup:
                infer.append((time.perf_counter() - start) * 1000)
    print(json.dumps({
        'framework': f'pytorch {torch.__version__}',
        'threads': torch.get_num_threads(),
        'parameters': sum(p.numel() for p in net.parameters() if p.requires_grad),
        'trainStepMs': median(train),
        'trainStepMsAll': train,
        'inferenceMs': median(infer),
        'inferenceMsAll': infer,
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == '__main__':
    main()
