"""PyTorch twins of the bundled pipelines' training ticks, for `npm run bench -- --rows pipelines --vs-torch`.

One training iteration of pipelines/<method>.ts as PyTorch code would write it, with the settings the bench reads from
the validated pipeline (--spec, JSON: the UNet2D params, batch sizes, crop, Adam, EMA, input noise, gated CRF kernels,
ramp-ups; see PipelineTwinSpec in bench/pipeline-row.ts), so the twin follows the pipeline's defaults:

- supervised: one UNet2D (bench/torch_unet.py's PyMIC UNet2D), soft Dice + cross-entropy, Adam;
- mean-teacher: the student on the labelled batch (Dice + CE) and, separately, on the unlabelled batch; the EMA
  teacher (a copy of the student, train mode as micflow's Forward, no gradient) on the unlabelled batch plus clipped
  Gaussian noise; MSE between the two softmax maps times the sigmoid ramp-up; Adam on the student; then the EMA update
  with micflow's warm-up decay min(1 - 1/(t + 1), decay);
- cps: two UNet2Ds, each on the labelled (Dice + CE) and the unlabelled batch, each trained with CE against the
  other's argmax on the unlabelled batch times the ramp-up; one Adam on both;
- coteaching: two UNet2Ds on the same batch; per-pixel CE maps without gradient; each network keeps the
  floor((1 - forget rate) x pixels) pixels its partner ranks smallest (a full argsort, as PyMIC's NLLCoTeaching) and
  is trained with the CE over those; the per-class dropped fractions micflow reports as a probe are computed too;
  one Adam on both;
- scribble-gatedcrf: one UNet2D, partial CE on the scribbled pixels plus the gated CRF loss (bench/torch_losses.py's
  PyMIC-style F.unfold implementation, ungated) on the logits and the image, times the ramp-up.

No data loading: the batches are random tensors of the pipeline's shapes (images N(0, 1), labels uniform over the
classes, scribbles annotating 10% of the pixels), made once before the loop. A timed iteration is zero_grad, the
forward passes, the losses, backward, Adam's step, the EMA update where there is one, and loss.item(). Prints one JSON
line with the median iteration in milliseconds and the number of scalars the optimiser trains (the bench refuses a
ratio when it differs from micflow's).

    /usr/bin/python3 bench/torch_pipelines.py --spec '{"method": "supervised", ...}' --steps 10 --warmup 2 --threads 2

Uses Debian's python3-torch (apt-get install python3-torch); run with /usr/bin/python3.
"""
import argparse
import copy
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_unet import UNet, median  # noqa: E402
from torch_losses import gated_crf_loss  # noqa: E402


def dice_loss(logits, target, classes):
    """micflow's DiceLoss on logits: softmax, the whole batch as one volume per class, smooth 1e-5, mean over classes."""
    prob = torch.softmax(logits, dim=1)
    one_hot = torch.movedim(F.one_hot(target, classes), -1, 1).float()
    dims = tuple(d for d in range(logits.dim()) if d != 1)
    dice = (2 * (prob * one_hot).sum(dims) + 1e-5) / (prob.sum(dims) + one_hot.sum(dims) + 1e-5)
    return (1 - dice).mean()


def masked_ce(logits, target, mask):
    """micflow's CrossEntropyLoss with a mask: sum(mask * nll) / sum(mask), 0 when nothing is kept."""
    nll = F.cross_entropy(logits, target, reduction='none')
    total = mask.sum()
    return (mask * nll).sum() / torch.where(total == 0, torch.ones_like(total), total)


def rampup(spec, name, iteration):
    r = spec['rampups'][name]
    t = min(max((iteration - r['start']) / (r['end'] - r['start']), 0.0), 1.0)
    if r['kind'] == 'LinearRampup':
        return r['max'] * t
    return 0.0 if iteration < r['start'] else r['max'] * math.exp(-5 * (1 - t) ** 2)


def make_net(spec):
    n = spec['net']
    if n['upMode'] != 'bilinear' or n['deepSupervision']:
        raise SystemExit(f"twin: only bilinear UNet2Ds without deep supervision (got upMode {n['upMode']}, deepSupervision {n['deepSupervision']})")
    return UNet(2, n['inChannels'], n['classes'], n['features'], n['dropout'])


def adam(spec, params):
    a = spec['adam']
    if a.get('clipGradientNorm') is not None or a.get('milestones'):
        raise SystemExit('twin: Adam with clipping or milestones is not written')
    return torch.optim.Adam(params, lr=a['lr'], betas=tuple(a['betas']), eps=a['eps'], weight_decay=a['weightDecay'])


def batch(spec, name, classes, labelled=True):
    n = spec['batches'][name]
    h, w = spec['crop']
    x = torch.randn(n, spec['net']['inChannels'], h, w)
    y = torch.randint(0, classes, (n, h, w)) if labelled else None
    return x, y


