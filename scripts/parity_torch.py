#!/usr/bin/env python3
"""Gradient parity of the Rust training engine against an independent PyTorch model.

Runs OUTSIDE CI. The Rust side (`crates/train/examples/parity_dump.rs`) writes one
loss-and-gradient evaluation of a fully-connected or convolutional model as JSON: the input
batch, labels, every parameter, the HH constant gating rates, the loss and every parameter's
gradient, and the hidden layers' membrane-potential tapes. This script rebuilds the same model in PyTorch,
written from the equations of PAPER.md §2.2, §2.4 and §4 (not from the Rust code), computes
the loss and the gradients with autograd, and compares.

Equations (direct encoding: the projection I = x Wᵀ + b of the static image is the drive at
every step t = 1…T; everything starts at 0):

* spike: s = H(u − θ) (strictly greater), backward ∂s/∂u = 1[|u − θ| < w].
* LIF-fc / 4LIF-fc: u[t] = λ·u[t−1]·(1 − s[t−1]) + I, s[t] = H(u[t] − θ); λ 0.2, θ 0.3, w 0.5,
  T 15, 512 / 2048 neurons. The reset's dependence on s is differentiated (not detached).
* HH-fc: forward Euler, dt 0.01 (or the dump's hh_dt), C 1, 1952 constants (ḡ 120/36/0.3, E 115/−12/10.6), state
  (V, m, h, n) = 0, no reset, s = H(V − 0.2), w 0.3; the new state is computed entirely from
  the old one; constant per-neuron gating rates (from the dump). The ionic currents carry
  gradient.
* HH-vd-fc: the same with the voltage-dependent 1952 rates α_x(V), β_x(V) at the old V.
* s-LIF2HH-fc: three input maps I₁, I₂, I₃; compartments c = 1…3 are LIF with drive I_c;
  compartment 4 is LIF with drive a₁u₁[t] + a₂u₂[t] + a₃u₃[t] + c (potentials of the same
  step); λ 0.5, θ 2, w 0.4; the readout sees [rate₁ | rate₂ | rate₃ | rate₄] per row.
* ANN: s = H(ReLU(I) − 0.5), w 0.5, T 1.
* readout: rate = mean over T of s → Linear(→50) → heads Linear(50→10) ×2; loss = sum of the
  two batch-mean cross-entropies.

Convolutional models (PAPER.md §4; torch's conv2d and avg_pool2d, NCHW inside, permuted to
and from the dump's NHWC layout; conv weights dumped [c_out][ky][kx][c_in]):

* conv3×3 (pad 1) 1→C of the static image drives spiking layer 1 (36×36×C) at every step;
  its spikes of step t, 2×2-average-pooled (18×18), go through conv3×3 C→C to drive spiking
  layer 2 at step t; readout input = 2×2-average-pooled mean over T of layer 2's spikes,
  9×9×C flattened NHWC → Linear(→50) → two heads.
* LIF-conv (C 10) / 4LIF-conv (C 40): λ 0.2, θ 0.3, w 0.5, T 15.
* HH-conv: the HH layer above with dt 0.1, θ 2.3, w 0.5, T 15, constant per-neuron rates (one
  draw per layer, neuron = NHWC position within an image); the Na and K currents carry no
  gradient (V detached in them; the leak keeps its gradient). The share of the gradient the
  detachment removes is reported (~1e-7 at the reference span; `--steps`/`--hh-dt` raise it).
* s-LIF2HH-conv: three convs per layer; layer 1 = s-LIF2HH units on the three image convs;
  layer-2 drive k at step t = Σ over the four compartments of conv_k (without bias) of the
  compartment's pooled spikes, plus conv_k's bias once (the Rust convention: the conv of the
  summed pooled spikes); one 3→1 map `mix` shared by both layers; λ 0.2, θ 0.3, w 0.4, T 10;
  readout input per row [compartment][y][x][c] (3240). The reading that adds each bias once
  per compartment (4b) is evaluated too and its difference reported: a convention, not a
  parity error.
* CNN: conv → H(ReLU(·) − 0.5) (w 0.5) → pool, twice; T 1.

For the conv models the dump holds both layers' potentials (the CNN's pre-activations).
Decision differences are located per layer; when there are any, the comparison is repeated
with Rust's decisions imposed on both layers, and the FLIP test is made on that run: every
point where torch f64 would still decide otherwise on its own potential must lie within the
measured rounding bound of the edge (histories agree there, so this covers layer 2 too).

For each parameter the relative error ‖g_rust − g_torch‖ / max(‖g_torch‖, tiny) is reported,
for torch in float32 and in float64 (the weights as dumped, cast), plus the loss's relative
error. Spike decisions that differ between Rust and torch, and potentials within rounding of
the threshold or of the surrogate window's edges, are counted and reported; when spikes
differ, the comparison is repeated with Rust's spike decisions imposed ("forced"), which
isolates arithmetic from a rounding-induced flip.

For the HH models the share of the gradient that the ionic currents carry is reported
(‖g − g_leak-only‖/‖g‖ in float64). At the reference dt 0.01 and T 15 it is ~1e-12 (constant
rates) or ~1e-6 (voltage-dependent): the gates hardly leave 0 in 0.15 ms, so those runs test
the leak path only. `--hh-dt 0.1 --steps 1000` (hh-fc) and `--hh-dt 0.05 --steps 200`
(hh-vd-fc) make the ionic path carry O(1) of the gradient.

Usage:
    scripts/.venv/bin/python scripts/parity_torch.py DUMP.json [DUMP.json ...]
    scripts/.venv/bin/python scripts/parity_torch.py --generate --rows 16 --seeds 0 1
    scripts/.venv/bin/python scripts/parity_torch.py --generate --models hh-vd-fc \
        --hh-dt 0.05 --steps 200
    scripts/.venv/bin/python scripts/parity_torch.py --generate --models conv --rows 4 \
        --seeds 0 1
(`--generate` runs target/release/examples/parity_dump for every model and seed; build it
first with `cargo build --release -p icnet-train --example parity_dump`.)

Status per dump: PASS (every relative error ≤ --tol, 1e-4), FLIP (an excess, but every unit
whose decisions differ first differs on a potential within the measured rounding bound of the
edge, and with Rust's decisions imposed every error is ≤ tol), FAIL otherwise. Exit status 1
when any dump is not PASS (with --allow-flips: when any is FAIL).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

MODELS = ["lif-fc", "4lif-fc", "hh-fc", "hh-vd-fc", "slif2hh-fc", "ann"]
TINY = 1e-30


# ----------------------------------------------------------------------------- spike


class RectSpike(torch.autograd.Function):
    """H(x − θ) forward; rectangle of half-width w (height 1) backward."""

    @staticmethod
    def forward(ctx, x, theta, w):
        ctx.save_for_backward(x)
        ctx.theta, ctx.w = theta, w
        return (x > theta).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ((x - ctx.theta).abs() < ctx.w).to(grad.dtype), None, None


class ForcedSpike(torch.autograd.Function):
    """Like RectSpike, but the decisions (spike and surrogate window) are read from a
    reference potential `ref` (Rust's), while the gradient flows through `x`."""

    @staticmethod
    def forward(ctx, x, ref, theta, w):
        ctx.save_for_backward(ref)
        ctx.theta, ctx.w = theta, w
        return (ref > theta).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (ref,) = ctx.saved_tensors
        return grad * ((ref - ctx.theta).abs() < ctx.w).to(grad.dtype), None, None, None


class Spiker:
    """Applies the spike at each (compartment, step), records the potentials, and
    optionally imposes Rust's decisions."""

    def __init__(self, theta, w, forced=None):
        self.theta, self.w = theta, w
        self.forced = forced  # tensor [C][T][rows][neurons] or None
        self.record = {}
        self.drives = []

    def __call__(self, u, t, comp=0, record=None):
        self.record[(comp, t)] = (u if record is None else record).detach()
        if self.forced is not None:
            return ForcedSpike.apply(u, self.forced[comp, t].to(u.dtype), self.theta, self.w)
        return RectSpike.apply(u, self.theta, self.w)

    def potentials(self, comps, steps):
        return torch.stack(
            [torch.stack([self.record[(c, t)] for t in range(steps)]) for c in range(comps)]
        )


# ----------------------------------------------------------------------------- models

HH_G = (120.0, 36.0, 0.3)
HH_E = (115.0, -12.0, 10.6)
HH_DT = 0.01
HH_C = 1.0


def linear(x, p, name, keep=None):
    y = x @ p[name + ".weight"].T + p[name + ".bias"]
    if keep is not None:
        # The drives of the hidden layer: their gradient's density is reported.
        y.retain_grad()
        keep.append(y)
    return y


def lif_layer(drive, steps, decay, spiker, comp=0):
    u = torch.zeros_like(drive)
    s = torch.zeros_like(drive)
    total = torch.zeros_like(drive)
    for t in range(steps):
        u = decay * u * (1.0 - s) + drive
        s = spiker(u, t, comp)
        total = total + s
    return total / steps


def x_over_expm1(y):
    """y / (e^y − 1) with its limit 1 at y = 0 (double-where: no NaN in backward)."""
    small = y.abs() < 1e-4
    y_safe = torch.where(small, torch.ones_like(y), y)
    return torch.where(small, 1.0 - y / 2.0, y_safe / torch.expm1(y_safe))


def rates_1952(v):
    """[α_m, β_m, α_h, β_h, α_n, β_n] of the 1952 convention at V (mV)."""
    alpha_m = x_over_expm1((25.0 - v) / 10.0)  # 0.1(25 − V)/(exp((25 − V)/10) − 1)
    beta_m = 4.0 * torch.exp(-v / 18.0)
    alpha_h = 0.07 * torch.exp(-v / 20.0)
    beta_h = 1.0 / (torch.exp((30.0 - v) / 10.0) + 1.0)
    alpha_n = 0.1 * x_over_expm1((10.0 - v) / 10.0)  # 0.01(10 − V)/(exp((10 − V)/10) − 1)
    beta_n = 0.125 * torch.exp(-v / 80.0)
    return alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n


def hh_layer(drive, steps, spiker, rates=None, dt=HH_DT, ionic=True):
    """Forward Euler of the HH equations from the zero state; rates=None: voltage-dependent.
    ionic=False stops the gradient through the Na and K currents (and the gates), leaving the
    leak: used only to measure how much of the gradient the ionic path carries."""
    g_na, g_k, g_l = HH_G
    e_na, e_k, e_l = HH_E
    v = torch.zeros_like(drive)
    m = torch.zeros_like(drive)
    h = torch.zeros_like(drive)
    n = torch.zeros_like(drive)
    total = torch.zeros_like(drive)
    for t in range(steps):
        vg = v if ionic else v.detach()
        if rates is None:
            am, bm, ah, bh, an, bn = rates_1952(vg)
        else:
            am, bm, ah, bh, an, bn = rates
        i_ion = (
            g_na * m**3 * h * (vg - e_na)
            + g_k * n**4 * (vg - e_k)
            + g_l * (v - e_l)
        )
        v_new = v + dt / HH_C * (drive - i_ion)
        m_new = m + dt * (am * (1.0 - m) - bm * m)
        h_new = h + dt * (ah * (1.0 - h) - bh * h)
        n_new = n + dt * (an * (1.0 - n) - bn * n)
        v, m, h, n = v_new, m_new, h_new, n_new
        total = total + spiker(v, t)
    return total / steps


SPIKE = {
    "lif-fc": (0.3, 0.5),
    "4lif-fc": (0.3, 0.5),
    "hh-fc": (0.2, 0.3),
    "hh-vd-fc": (0.2, 0.3),
    "slif2hh-fc": (2.0, 0.4),
    "ann": (0.5, 0.5),
}


def forward(model, p, x, steps, rates, spiker, hh_dt=HH_DT, ionic=True):
    """Logits of both heads."""
    if model in ("lif-fc", "4lif-fc"):
        rate = lif_layer(linear(x, p, "input", spiker.drives), steps, 0.2, spiker)
    elif model == "hh-fc":
        rate = hh_layer(linear(x, p, "input", spiker.drives), steps, spiker, rates, hh_dt, ionic)
    elif model == "hh-vd-fc":
        rate = hh_layer(linear(x, p, "input", spiker.drives), steps, spiker, None, hh_dt, ionic)
    elif model == "slif2hh-fc":
        drives = [linear(x, p, f"input{c}", spiker.drives) for c in (1, 2, 3)]
        a1, a2, a3, c0 = p["mix"][0], p["mix"][1], p["mix"][2], p["mix"][3]
        u = [torch.zeros_like(drives[0]) for _ in range(4)]
        s = [torch.zeros_like(drives[0]) for _ in range(4)]
        total = [torch.zeros_like(drives[0]) for _ in range(4)]
        lam = 0.5
        for t in range(steps):
            for c in range(3):
                u[c] = lam * u[c] * (1.0 - s[c]) + drives[c]
                s[c] = spiker(u[c], t, c)
            u[3] = lam * u[3] * (1.0 - s[3]) + (a1 * u[0] + a2 * u[1] + a3 * u[2] + c0)
            s[3] = spiker(u[3], t, 3)
            total = [tot + sc for tot, sc in zip(total, s)]
        rate = torch.cat([tot / steps for tot in total], dim=1)
    elif model == "ann":
        proj = linear(x, p, "input", spiker.drives)
        # Recorded: the pre-activation, whose edges are 0 (ReLU), 0.5 (θ) and 1 (θ + w).
        rate = spiker(torch.relu(proj), 0, record=proj)
    else:
        raise ValueError(model)
    shared = linear(rate, p, "readout")
    return linear(shared, p, "head1"), linear(shared, p, "head2"), rate


def evaluate(dump, dtype, forced=None, ionic=True):
    """Loss, gradients, logits, rate and recorded potentials of torch in `dtype`."""
    model, steps = dump["model"], dump["steps"]
    rows = dump["rows"]
    # Dumped f32 values are parsed as the exact f64 of the f32; the cast to f32 is exact.
    p = {
        q["name"]: torch.tensor(np.asarray(q["value"], dtype=np.float32), dtype=dtype)
        .reshape(q["shape"])
        .requires_grad_(True)
        for q in dump["params"]
    }
    x = torch.tensor(np.asarray(dump["x"], dtype=np.float32), dtype=dtype).reshape(rows, -1)
    rates = None
    if dump.get("hh_rates") is not None:
        rates = [torch.tensor(np.asarray(r, dtype=np.float32), dtype=dtype) for r in dump["hh_rates"]]
    l1 = torch.tensor(dump["labels1"], dtype=torch.long)
    l2 = torch.tensor(dump["labels2"], dtype=torch.long)
    theta, w = SPIKE[model]
    spiker = Spiker(theta, w, forced)
    hh_dt = dump.get("hh_dt") or HH_DT
    z1, z2, rate = forward(model, p, x, steps, rates, spiker, hh_dt, ionic)
    loss = F.cross_entropy(z1, l1) + F.cross_entropy(z2, l2)
    loss.backward()
    comps = 4 if model == "slif2hh-fc" else 1
    pots = spiker.potentials(comps, 1 if model == "ann" else steps)
    density = [float((d.grad != 0).double().mean()) for d in spiker.drives]
    return {
        "loss": loss.item(),
        "grads": {k: v.grad.detach().to(torch.float64).reshape(-1) for k, v in p.items()},
        "logits": torch.cat([z1, z2], 1).detach().to(torch.float64),
        "rate": rate.detach().to(torch.float64),
        "potentials": pots.to(torch.float64),
        "drive_grad_density": density,
    }


# ----------------------------------------------------------------------------- conv models
#
# Written from PAPER.md §4 and the conventions the Rust model documents (not from its code):
# images NHWC in the dump (torch runs NCHW internally, with explicit permutes); a conv weight
# is stored [c_out][ky][kx][c_in] and is a cross-correlation with zero padding 1 (torch's
# conv2d); 2×2 average pooling (36 → 18 → 9); layer 1 is driven by the convolution of the
# static image at every step; layer 2 at step t by the convolution of layer 1's pooled
# spikes of step t; the readout sees, per row, the 9×9 pooled mean rates flattened NHWC
# ([compartment][y][x][c] for s-LIF2HH-conv). HH constant rates are per neuron, neuron =
# NHWC position within an image, one draw per layer.

CONV_MODELS = ["lif-conv", "4lif-conv", "hh-conv", "slif2hh-conv", "cnn"]
CONV_SPIKE = {
    "lif-conv": (0.3, 0.5),
    "4lif-conv": (0.3, 0.5),
    "hh-conv": (2.3, 0.5),
    "slif2hh-conv": (0.3, 0.4),
    "cnn": (0.5, 0.5),
}
CONV_DECAY = 0.2  # λ of LIF-conv, 4LIF-conv and every s-LIF2HH-conv compartment
HH_CONV_DT = 0.1
SIDES = (36, 18)


def decisions(u, theta, w, dtype):
    """[spike, surrogate window] decisions of potentials `u`, in `dtype` arithmetic (Rust's
    are float32: `x > θ` and `|x − θ| < w` with θ, w rounded to f32 — at an edge that can
    differ from the same test in float64)."""
    u = u.to(dtype)
    th = torch.tensor(theta, dtype=dtype)
    return torch.stack([u > th, (u - th).abs() < torch.tensor(w, dtype=dtype)])


class MaskSpike(torch.autograd.Function):
    """Imposed decisions: the spike mask forward, the surrogate-window mask backward."""

    @staticmethod
    def forward(ctx, x, spike, window):
        ctx.save_for_backward(window)
        return spike.to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (window,) = ctx.saved_tensors
        return grad * window.to(grad.dtype), None, None


class ConvSpiker(Spiker):
    """A Spiker whose imposed decisions are Rust's, evaluated from its potentials (`forced`,
    [C][T][rows][Ch][H][W]) in float32 arithmetic, exactly as the engine decided."""

    def __init__(self, theta, w, forced=None):
        super().__init__(theta, w, forced)
        self.masks = None if forced is None else decisions(forced, theta, w, torch.float32)

    def __call__(self, u, t, comp=0, record=None):
        self.record[(comp, t)] = (u if record is None else record).detach()
        if self.masks is not None:
            return MaskSpike.apply(u, self.masks[0, comp, t], self.masks[1, comp, t])
        return RectSpike.apply(u, self.theta, self.w)


def nhwc(t):
    """[rows][C][H][W] → [rows][H·W·C] (the Rust layout)."""
    return t.permute(0, 2, 3, 1).reshape(t.shape[0], -1)


def from_nhwc(a, side):
    """[..., rows, H·W·C] → [..., rows, C, H, W]."""
    lead = a.shape[:-1]
    a = a.reshape(*lead, side, side, -1)
    nd = a.dim()
    return a.permute(*range(nd - 3), nd - 1, nd - 3, nd - 2)


def conv3(inp, p, name, bias=True):
    w = p[name + ".weight"].permute(0, 3, 1, 2)  # [c_out][ky][kx][c_in] → [c_out][c_in][ky][kx]
    return F.conv2d(inp, w, p[name + ".bias"] if bias else None, padding=1)


def pool(t):
    return F.avg_pool2d(t, 2)


def lif_step(u, s, drive, spiker, t, comp=0):
    u = CONV_DECAY * u * (1.0 - s) + drive
    return u, spiker(u, t, comp, record=nhwc(u))


class HhState:
    """One HH-conv layer: forward Euler (dt from the dump), 1952 constants, state from 0, no
    reset, constant per-neuron rates; the Na and K currents are detached (no gradient)."""

    def __init__(self, like, rates, dt, ionic_grad=False):
        self.v, self.m, self.h, self.n = (torch.zeros_like(like) for _ in range(4))
        self.rates, self.dt, self.ionic_grad = rates, dt, ionic_grad

    def step(self, drive, spiker, t):
        g_na, g_k, g_l = HH_G
        e_na, e_k, e_l = HH_E
        am, bm, ah, bh, an, bn = self.rates
        v, m, h, n = self.v, self.m, self.h, self.n
        vd = v if self.ionic_grad else v.detach()
        i_ion = g_na * m**3 * h * (vd - e_na) + g_k * n**4 * (vd - e_k) + g_l * (v - e_l)
        self.v = v + self.dt / HH_C * (drive - i_ion)
        self.m = m + self.dt * (am * (1.0 - m) - bm * m)
        self.h = h + self.dt * (ah * (1.0 - h) - bh * h)
        self.n = n + self.dt * (an * (1.0 - n) - bn * n)
        return spiker(self.v, t, record=nhwc(self.v))


def slif2hh_step(u, s, drives, mix, spiker, t):
    """Compartments 1–3 LIF on their drives; compartment 4 LIF on a·u[t] + c (same step)."""
    u, s = list(u), list(s)
    for c in range(3):
        u[c], s[c] = lif_step(u[c], s[c], drives[c], spiker, t, c)
    into4 = mix[0] * u[0] + mix[1] * u[1] + mix[2] * u[2] + mix[3]
    u[3], s[3] = lif_step(u[3], s[3], into4, spiker, t, 3)
    return u, s


def conv_forward(
    model, p, x, steps, spikers, rates=None, hh_dt=HH_CONV_DT, bias_each=False, ionic_grad=False
):
    """Logits of both heads and the readout input. spikers: one Spiker per hidden layer.
    bias_each (s-LIF2HH-conv only): add each layer-2 conv's bias once per compartment (the
    literal reading of "each conv applied to each compartment's pooled spikes, summed")
    instead of once (the Rust convention: the conv of the summed pooled spikes).
    ionic_grad (HH-conv only): let the Na and K currents carry gradient, to measure how much
    of the gradient the detachment removes."""
    rows = x.shape[0]
    img = x.reshape(rows, 1, SIDES[0], SIDES[0])
    sp1, sp2 = spikers
    if model in ("lif-conv", "4lif-conv", "hh-conv"):
        d1 = conv3(img, p, "conv1")
        d1.retain_grad()
        sp1.drives.append(d1)
        z = torch.zeros_like(d1)
        z2 = torch.zeros_like(pool(d1))
        if model == "hh-conv":
            l1 = HhState(z, rates[0], hh_dt, ionic_grad)
            l2 = HhState(z2, rates[1], hh_dt, ionic_grad)
        else:
            u1, s1, u2, s2 = z, z, z2, z2
        total = torch.zeros_like(pool(z2))
        for t in range(steps):
            if model == "hh-conv":
                s1 = l1.step(d1, sp1, t)
            else:
                u1, s1 = lif_step(u1, s1, d1, sp1, t)
            d2 = conv3(pool(s1), p, "conv2")
            d2.retain_grad()
            sp2.drives.append(d2)
            if model == "hh-conv":
                s2 = l2.step(d2, sp2, t)
            else:
                u2, s2 = lif_step(u2, s2, d2, sp2, t)
            total = total + pool(s2)
        rate = nhwc(total / steps)
    elif model == "slif2hh-conv":
        mix = p["mix"]
        d1 = [conv3(img, p, f"conv1.{k}") for k in (1, 2, 3)]
        for d in d1:
            d.retain_grad()
            sp1.drives.append(d)
        z1 = torch.zeros_like(d1[0])
        z2 = torch.zeros_like(pool(z1))
        u1, s1 = [z1] * 4, [z1] * 4
        u2, s2 = [z2] * 4, [z2] * 4
        totals = [torch.zeros_like(pool(z2)) for _ in range(4)]
        for t in range(steps):
            u1, s1 = slif2hh_step(u1, s1, d1, mix, sp1, t)
            pooled = [pool(sc) for sc in s1]
            d2 = []
            for k in (1, 2, 3):
                # Each layer-2 conv applied to each compartment's pooled spikes, summed.
                acc = sum(conv3(pc, p, f"conv2.{k}", bias=False) for pc in pooled)
                b = p[f"conv2.{k}.bias"].reshape(1, -1, 1, 1)
                d = acc + (4.0 * b if bias_each else b)
                d.retain_grad()
                sp2.drives.append(d)
                d2.append(d)
            u2, s2 = slif2hh_step(u2, s2, d2, mix, sp2, t)
            totals = [tot + pool(sc) for tot, sc in zip(totals, s2)]
        rate = torch.cat([nhwc(tot / steps) for tot in totals], dim=1)
    elif model == "cnn":
        # s = H(ReLU(d) − 0.5) with the rectangle surrogate times ReLU's gate. Recorded: the
        # pre-activation d. Imposing Rust's decisions uses the identity H(ReLU(d) − ½) =
        # H(d − ½), 1[|ReLU(d) − ½| < ½]·1[d > 0] = 1[|d − ½| < ½].
        def act(d, spiker):
            d.retain_grad()
            spiker.drives.append(d)
            if spiker.forced is not None:
                return spiker(d, 0, record=nhwc(d))
            return spiker(torch.relu(d), 0, record=nhwc(d))

        a1 = act(conv3(img, p, "conv1"), sp1)
        a2 = act(conv3(pool(a1), p, "conv2"), sp2)
        rate = nhwc(pool(a2))
    else:
        raise ValueError(model)
    shared = linear(rate, p, "readout")
    return linear(shared, p, "head1"), linear(shared, p, "head2"), rate


def conv_layers(dump):
    """Rust's potentials per layer as [C][T][rows][H·W·Ch] float64 tensors."""
    out = []
    for layer in dump["layers"]:
        arr = np.asarray(layer["potentials"], dtype=np.float32).astype(np.float64)
        out.append(
            torch.from_numpy(
                arr.reshape(layer["compartments"], layer["steps"], dump["rows"], -1)
            )
        )
    return out


def conv_evaluate(dump, dtype, forced=None, bias_each=False, ionic_grad=False):
    """Loss, gradients, logits, rate and per-layer recorded potentials of torch in `dtype`;
    forced: Rust's potentials per layer (their decisions are imposed)."""
    model, steps, rows = dump["model"], dump["steps"], dump["rows"]
    p = {
        q["name"]: torch.tensor(np.asarray(q["value"], dtype=np.float32), dtype=dtype)
        .reshape(q["shape"])
        .requires_grad_(True)
        for q in dump["params"]
    }
    x = torch.tensor(np.asarray(dump["x"], dtype=np.float32), dtype=dtype).reshape(rows, -1)
    ch = dump["channels"]
    rates = None
    if dump.get("hh_rates_layers") is not None:
        rates = [
            [
                from_nhwc(torch.tensor(np.asarray(r, dtype=np.float32), dtype=dtype), side)
                for r in layer
            ]
            for layer, side in zip(dump["hh_rates_layers"], SIDES)
        ]
    l1 = torch.tensor(dump["labels1"], dtype=torch.long)
    l2 = torch.tensor(dump["labels2"], dtype=torch.long)
    theta, w = CONV_SPIKE[model]
    spikers = []
    for i, side in enumerate(SIDES):
        f = None
        if forced is not None:
            f = forced[i].reshape(*forced[i].shape[:3], side, side, ch).permute(0, 1, 2, 5, 3, 4)
        spikers.append(ConvSpiker(theta, w, f))
    hh_dt = dump.get("hh_dt") or HH_CONV_DT
    z1, z2, rate = conv_forward(model, p, x, steps, spikers, rates, hh_dt, bias_each, ionic_grad)
    loss = F.cross_entropy(z1, l1) + F.cross_entropy(z2, l2)
    loss.backward()
    comps = 4 if model == "slif2hh-conv" else 1
    t_rec = 1 if model == "cnn" else steps
    pots = [sp.potentials(comps, t_rec).to(torch.float64) for sp in spikers]

    def density(ds):
        return float(np.mean([float((d.grad != 0).double().mean()) for d in ds]))

    return {
        "loss": loss.item(),
        "grads": {k: v.grad.detach().to(torch.float64).reshape(-1) for k, v in p.items()},
        "logits": torch.cat([z1, z2], 1).detach().to(torch.float64),
        "rate": rate.detach().to(torch.float64),
        "potentials": pots,
        "drive_grad_density": [density(sp.drives) for sp in spikers],
    }


def conv_decision_check(theta, w, ref, other, dtype):
    """Decision disagreements between potentials `ref` (Rust, decided in float32) and `other`
    (torch, decided in `dtype`) of one layer, and whether each lies within the measured
    rounding bound of the edge crossed.

    The bound is twice the largest |ref − other| where every decision agrees (floored at one
    f32 ulp of max(|θ|, 1))."""
    d_r = decisions(ref, theta, w, torch.float32)
    d_o = decisions(other, theta, w, dtype)
    differ = (d_r != d_o).any(0)
    dpot = (ref - other).abs()
    bound = float(dpot[~differ].max()) if bool((~differ).any()) else float(dpot.max())
    bound = max(2.0 * bound, float(np.finfo(np.float32).eps) * max(abs(theta), 1.0))
    explained = 0
    firsts = []
    idx = differ.nonzero().tolist()
    for c, t, r, n in idx:
        a, b = float(ref[c, t, r, n]), float(other[c, t, r, n])
        if bool(d_r[0, c, t, r, n] != d_o[0, c, t, r, n]):
            edge = theta
        else:
            edge = theta + w if max(a, b) > theta else theta - w
        ok = abs(a - edge) <= bound and abs(b - edge) <= bound
        explained += ok
        if len(firsts) < 5:
            firsts.append(
                {"comp": c, "step": t, "row": r, "unit": n, "edge": edge, "u_rust": a,
                 "u_torch": b, "explained": ok}
            )
    return {
        "bound": bound,
        "max_abs_dpot": float(dpot.max()),
        "spike_flips": int((d_r[0] != d_o[0]).sum()),
        "window_flips": int((d_r[1] != d_o[1]).sum()),
        "points_differing": len(idx),
        "points_explained": int(explained),
        "first": firsts,
        "near_threshold": int(((other - theta).abs() < bound).sum()),
        "near_window_edge": int((((other - theta).abs() - w).abs() < bound).sum()),
        "potentials": int(other.numel()),
        "potential_max_abs": float(other.abs().max()),
    }


def compare_conv(dump, tol, verbose=True):
    t0 = time.time()
    model = dump["model"]
    theta, w = CONV_SPIKE[model]
    res = {"f32": conv_evaluate(dump, torch.float32), "f64": conv_evaluate(dump, torch.float64)}
    ur = conv_layers(dump)
    # Unforced: Rust vs torch decisions per layer, for torch f64 and f32 (a layer-1 flip moves
    # layer-2 potentials far beyond rounding, so these locate flips but do not judge them).
    dtypes = {"f64": torch.float64, "f32": torch.float32}
    unforced = {
        k: [conv_decision_check(theta, w, r, t, dtypes[k]) for r, t in zip(ur, res[k]["potentials"])]
        for k in ("f64", "f32")
    }
    t32_flips = sum(
        int((decisions(a, theta, w, torch.float32) != decisions(b, theta, w, torch.float64)).sum())
        for a, b in zip(res["f32"]["potentials"], res["f64"]["potentials"])
    )
    diverging = sum(u["points_differing"] for k in unforced for u in unforced[k])
    forced = None
    forced_check = None
    if diverging:
        forced = {
            "f32": conv_evaluate(dump, torch.float32, forced=ur),
            "f64": conv_evaluate(dump, torch.float64, forced=ur),
        }
        # With Rust's decisions imposed the histories agree, so every remaining decision
        # difference (torch would have decided otherwise on its own potential) is a point
        # where the two potentials straddle an edge: it must lie within rounding.
        forced_check = {
            k: [
                conv_decision_check(theta, w, r, t, dtypes[k])
                for r, t in zip(ur, forced[k]["potentials"])
            ]
            for k in ("f64", "f32")
        }
    ionic_share = None
    if model == "hh-conv":
        # How much of the gradient the detachment of the Na/K currents removes (t64): parity
        # errors far below it mean the detachment itself is being tested.
        att = conv_evaluate(dump, torch.float64, ionic_grad=True)
        ionic_share = max(rel(att["grads"][k], res["f64"]["grads"][k]) for k in att["grads"])
    bias_each = None
    if model == "slif2hh-conv":
        alt = conv_evaluate(dump, torch.float64, bias_each=True)
        bias_each = {
            "loss_rel": abs(dump["loss"] - alt["loss"]) / max(abs(alt["loss"]), TINY),
            "max_grad_rel": max(
                rel(torch.tensor(np.asarray(g["grad"], dtype=np.float32).astype(np.float64)),
                    alt["grads"][g["name"]])
                for g in dump["grads"]
            ),
        }
    rust_grads = {
        g["name"]: torch.tensor(np.asarray(g["grad"], dtype=np.float32).astype(np.float64))
        for g in dump["grads"]
    }
    rust_logits = torch.tensor(
        np.concatenate(
            [
                np.asarray(dump["logits1"], dtype=np.float32).reshape(dump["rows"], 10),
                np.asarray(dump["logits2"], dtype=np.float32).reshape(dump["rows"], 10),
            ],
            1,
        ).astype(np.float64)
    )
    table = []
    for q in dump["params"]:
        name = q["name"]
        g = rust_grads[name]
        row = {
            "param": name,
            "shape": q["shape"],
            "norm_t64": float(res["f64"]["grads"][name].norm()),
            "rust_vs_t32": rel(g, res["f32"]["grads"][name]),
            "rust_vs_t64": rel(g, res["f64"]["grads"][name]),
            "t32_vs_t64": rel(res["f32"]["grads"][name], res["f64"]["grads"][name]),
        }
        if forced is not None:
            row["forced_rust_vs_t32"] = rel(g, forced["f32"]["grads"][name])
            row["forced_rust_vs_t64"] = rel(g, forced["f64"]["grads"][name])
        table.append(row)

    def loss_rel(r):
        return abs(dump["loss"] - r["loss"]) / max(abs(r["loss"]), TINY)

    worst = {
        k: max(
            [r[f"rust_vs_t{k[1:]}"] for r in table]
            + [loss_rel(res[k]), rel(rust_logits, res[k]["logits"])]
        )
        for k in res
    }
    summary = {
        "model": model,
        "seed": dump["seed"],
        "rows": dump["rows"],
        "input": dump.get("input"),
        "steps": dump["steps"],
        "hh_dt": dump.get("hh_dt"),
        "loss_rust": dump["loss"],
        "loss_t32": res["f32"]["loss"],
        "loss_t64": res["f64"]["loss"],
        "loss_rel_t32": loss_rel(res["f32"]),
        "loss_rel_t64": loss_rel(res["f64"]),
        "logits_rel_t32": rel(rust_logits, res["f32"]["logits"]),
        "logits_rel_t64": rel(rust_logits, res["f64"]["logits"]),
        "hidden_rate_rust": dump["hidden_rate"],
        "hidden_rate_t32": float(res["f32"]["rate"].mean()),
        "hidden_rate_t64": float(res["f64"]["rate"].mean()),
        "max_rel_rust_vs_t32": worst["f32"],
        "max_rel_rust_vs_t64": worst["f64"],
        "max_rel_t32_vs_t64": max(r["t32_vs_t64"] for r in table),
        "drive_grad_density": res["f64"]["drive_grad_density"],
        "layers_unforced": unforced,
        "layers_forced": forced_check,
        "slif2hh_bias_per_compartment": bias_each,
        "ionic_gradient_share": ionic_share,
        "spikes": {
            # Decision differences, Rust vs torch f64 plus Rust vs torch f32.
            "spike_flips": sum(u["spike_flips"] for k in unforced for u in unforced[k]),
            "window_flips": sum(u["window_flips"] for k in unforced for u in unforced[k]),
            "flips_t32_vs_t64": t32_flips,
        },
        "params": table,
    }
    if forced is not None:
        for k in ("f32", "f64"):
            summary[f"max_rel_forced_rust_vs_t{k[1:]}"] = max(
                [r[f"forced_rust_vs_t{k[1:]}"] for r in table]
                + [loss_rel(forced[k]), rel(rust_logits, forced[k]["logits"])]
            )
    ok = worst["f32"] <= tol and worst["f64"] <= tol
    if ok:
        status = "PASS"
    elif (
        forced is not None
        and all(
            f["points_explained"] == f["points_differing"]
            for k in forced_check
            for f in forced_check[k]
        )
        and summary["max_rel_forced_rust_vs_t32"] <= tol
        and summary["max_rel_forced_rust_vs_t64"] <= tol
    ):
        status = "FLIP"
    else:
        status = "FAIL"
    summary["status"] = status
    summary["pass"] = bool(ok)
    summary["seconds"] = time.time() - t0
    if verbose:
        print_conv(summary)
    return summary


def print_conv(s):
    print(f"\n== {s['model']} seed {s['seed']} rows {s['rows']} ({s['input']}) — {s['status']}")
    print(
        f"loss rust {s['loss_rust']:.7f}  t32 {s['loss_t32']:.7f}  t64 {s['loss_t64']:.7f}  "
        f"rel {s['loss_rel_t32']:.2e} / {s['loss_rel_t64']:.2e};  logits rel "
        f"{s['logits_rel_t32']:.2e} / {s['logits_rel_t64']:.2e};  hidden rate rust "
        f"{s['hidden_rate_rust']:.5f} t64 {s['hidden_rate_t64']:.5f}"
    )
    if s["hh_dt"] is not None:
        print(
            f"HH-conv: dt {s['hh_dt']:g}, T {s['steps']}, ionic currents detached; attaching them "
            f"would change the gradient by (‖g_attached − g‖/‖g_attached‖, t64) "
            f"{s['ionic_gradient_share']:.2e}"
        )
    print(
        "non-zero fraction of ∂L/∂drive, layer 1 / layer 2: "
        + " / ".join(f"{v:.3f}" for v in s["drive_grad_density"])
    )
    runs = [(f"{n} t{k[1:]}", c[k]) for n, c in (("unforced", s["layers_unforced"]),
                                                ("forced", s["layers_forced"]))
            if c is not None for k in ("f64", "f32")]
    for name, checks in runs:
        for i, d in enumerate(checks):
            print(
                f"layer {i + 1} {name}: {d['potentials']} potentials (max |u| "
                f"{d['potential_max_abs']:.3g}), bound {d['bound']:.2e}, max |Δu| rust−torch "
                f"{d['max_abs_dpot']:.2e}; {d['spike_flips']} spike / {d['window_flips']} "
                f"window flips at {d['points_differing']} points ({d['points_explained']} within "
                f"rounding of the edge); within bound: {d['near_threshold']} of θ, "
                f"{d['near_window_edge']} of θ±w"
            )
            for f in d["first"]:
                print(
                    f"  comp {f['comp']} step {f['step']} row {f['row']} unit {f['unit']}: u rust "
                    f"{f['u_rust']:.7f}, torch {f['u_torch']:.7f}, edge {f['edge']:g}"
                    f"{'' if f['explained'] else '  NOT within rounding'}"
                )
    print(f"t32 vs t64 decision (spike or window) flips: {s['spikes']['flips_t32_vs_t64']}")
    if s["slif2hh_bias_per_compartment"] is not None:
        b = s["slif2hh_bias_per_compartment"]
        print(
            f"(the literal reading with each layer-2 bias added once per compartment differs "
            f"from Rust: loss rel {b['loss_rel']:.2e}, worst gradient rel {b['max_grad_rel']:.2e})"
        )
    forced = "forced_rust_vs_t32" in s["params"][0]
    head = f"{'parameter':<16}{'shape':<14}{'‖g‖ (t64)':>11}{'rust/t32':>11}{'rust/t64':>11}{'t32/t64':>11}"
    if forced:
        head += f"{'forced/t32':>12}{'forced/t64':>12}"
    print(head)
    for r in s["params"]:
        line = (
            f"{r['param']:<16}{'x'.join(map(str, r['shape'])):<14}{r['norm_t64']:>11.3e}"
            f"{r['rust_vs_t32']:>11.2e}{r['rust_vs_t64']:>11.2e}{r['t32_vs_t64']:>11.2e}"
        )
        if forced:
            line += f"{r['forced_rust_vs_t32']:>12.2e}{r['forced_rust_vs_t64']:>12.2e}"
        print(line)
    print(f"({s['seconds']:.1f}s)")


# ----------------------------------------------------------------------------- compare


def rel(a, b):
    return float((a - b).norm() / max(float(b.norm()), TINY))


def rust_potentials(dump):
    """Rust's tape as [C][T][rows][neurons] (float64), or None (ANN)."""
    if dump.get("potentials") is None:
        return None
    comps = 4 if dump["model"] == "slif2hh-fc" else 1
    arr = np.asarray(dump["potentials"], dtype=np.float32).astype(np.float64)
    return torch.from_numpy(arr.reshape(comps, dump["steps"], dump["rows"], dump["neurons"]))


def spike_diagnostics(dump, res32, res64):
    """Spike disagreements and potentials within rounding of a decision edge.

    A decision edge is θ (the spike) or θ ± w (the surrogate window). The rounding bound is
    measured, not assumed: twice the largest |u_rust − u_t64| over the units whose decisions
    agree at every step (for the ANN, which has no Rust tape, |u_t32 − u_t64|). A unit whose
    decisions differ is *explained by rounding* when, at its first differing step, both
    potentials lie within that bound of the edge that was crossed."""
    theta, w = SPIKE[dump["model"]]
    out = {}
    u64 = res64["potentials"]
    u32 = res32["potentials"]
    ur = rust_potentials(dump)
    ref = ur if ur is not None else u32

    def decisions(u):
        return torch.stack([u > theta, (u - theta).abs() < w])  # [2][C][T][rows][n]

    d_ref, d_64 = decisions(ref), decisions(u64)
    differ = (d_ref != d_64).any(0)  # [C][T][rows][n]
    unit_differs = differ.any(1)  # [C][rows][n]
    agree = ~unit_differs.unsqueeze(1).expand_as(differ)
    dpot = (ref - u64).abs()
    bound = float(dpot[agree].max()) if bool(agree.any()) else float(dpot.max())
    bound = max(2.0 * bound, float(np.finfo(np.float32).eps) * max(abs(theta), 1.0))
    out["rounding_bound"] = bound
    out["potential_max_abs"] = float(u64.abs().max())
    out["near_threshold"] = int(((u64 - theta).abs() < bound).sum())
    out["near_window_edge"] = int((((u64 - theta).abs() - w).abs() < bound).sum())
    out["potentials"] = int(u64.numel())
    out["flips_t32_vs_t64"] = int(((u32 > theta) != (u64 > theta)).sum())
    out["reference"] = "rust" if ur is not None else "t32"
    out["max_abs_dpot_ref_t64"] = float(dpot.max())
    out["spike_flips"] = int(((ref > theta) != (u64 > theta)).sum())
    out["window_flips"] = int((d_ref[1] != d_64[1]).sum())
    out["units_diverging"] = int(unit_differs.sum())
    explained = 0
    firsts = []
    for c, r, n in unit_differs.nonzero().tolist():
        t = int(differ[c, :, r, n].nonzero()[0])
        a, b = float(ref[c, t, r, n]), float(u64[c, t, r, n])
        if bool(d_ref[0, c, t, r, n] != d_64[0, c, t, r, n]):
            edge = theta
        else:
            edge = theta + w if max(a, b) > theta else theta - w
        ok = abs(a - edge) <= bound and abs(b - edge) <= bound
        explained += ok
        if len(firsts) < 5:
            firsts.append(
                {"comp": c, "step": t, "row": r, "neuron": n, "edge": edge,
                 "u_ref": a, "u_t64": b, "explained": ok}
            )
    out["units_explained_by_rounding"] = int(explained)
    out["first_divergences"] = firsts
    return out


def compare(dump, tol, verbose=True):
    t0 = time.time()
    res = {
        "f32": evaluate(dump, torch.float32),
        "f64": evaluate(dump, torch.float64),
    }
    diag = spike_diagnostics(dump, res["f32"], res["f64"])
    ionic_share = None
    if dump["model"] in ("hh-fc", "hh-vd-fc"):
        # How much of the gradient the Na/K currents (and gates) carry: parity errors far
        # below this mean the ionic path is really being tested.
        det = evaluate(dump, torch.float64, ionic=False)
        ionic_share = max(
            rel(det["grads"][k], res["f64"]["grads"][k]) for k in det["grads"]
        )
    forced = None
    ur = rust_potentials(dump)
    if ur is not None and diag["units_diverging"]:
        forced = {
            "f32": evaluate(dump, torch.float32, forced=ur),
            "f64": evaluate(dump, torch.float64, forced=ur),
        }
    rust_grads = {
        g["name"]: torch.tensor(np.asarray(g["grad"], dtype=np.float32).astype(np.float64))
        for g in dump["grads"]
    }
    rust_logits = torch.tensor(
        np.concatenate(
            [
                np.asarray(dump["logits1"], dtype=np.float32).reshape(dump["rows"], 10),
                np.asarray(dump["logits2"], dtype=np.float32).reshape(dump["rows"], 10),
            ],
            1,
        ).astype(np.float64)
    )
    table = []
    for q in dump["params"]:
        name = q["name"]
        g = rust_grads[name]
        row = {
            "param": name,
            "shape": q["shape"],
            "norm_t64": float(res["f64"]["grads"][name].norm()),
            "rust_vs_t32": rel(g, res["f32"]["grads"][name]),
            "rust_vs_t64": rel(g, res["f64"]["grads"][name]),
            "t32_vs_t64": rel(res["f32"]["grads"][name], res["f64"]["grads"][name]),
        }
        if forced is not None:
            row["forced_rust_vs_t32"] = rel(g, forced["f32"]["grads"][name])
            row["forced_rust_vs_t64"] = rel(g, forced["f64"]["grads"][name])
        table.append(row)
    loss_rel = {
        k: abs(dump["loss"] - res[k]["loss"]) / max(abs(res[k]["loss"]), TINY) for k in res
    }
    logits_rel = {k: rel(rust_logits, res[k]["logits"]) for k in res}
    rate_mean = {k: float(res[k]["rate"].mean()) for k in res}
    worst = {
        "f32": max([r["rust_vs_t32"] for r in table] + [loss_rel["f32"], logits_rel["f32"]]),
        "f64": max([r["rust_vs_t64"] for r in table] + [loss_rel["f64"], logits_rel["f64"]]),
    }
    summary = {
        "model": dump["model"],
        "seed": dump["seed"],
        "rows": dump["rows"],
        "input": dump.get("input"),
        "loss_rust": dump["loss"],
        "loss_t32": res["f32"]["loss"],
        "loss_t64": res["f64"]["loss"],
        "loss_rel_t32": loss_rel["f32"],
        "loss_rel_t64": loss_rel["f64"],
        "logits_rel_t32": logits_rel["f32"],
        "logits_rel_t64": logits_rel["f64"],
        "hidden_rate_rust": dump["hidden_rate"],
        "hidden_rate_t32": rate_mean["f32"],
        "hidden_rate_t64": rate_mean["f64"],
        "max_rel_rust_vs_t32": worst["f32"],
        "max_rel_rust_vs_t64": worst["f64"],
        "max_rel_t32_vs_t64": max(r["t32_vs_t64"] for r in table),
        "spikes": diag,
        "drive_grad_density": res["f64"]["drive_grad_density"],
        "hh_dt": dump.get("hh_dt"),
        "steps": dump["steps"],
        "ionic_gradient_share": ionic_share,
        "params": table,
        "seconds": time.time() - t0,
    }
    if forced is not None:
        summary["max_rel_forced_rust_vs_t32"] = max(r["forced_rust_vs_t32"] for r in table)
        summary["max_rel_forced_rust_vs_t64"] = max(r["forced_rust_vs_t64"] for r in table)
    unforced_ok = worst["f32"] <= tol and worst["f64"] <= tol
    if unforced_ok:
        status = "PASS"
    elif (
        forced is not None
        and diag["units_explained_by_rounding"] == diag["units_diverging"]
        and summary["max_rel_forced_rust_vs_t32"] <= tol
        and summary["max_rel_forced_rust_vs_t64"] <= tol
    ):
        # Every excess traces to a spike decision on a potential within rounding of an edge,
        # and with Rust's decisions imposed the gradients agree.
        status = "FLIP"
    else:
        status = "FAIL"
    summary["status"] = status
    summary["pass"] = bool(unforced_ok)
    if verbose:
        print_table(summary)
    return summary


def print_table(s):
    print(
        f"\n== {s['model']} seed {s['seed']} rows {s['rows']} ({s['input']}) "
        f"— {s['status']}"
    )
    print(
        f"loss rust {s['loss_rust']:.7f}  t32 {s['loss_t32']:.7f}  t64 {s['loss_t64']:.7f}  "
        f"rel {s['loss_rel_t32']:.2e} / {s['loss_rel_t64']:.2e};  logits rel "
        f"{s['logits_rel_t32']:.2e} / {s['logits_rel_t64']:.2e};  hidden rate rust "
        f"{s['hidden_rate_rust']:.5f} t64 {s['hidden_rate_t64']:.5f}"
    )
    dens = ", ".join(f"{v:.3f}" for v in s["drive_grad_density"])
    print(
        f"non-zero fraction of ∂L/∂drive (input maps): {dens} "
        f"(the engine sums the weight gradient over non-zeros only at ≤ 0.2)"
    )
    if s["ionic_gradient_share"] is not None:
        print(
            f"HH: dt {s['hh_dt']:g}, T {s['steps']}; gradient carried by the ionic path "
            f"(‖g − g_leak-only‖/‖g‖, t64): {s['ionic_gradient_share']:.2e}"
        )
    d = s["spikes"]
    print(
        f"potentials: {d['potentials']} (max |u| {d['potential_max_abs']:.3g}); rounding bound "
        f"{d['rounding_bound']:.2e} (measured, {d['reference']} vs t64); within it: "
        f"{d['near_threshold']} of θ, {d['near_window_edge']} of θ±w"
    )
    print(
        f"decisions {d['reference']} vs t64: {d['spike_flips']} spike flips, {d['window_flips']} "
        f"window flips in {d['units_diverging']} units ({d['units_explained_by_rounding']} "
        f"explained by rounding); t32 vs t64 spike flips {d['flips_t32_vs_t64']}; "
        f"max |Δu| {d['reference']}−t64 {d['max_abs_dpot_ref_t64']:.2e}"
    )
    for f in d["first_divergences"]:
        print(
            f"  first divergence: comp {f['comp']} step {f['step']} row {f['row']} neuron "
            f"{f['neuron']}: u {d['reference']} {f['u_ref']:.7f}, t64 {f['u_t64']:.7f}, edge "
            f"{f['edge']:g}{'' if f['explained'] else '  NOT within rounding'}"
        )
    forced = "forced_rust_vs_t32" in s["params"][0]
    head = f"{'parameter':<16}{'shape':<14}{'‖g‖ (t64)':>11}{'rust/t32':>11}{'rust/t64':>11}{'t32/t64':>11}"
    if forced:
        head += f"{'forced/t32':>12}{'forced/t64':>12}"
    print(head)
    for r in s["params"]:
        line = (
            f"{r['param']:<16}{'x'.join(map(str, r['shape'])):<14}{r['norm_t64']:>11.3e}"
            f"{r['rust_vs_t32']:>11.2e}{r['rust_vs_t64']:>11.2e}{r['t32_vs_t64']:>11.2e}"
        )
        if forced:
            line += f"{r['forced_rust_vs_t32']:>12.2e}{r['forced_rust_vs_t64']:>12.2e}"
        print(line)
    print(f"({s['seconds']:.1f}s)")


# ----------------------------------------------------------------------------- driver


def generate(binary, model, seed, rows, out, extra):
    cmd = [binary, "--model", model, "--seed", str(seed), "--rows", str(rows), "--out", out] + extra
    subprocess.run(cmd, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dumps", nargs="*", help="parity_dump JSON files")
    ap.add_argument("--generate", action="store_true", help="run parity_dump for --models × --seeds")
    ap.add_argument(
        "--models",
        nargs="+",
        default=MODELS,
        help="model ids; `fc` and `conv` stand for their groups (default: the FC models)",
    )
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--rows", type=int, default=16)
    ap.add_argument("--synthetic", action="store_true", help="pass --synthetic to parity_dump")
    ap.add_argument("--steps", type=int, default=None, help="pass --steps T to parity_dump")
    ap.add_argument("--hh-dt", default=None, help="pass --hh-dt DT to parity_dump (HH models)")
    ap.add_argument(
        "--conv-rows",
        type=int,
        default=None,
        help="rows of the conv models' dumps (default --rows; 4–8 keep them small)",
    )
    ap.add_argument("--binary", default="target/release/examples/parity_dump")
    ap.add_argument("--keep", default=None, help="folder to keep generated dumps in")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--allow-flips",
        action="store_true",
        help="exit 0 when every excess is a rounding-induced spike flip (status FLIP)",
    )
    ap.add_argument("--summary", default=None, help="write all JSON summaries to this file")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    t_start = time.time()
    summaries = []
    jobs = list(args.dumps)
    tmp = None
    if args.generate:
        folder = args.keep or (tmp := tempfile.mkdtemp(prefix="parity-"))
        os.makedirs(folder, exist_ok=True)
        extra = ["--synthetic"] if args.synthetic else []
        tag = ""
        if args.steps is not None:
            extra += ["--steps", str(args.steps)]
            tag += f"-T{args.steps}"
        models = []
        for m in args.models:
            models += {"fc": MODELS, "conv": CONV_MODELS}.get(m, [m])
        for model in models:
            if model not in MODELS + CONV_MODELS:
                ap.error(f"unknown model {model}")
            rows = args.conv_rows if model in CONV_MODELS and args.conv_rows else args.rows
            for seed in args.seeds:
                hh = args.hh_dt is not None and model in ("hh-fc", "hh-vd-fc", "hh-conv")
                name = f"{model}-seed{seed}-rows{rows}{tag}{f'-dt{args.hh_dt}' if hh else ''}"
                out = os.path.join(folder, name + ".json")
                more = ["--hh-dt", args.hh_dt] if hh else []
                generate(args.binary, model, seed, rows, out, extra + more)
                jobs.append(out)
    if not jobs:
        ap.error("give dump files or --generate")
    for path in jobs:
        with open(path) as f:
            dump = json.load(f)
        s = (compare_conv if dump.get("conv") else compare)(dump, args.tol)
        del dump
        s["dump"] = path
        summaries.append(s)
        brief = {k: v for k, v in s.items() if k != "params"}
        brief["max_rel_per_param_t32"] = {r["param"]: r["rust_vs_t32"] for r in s["params"]}
        brief["max_rel_per_param_t64"] = {r["param"]: r["rust_vs_t64"] for r in s["params"]}
        print("PARITY " + json.dumps(brief))
        if tmp is not None:
            os.remove(path)
    if tmp is not None:
        os.rmdir(tmp)

    print("\n== summary: worst relative error, Rust vs torch")
    print(
        f"{'model':<13}{'seed':>5}{'f32':>11}{'f64':>11}{'t32/t64':>11}{'flips':>7}"
        f"{'forced f32':>12}{'forced f64':>12}  result"
    )
    for s in summaries:
        flips = s["spikes"]["spike_flips"] + s["spikes"]["window_flips"]
        ff32 = s.get("max_rel_forced_rust_vs_t32")
        ff64 = s.get("max_rel_forced_rust_vs_t64")
        fmt = lambda v: f"{v:>12.2e}" if v is not None else f"{'—':>12}"  # noqa: E731
        print(
            f"{s['model']:<13}{s['seed']:>5}{s['max_rel_rust_vs_t32']:>11.2e}"
            f"{s['max_rel_rust_vs_t64']:>11.2e}{s['max_rel_t32_vs_t64']:>11.2e}{flips:>7}"
            f"{fmt(ff32)}{fmt(ff64)}  "
            f"{s['status']}"
        )
    ok = ("PASS", "FLIP") if args.allow_flips else ("PASS",)
    n_fail = sum(s["status"] not in ok for s in summaries)
    n_flip = sum(s["status"] == "FLIP" for s in summaries)
    if n_flip:
        print(
            f"{n_flip} case(s) differ only through spike decisions on potentials within rounding "
            f"of an edge (FLIP){'; allowed by --allow-flips' if args.allow_flips else ''}"
        )
    print(f"{len(summaries) - n_fail} passed, {n_fail} failed ({time.time() - t_start:.1f}s)")
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summaries, f, indent=1)
    sys.exit(1 if n_fail else 0)


if __name__ == "__main__":
    main()
