"""An independent PyTorch 1.13 Llama: the oracle for the engine's Llama (tests/unit/main/engine/model/
architectures/llama-torch.test.ts) and, with --bench, the PyTorch side of `npm run bench -- smollm`.

Written from the definitions, not from the engine's code: RMSNorm, rotary embeddings with Hugging Face's
rotate_half (inv_freq = 1 / θ^(2i/d) in float32), grouped-query attention (key/value heads repeated to
the query heads), SwiGLU MLP, optional q/k/v biases, tied or untied LM head. Parameters under Hugging
Face LlamaForCausalLM's names, nn.Linear [out, in].

Parity (stdin): one JSON line {config, tensors: [{name, shape}], windows: [[T + 1 ids]…], steps, lrs,
weightDecay, beta1, beta2, eps}, then the parameters as float32 little-endian in the order of `tensors`.
stdout: one JSON line {losses: [loss before each step]}, then float32: the gradients of step 1, then the
parameters after every step (tensor order each time).

Bench: --bench --threads N --batch B --steps S [--ctx T]: SmolLM2-135M's shape on random tokens, one JSON
line {tokensPerSecond, peakRssBytes}.
"""
import argparse
import json
import math
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.nh, self.kv = c["nHeads"], c["nKvHeads"]
        self.hs = c["dModel"] // self.nh
        bias = c["qkvBias"]
        self.q_proj = nn.Linear(c["dModel"], self.nh * self.hs, bias=bias)
        self.k_proj = nn.Linear(c["dModel"], self.kv * self.hs, bias=bias)
        self.v_proj = nn.Linear(c["dModel"], self.kv * self.hs, bias=bias)
        self.o_proj = nn.Linear(self.nh * self.hs, c["dModel"], bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.nh, self.hs).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv, self.hs).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv, self.hs).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(self.nh // self.kv, dim=1)
        v = v.repeat_interleave(self.nh // self.kv, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.hs)
        att = att.masked_fill(mask[:t, :t] == 0, float("-inf")).softmax(dim=-1)
        return self.o_proj((att @ v).transpose(1, 2).reshape(b, t, self.nh * self.hs))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["dModel"], c["ffnDim"], bias=False)
        self.up_proj = nn.Linear(c["dModel"], c["ffnDim"], bias=False)
        self.down_proj = nn.Linear(c["ffnDim"], c["dModel"], bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["dModel"], c["normEps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["dModel"], c["normEps"])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Inner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocabSize"], c["dModel"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["nLayers"]))
        self.norm = RMSNorm(c["dModel"], c["normEps"])


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = Inner(c)
        self.tied = c["tiedEmbeddings"]
        if not self.tied:
            self.lm_head = nn.Linear(c["dModel"], c["vocabSize"], bias=False)
        hs, T = c["dModel"] // c["nHeads"], c["seqLen"]
        inv_freq = 1.0 / (c["ropeTheta"] ** (torch.arange(0, hs, 2).float() / hs))
        freqs = torch.outer(torch.arange(T).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        self.register_buffer("mask", torch.tril(torch.ones(T, T)), persistent=False)

    def forward(self, idx, targets):
        t = idx.shape[1]
        x = self.model.embed_tokens(idx)
        cos, sin = self.cos[:t], self.sin[:t]
        for layer in self.model.layers:
            x = layer(x, cos, sin, self.mask)
        x = self.model.norm(x)
        head = self.model.embed_tokens.weight if self.tied else self.lm_head.weight
        logits = x @ head.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def parity():
    torch.set_num_threads(1)
    spec = json.loads(sys.stdin.buffer.readline())
    data = np.frombuffer(sys.stdin.buffer.read(), dtype="<f4")
    model = Llama(spec["config"])
    params = dict(model.named_parameters())
    names = [t["name"] for t in spec["tensors"]]
    assert sorted(names) == sorted(params), f"tensor names differ: {sorted(set(names) ^ set(params))}"
    at = 0
    with torch.no_grad():
        for t in spec["tensors"]:
            n = int(np.prod(t["shape"]))
            p = params[t["name"]]
            assert list(p.shape) == t["shape"], f"{t['name']}: {list(p.shape)} vs {t['shape']}"
            p.copy_(torch.from_numpy(data[at : at + n].copy()).view(p.shape))
            at += n
    assert at == data.size
    windows = torch.tensor(spec["windows"], dtype=torch.long)
    idx, targets = windows[:, :-1], windows[:, 1:]
    ordered = [params[n] for n in names]
    groups = [
        {"params": [p for p in ordered if p.dim() >= 2], "weight_decay": spec["weightDecay"]},
        {"params": [p for p in ordered if p.dim() < 2], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=spec["lrs"][0], betas=(spec["beta1"], spec["beta2"]), eps=spec["eps"], foreach=False)
    losses, out = [], bytearray()
    for s in range(spec["steps"]):
        for g in opt.param_groups:
            g["lr"] = spec["lrs"][s]
        opt.zero_grad(set_to_none=True)
        loss = model(idx, targets)
        loss.backward()
        losses.append(loss.item())
        if s == 0:
            for p in ordered:
                out += p.grad.detach().numpy().astype("<f4").tobytes()
        opt.step()
        for p in ordered:
            out += p.detach().numpy().astype("<f4").tobytes()
    sys.stdout.buffer.write((json.dumps({"losses": losses}) + "\n").encode())
    sys.stdout.buffer.write(bytes(out))
    sys.stdout.buffer.flush()


SMOLLM2_135M = dict(vocabSize=49152, dModel=576, nLayers=30, nHeads=9, nKvHeads=3, ffnDim=1536, normEps=1e-5,
                    ropeTheta=100000.0, tiedEmbeddings=True, qkvBias=False)


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = dict(SMOLLM2_135M, seqLen=args.ctx)
    model = Llama(c)
    for p in model.parameters():
        if p.dim() >= 2:
            nn.init.normal_(p, std=0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    rates = []
    for s in range(args.steps + 1):
        idx = torch.randint(0, c["vocabSize"], (args.batch, args.ctx + 1))
        started = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        model(idx[:, :-1], idx[:, 1:]).backward()
        opt.step()
        if s > 0:  # the first step warms the allocator and thread pool
            rates.append(args.batch * args.ctx / (time.perf_counter() - started))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"tokensPerSecond": statistics.median(rates), "peakRssBytes": peak}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--ctx", type=int, default=256)
    a = parser.parse_args()
    bench(a) if a.bench else parity()
