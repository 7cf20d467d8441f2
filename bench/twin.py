#!/usr/bin/python3
"""PyTorch eager twin of MAKE-kit's model, loss and training step, for the benchmark.

The same architecture under OpenCLIP's parameter names (conv patch embedding, class token, learned
positions, pre-LN residual blocks with nn.MultiheadAttention, ln_post on all tokens, one projection
for the class and patch tokens; causal text tower pooled at argmax(ids)), the same MAKE loss
(MKCL + lambda * SLRA with DKW, compat or intended indexing) and CLIP loss, and AdamW with
OpenCLIP's parameter groups. It reads a fixture written by the kit (`org.makekit.bench.Fixture`):
config.json, weights.safetensors (OpenCLIP names) and batch.safetensors (pixels, token ids, mask).

Text work, two ways:
  official  every one of the B*(K+3) texts at the full context of 77 tokens, as the official
            training code does (empty sub-captions included);
  lean      each distinct text once, sorted by length and cut after its chunk's last EOT, as the
            kit does; the loss is the same.

Commands (each prints one JSON line on stdout):
  loss   --fixture DIR [--dtype float32|float64] [--text official|lean]
  train  --fixture DIR --warmup W --steps N [--text official|lean]
  embed  --fixture DIR --batches N
  peak   matmul GFLOP/s only

Run with Debian's python (`/usr/bin/python3`, package python3-torch) and libopenblas0-pthread:
without OpenBLAS, Debian's torch falls back to a reference BLAS and every figure is meaningless.
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "I64": torch.int64,
          "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        dt = DTYPES[t["dtype"]]
        if b > a:
            x = torch.frombuffer(data[a:b], dtype=dt).clone()
        else:
            x = torch.zeros(0, dtype=dt)
        out[name] = x.reshape(t["shape"])
    return out


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, mlp_ratio, quick_gelu, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, eps=eps)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width, eps=eps)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, hidden))
        self.mlp.add_module("gelu", QuickGELU() if quick_gelu else nn.GELU())
        self.mlp.add_module("c_proj", nn.Linear(hidden, width))

    def forward(self, x, mask=None):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_ratio, quick_gelu, eps):
        super().__init__()
        self.resblocks = nn.ModuleList([Block(width, heads, mlp_ratio, quick_gelu, eps) for _ in range(layers)])

    def forward(self, x, mask=None):
        for b in self.resblocks:
            x = b(x, mask)
        return x


class Visual(nn.Module):
    def __init__(self, v, embed, quick_gelu, eps):
        super().__init__()
        w, p = v["width"], v["patch_size"]
        g = v["image_size"] // p
        self.conv1 = nn.Conv2d(3, w, kernel_size=p, stride=p, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(w))
        self.positional_embedding = nn.Parameter(torch.zeros(g * g + 1, w))
        self.ln_pre = nn.LayerNorm(w, eps=eps)
        self.transformer = Transformer(w, v["layers"], v["heads"], v.get("mlp_ratio", 4.0), quick_gelu, eps)
        self.ln_post = nn.LayerNorm(w, eps=eps)
        self.proj = nn.Parameter(torch.zeros(w, embed))

    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)  # (B, P, W)
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.transformer(self.ln_pre(x))
        tokens = self.ln_post(x) @ self.proj  # ln_post on all tokens, one projection (MAKE)
        return tokens[:, 0], tokens[:, 1:]


class Clip(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        eps = cfg.get("ln_eps", 1e-5)
        quick = cfg.get("quick_gelu", False)
        t = cfg["text_cfg"]
        e = cfg["embed_dim"]
        self.visual = Visual(cfg["vision_cfg"], e, quick, eps)
        self.token_embedding = nn.Embedding(t["vocab_size"], t["width"])
        self.positional_embedding = nn.Parameter(torch.zeros(t["context_length"], t["width"]))
        self.transformer = Transformer(t["width"], t["layers"], t["heads"], t.get("mlp_ratio", 4.0), quick, eps)
        self.ln_final = nn.LayerNorm(t["width"], eps=eps)
        self.text_projection = nn.Parameter(torch.zeros(t["width"], e))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self._masks = {}

    def causal_mask(self, n, dtype):
        key = (n, dtype)
        if key not in self._masks:
            self._masks[key] = torch.full((n, n), float("-inf"), dtype=dtype).triu(1)
        return self._masks[key]

    def encode_text(self, ids):
        n = ids.shape[1]
        x = self.token_embedding(ids) + self.positional_embedding[:n]
        x = self.transformer(x, self.causal_mask(n, x.dtype))
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), ids.argmax(dim=-1)] @ self.text_projection


def encode_texts(model, ids, mode, chunk):
    """Features of every row of ids (nB, 77), in row order."""
    if mode == "official":
        return model.encode_text(ids)
    uniq, inverse = torch.unique(ids, dim=0, return_inverse=True)
    pool = uniq.argmax(dim=-1)
    order = torch.argsort(pool, stable=True)
    parts = []
    for s in range(0, len(order), chunk):
        idx = order[s:s + chunk]
        n = int(pool[idx].max()) + 1
        parts.append(model.encode_text(uniq[idx, :n]))
    feats = torch.empty(len(uniq), parts[0].shape[1], dtype=parts[0].dtype)
    feats[order] = torch.cat(parts)
    return feats[inverse]


# ---- losses (the kit's MakeLoss / ClipLoss, written again in PyTorch) ----

def dkw_weights(text, mask, b, n, compat):
    k = n - 3
    tt = text.detach()
    ont_rows = torch.tensor([b + i if compat else i * n + 1 for i in range(b)])
    sub_rows = torch.tensor([[(3 + j) * b + i if compat else i * n + 3 + j for j in range(k)] for i in range(b)])
    sims = torch.einsum("bkd,bd->bk", tt[sub_rows], tt[ont_rows]).double()
    w = torch.ones(b * n, dtype=torch.float64)
    for i in range(b):
        if not mask[i, 1]:
            continue
        valid = mask[i, 3:]
        if not valid.any():
            continue
        s = sims[i].masked_fill(~valid, float("-inf"))
        p = torch.softmax(s, 0)
        w[i * n + 3:i * n + 3 + k] = p / p.max()
    return w


def make_loss(image, patches, text, mask, scale, compat, k=8, slra=True, dkw=True, lam=0.7, sigma=0.0):
    b = image.shape[0]
    n = 3 + k
    t = b * n
    flat_mask = mask.reshape(-1)
    w = dkw_weights(text, mask, b, n, compat) if dkw else torch.ones(t, dtype=torch.float64)
    rows = torch.nonzero(flat_mask).squeeze(1)
    logits = image @ text.t() * scale
    ce_i2t = -logits.log_softmax(1)[rows // n, rows]
    ce_t2i = -logits.log_softmax(0)[rows // n, rows]
    wv = w[rows].to(image.dtype)
    i2t = ce_i2t.mean() if bool((wv == 1).all()) else (ce_i2t * wv).sum() / wv.sum()
    total = (i2t + ce_t2i.mean()) / 2
    parts = {"mkcl_i2t": i2t, "mkcl_t2i": ce_t2i.mean()}
    if slra:
        sel = torch.arange(b) if compat else torch.arange(b) * n
        tp = text[sel]
        sim = torch.bmm(patches, tp.unsqueeze(2)).squeeze(2)
        wts = sim * (sim.detach() >= sigma).to(sim.dtype)
        wn = wts / wts.norm(dim=1, keepdim=True).clamp_min(1e-12)
        pooled = torch.bmm(wn.unsqueeze(1), patches).squeeze(1)
        r = torch.arange(t)
        ignored = (r < b) if compat else (r % n == 0)
        srows = r[flat_mask & ~ignored]
        if len(srows) > 0:
            vlog = pooled @ text.t() * scale
            ce = -vlog.log_softmax(1)[srows // n, srows]
            sw = w[srows].to(image.dtype)
            s = ce.mean() if bool((sw == 1).all()) else (ce * sw).sum() / sw.sum()
        else:
            s = scale * 0
        parts["slra"] = s
        # SLRA's diagnostics, as the kit logs them: the share of open gates and the mean pooled-vector norm.
        parts["slra_gates_open"] = (sim.detach() >= sigma).to(sim.dtype).mean()
        parts["slra_pooled_norm"] = pooled.detach().norm(dim=1).mean()
        total = total + lam * s
    return total, parts


def clip_loss(image, text, scale):
    logits = image @ text.t() * scale
    target = torch.arange(image.shape[0])
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2, {}


# ---- the training step ----

def param_groups(model, wd):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.ndim < 2 or "bn" in name or "ln" in name or "bias" in name or "logit_scale" in name:
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": no_decay, "weight_decay": 0.0}, {"params": decay, "weight_decay": wd}]


class Fixture:
    def __init__(self, d, dtype):
        with open(os.path.join(d, "config.json")) as f:
            self.cfg = json.load(f)
        with open(os.path.join(d, "fixture.json")) as f:
            self.meta = json.load(f)
        self.model = Clip(self.cfg)
        sd = read_safetensors(os.path.join(d, "weights.safetensors"))
        self.model.load_state_dict({k: v for k, v in sd.items() if k in dict(self.model.named_parameters())}, strict=True)
        self.model.to(dtype)
        batch = read_safetensors(os.path.join(d, "batch.safetensors"))
        self.pixels = batch["pixels"].to(dtype)
        self.ids = batch["text_ids"]
        self.mask = batch["text_mask"].bool()
        self.method = self.meta["method"]
        self.compat = self.meta.get("mode", "compat") == "compat"
        self.k = self.meta.get("k", 8)
        self.chunk = self.meta.get("text_chunk", 64)


def loss_of(fx, text_mode):
    m = fx.model
    g, p = m.visual(fx.pixels)
    img = F.normalize(g, dim=-1)
    scale = m.logit_scale.exp()
    if fx.method == "clip":
        txt = F.normalize(encode_texts(m, fx.ids, text_mode, fx.chunk), dim=-1)
        return clip_loss(img, txt, scale)
    txt = F.normalize(encode_texts(m, fx.ids, text_mode, fx.chunk), dim=-1)
    return make_loss(img, F.normalize(p, dim=-1), txt, fx.mask, scale, fx.compat, fx.k)


def matmul_peak(n=1024, reps=20):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    for _ in range(3):
        a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["loss", "train", "embed", "peak"])
    ap.add_argument("--fixture")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--text", default="official", choices=["official", "lean"])
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    out = {"side": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads()}
    if a.command == "peak":
        out["matmul_gflops"] = matmul_peak()
        print(json.dumps(out))
        return
    fx = Fixture(a.fixture, torch.float64 if a.dtype == "float64" else torch.float32)
    if a.command == "loss":
        loss, parts = loss_of(fx, a.text)
        out.update(loss=loss.item(), parts={k: v.item() for k, v in parts.items()})
    elif a.command == "train":
        opt = torch.optim.AdamW(param_groups(fx.model, 0.1), lr=1e-5, betas=(0.9, 0.98), eps=1e-6)
        times, losses = [], []
        for s in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss, _ = loss_of(fx, a.text)
            loss.backward()
            opt.step()
            with torch.no_grad():
                fx.model.logit_scale.clamp_(0, math.log(100))
            if s >= a.warmup:
                times.append(time.perf_counter() - t0)
            losses.append(loss.item())
        out.update(step_s=times, losses=losses, images=fx.pixels.shape[0])
    elif a.command == "embed":
        times = []
        with torch.inference_mode():
            for s in range(a.batches + 1):
                t0 = time.perf_counter()
                g, _ = fx.model.visual(fx.pixels)
                F.normalize(g, dim=-1)
                if s > 0:
                    times.append(time.perf_counter() - t0)
        out.update(batch_s=times, images=fx.pixels.shape[0])
    out["matmul_gflops"] = matmul_peak()
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
