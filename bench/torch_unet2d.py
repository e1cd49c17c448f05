"""PyTorch twin of micflow's UNet2D benchmark row, for `npm run bench -- --vs-torch`.

Builds PyMIC's UNet2D (pymic/net/net2d/unet2d.py: feature channels 16-32-64-128-256, ConvBlock = conv3x3 -> BN ->
LeakyReLU(0.01) -> Dropout(p) -> conv3x3 -> BN -> LeakyReLU; 2x2 max-pool down; 1x1 conv + bilinear x2
(align_corners=True) up; concat [skip, up]; 1x1 output conv), trains it with soft Dice + cross-entropy and Adam
(lr 1e-3) on random data, and prints one JSON line with median times in milliseconds.

    /usr/bin/python3 bench/torch_unet2d.py --batch 4 --size 256 --steps 10 --warmup 2 --threads 2

Uses Debian's python3-torch (apt-get install python3-torch); run with /usr/bin/python3.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, p):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.01), nn.Dropout(p),
            nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.01))

    def forward(self, x):
        return self.body(x)


class UpBlock(nn.Module):
    def __init__(self, in1, in2, cout):
        super().__init__()
        self.conv1x1 = nn.Conv2d(in1, in2, 1)
        self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
        self.conv = ConvBlock(2 * in2, cout, 0.0)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(self.conv1x1(x))], dim=1))


class UNet2D(nn.Module):
    def __init__(self, cin=1, classes=2, ft=(16, 32, 64, 128, 256), dropout=(0.05, 0.1, 0.2, 0.3, 0.5)):
        super().__init__()
        self.inc = ConvBlock(cin, ft[0], dropout[0])
        self.downs = nn.ModuleList([ConvBlock(ft[i - 1], ft[i], dropout[i]) for i in range(1, len(ft))])
        self.ups = nn.ModuleList([UpBlock(ft[i], ft[i - 1], ft[i - 1]) for i in range(len(ft) - 1, 0, -1)])
        self.out = nn.Conv2d(ft[0], classes, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(F.max_pool2d(skips[-1], 2)))
        h = skips.pop()
        for up in self.ups:
            h = up(h, skips.pop())
        return self.out(h)


def dice_plus_ce(logits, target_index, classes):
    prob = torch.softmax(logits, dim=1)
    one_hot = F.one_hot(target_index, classes).permute(0, 3, 1, 2).float()
    dims = (0, 2, 3)
    intersection = (prob * one_hot).sum(dims)
    dice = (2 * intersection + 1e-5) / (prob.sum(dims) + one_hot.sum(dims) + 1e-5)
    return (1 - dice).mean() + F.cross_entropy(logits, target_index)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--classes', type=int, default=2)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = UNet2D(classes=args.classes)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(args.batch, 1, args.size, args.size)
    y = torch.randint(0, args.classes, (args.batch, args.size, args.size))
    train = []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = dice_plus_ce(net(x), y, args.classes)
        loss.backward()
        optimizer.step()
        loss.item()
        if step >= args.warmup:
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
        'parameters': sum(p.numel() for p in net.parameters()),
        'trainStepMs': statistics.median(train),
        'trainStepMsAll': train,
        'inferenceMs': statistics.median(infer),
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == '__main__':
    main()
