"""PyTorch 1.13 side of the paired benchmarks (bench/profile.ts): the engine's GPT-2 architecture
(tied LM head, pre-LayerNorm, tanh GELU, causal attention), fwd + bwd + AdamW, as a long-lived server
so that its samples can be interleaved with the engine's without paying Python's start-up each time.

stdin, one JSON object per line: {"name", "V", "T", "C", "L", "NH", "B", "threads", "seconds"}.
stdout, one JSON line per request: {"tokensPerSecond", "steps"} (steps timed for at least `seconds`).
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.NH = NH
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.fcproj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x, mask):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.NH, C // self.NH).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.NH))
        att = F.softmax(att.masked_fill(mask[:, :, :T, :T] == 0, float("-inf")), dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, V, T, C, L, NH):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.blocks = nn.ModuleList(Block(C, NH) for _ in range(L))
        self.lnf = nn.LayerNorm(C)
        self.register_buffer("mask", torch.tril(torch.ones(T, T)).view(1, 1, T, T))

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x, self.mask)
        logits = self.lnf(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


models = {}
for line in sys.stdin:
    req = json.loads(line)
    torch.set_num_threads(req["threads"])
    if req["name"] not in models:
        torch.manual_seed(0)
        model = GPT(req["V"], req["T"], req["C"], req["L"], req["NH"])
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
        models[req["name"]] = (model, opt)
    model, opt = models[req["name"]]
    B, T, V = req["B"], req["T"], req["V"]

    def step():
        idx = torch.randint(0, V, (B, T))
        targets = torch.randint(0, V, (B, T))
        opt.zero_grad(set_to_none=True)
        model(idx, targets).backward()
        opt.step()

    step()  # warm-up (allocator, thread pool at this thread count)
    steps, started = 0, time.perf_counter()
    while steps < 2 or time.perf_counter() - started < req["seconds"]:
        step()
        steps += 1
    elapsed = time.perf_counter() - started
    print(json.dumps({"tokensPerSecond": steps * B * T / elapsed, "steps": steps}), flush=True)