def build(spec):
    """The method's networks, optimiser and a step(iteration) that returns the loss tensor."""
    method = spec['method']
    classes = spec['net']['classes']
    after_step = lambda _: None  # noqa: E731 (the EMA update where there is one)
    if method == 'supervised':
        net = make_net(spec)
        x, y = batch(spec, 'batch', classes)
        nets = [net]

        def step(_):
            logits = net(x)
            return dice_loss(logits, y, classes) + F.cross_entropy(logits, y)
    elif method == 'mean-teacher':
        student = make_net(spec)
        teacher = copy.deepcopy(student)
        for p in teacher.parameters():
            p.requires_grad_(False)
        xl, yl = batch(spec, 'batchL', classes)
        xu, _ = batch(spec, 'batchU', classes, labelled=False)
        nets = [student]
        ema, noise = spec['ema'], spec['noise']

        def step(iteration):
            logits_l = student(xl)
            logits_u = student(xu)
            with torch.no_grad():
                target = torch.softmax(teacher(xu + torch.clamp(torch.randn_like(xu) * noise['std'], -noise['clip'], noise['clip'])), dim=1)
            consistency = F.mse_loss(torch.softmax(logits_u, dim=1), target)
            return dice_loss(logits_l, yl, classes) + F.cross_entropy(logits_l, yl) + rampup(spec, 'rampup', iteration) * consistency

        def after_step(iteration):
            alpha = min(1 - 1 / (iteration + 1), ema['decay']) if ema['warmUp'] else ema['decay']
            with torch.no_grad():
                for t, s in zip(teacher.parameters(), student.parameters()):
                    t.mul_(alpha).add_(s, alpha=1 - alpha)
    elif method == 'cps':
        net_a, net_b = make_net(spec), make_net(spec)
        xl, yl = batch(spec, 'batchL', classes)
        xu, _ = batch(spec, 'batchU', classes, labelled=False)
        nets = [net_a, net_b]

        def step(iteration):
            la, lb, ua, ub = net_a(xl), net_b(xl), net_a(xu), net_b(xu)
            pseudo_a = torch.softmax(ua.detach(), dim=1).argmax(1)
            pseudo_b = torch.softmax(ub.detach(), dim=1).argmax(1)
            w = rampup(spec, 'rampup', iteration)
            supervised = dice_loss(la, yl, classes) + F.cross_entropy(la, yl) + dice_loss(lb, yl, classes) + F.cross_entropy(lb, yl)
            return supervised + w * F.cross_entropy(ua, pseudo_b) + w * F.cross_entropy(ub, pseudo_a)
    elif method == 'coteaching':
        net_a, net_b = make_net(spec), make_net(spec)
        x, y = batch(spec, 'batch', classes)
        nets = [net_a, net_b]

        def keep_smallest(loss_map, forget):
            flat = loss_map.reshape(-1)
            keep = int(math.floor((1 - forget) * flat.numel()))
            mask = torch.zeros_like(flat)
            mask[torch.argsort(flat)[:keep]] = 1
            return mask.view_as(loss_map)

        def step(iteration):
            logits_a, logits_b = net_a(x), net_b(x)
            with torch.no_grad():
                map_a = F.cross_entropy(logits_a, y, reduction='none')
                map_b = F.cross_entropy(logits_b, y, reduction='none')
                forget = rampup(spec, 'forgetRate', iteration)
                mask_for_a, mask_for_b = keep_smallest(map_b, forget), keep_smallest(map_a, forget)
                dropped = 1 - mask_for_a
                _probe = [dropped.mean()] + [(dropped * (y == c)).sum() / (y == c).sum().clamp(min=1) for c in range(classes)]
            return masked_ce(logits_a, y, mask_for_a) + masked_ce(logits_b, y, mask_for_b)
    elif method == 'scribble-gatedcrf':
        net = make_net(spec)
        x, y = batch(spec, 'batch', classes)
        scribbled = (torch.rand(y.shape) < 0.1).float()
        ones = torch.ones(x.shape[0], 1, *x.shape[2:])
        crf = spec['crf']
        nets = [net]

        def step(iteration):
            logits = net(x)
            pce = masked_ce(logits, y, scribbled)
            return pce + rampup(spec, 'rampup', iteration) * gated_crf_loss(logits, x, ones, crf['kernels'], crf['radius'])
    else:
        raise SystemExit(f'twin: no PyTorch twin of pipeline {method}')
    params = [p for net in nets for p in net.parameters()]
    return nets, adam(spec, params), step, after_step, params


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--spec', required=True)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec = json.loads(args.spec)
    nets, optimizer, step, after_step, params = build(spec)
    for net in nets:
        net.train()
    warmup = max(1, args.warmup)
    times = []
    for iteration in range(1, warmup + args.steps + 1):
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = step(iteration)
        loss.backward()
        optimizer.step()
        after_step(iteration)
        loss.item()
        if iteration > warmup:
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({
        'framework': f'pytorch {torch.__version__}',
        'method': spec['method'],
        'threads': torch.get_num_threads(),
        'parameters': sum(p.numel() for p in params if p.requires_grad),
        'iterationMs': median(times),
        'iterationMsAll': times,
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == '__main__':
    main()
