#!/usr/bin/env python3
"""Continue a CLLM Studio run with PyTorch: one process, or torchrun (DDP) on GPUs, CPUs or a cluster.

Written by CLLM Studio into a job folder (see README.md beside it). It re-implements the studio's
training exactly: each architecture the engine trains as the engine computes it — GPT-2
(pre-LayerNorm, tanh GELU, causal attention, tied LM head) and Llama (RMSNorm, rotary positions in
Hugging Face's rotate_half layout, grouped-query attention, SwiGLU, optional q/k/v biases as in
Qwen2, tied or untied LM head) —, AdamW with the same parameter groups (decay on matrices only), the
warm-up + cosine schedule, global-norm clipping, the seeded window sampler and its xoshiro128**
generator, so that one process draws the same batches as the studio. Under torchrun each rank takes
its slice of every global batch and DDP averages the gradients, so the result does not depend on
the world size beyond float reduction order. Rank 0 writes a run folder in the studio's format
(run.json, metrics.jsonl, checkpoint_step_N.safetensors, final_model.safetensors) that `cllm runs
import` brings back. Works on PyTorch 1.13 through 2.x; needs nothing else.
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import signal
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(message, code=2):
    """One line on stderr (from one rank only), then exit."""
    if os.environ.get("RANK", "0") == "0":
        print(f"Error: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def world():
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("LOCAL_RANK", "0"))


def plan_batches(batch_size, world_size, micro_batch):
    """Rows per rank and the micro-batches each rank runs; refuses a world size that cannot split the batch."""
    if batch_size % world_size != 0:
        divisors = [n for n in range(1, batch_size + 1) if batch_size % n == 0]
        fail(f"the global batch of {batch_size} windows cannot be split evenly over {world_size} processes; "
             f"use a world size that divides it ({', '.join(map(str, divisors))}) — gradient accumulation "
             f"(--micro-batch) then keeps the global batch")
    rows = batch_size // world_size
    micro = rows if not micro_batch else max(1, min(micro_batch, rows))
    return rows, [(i, min(rows, i + micro)) for i in range(0, rows, micro)]


def parse_args(argv):
    p = argparse.ArgumentParser(description="Continue a CLLM Studio run with PyTorch (one process or torchrun).")
    p.add_argument("--device", choices=["cuda", "cpu"], help="default: cuda when present, else cpu")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (and fused attention where the PyTorch has it)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch 2 or newer)")
    p.add_argument("--max-steps", type=int, help="the run's total steps, counting those already taken")
    p.add_argument("--out", help="where the run folder goes (default: runs/ beside train.py)")
    p.add_argument("--resume", help="a checkpoint (this job's or the studio's) or a run folder (its newest intact checkpoint)")
    p.add_argument("--micro-batch", type=int, help="windows per forward pass on each process (gradient accumulation); default: all of its share")
    p.add_argument("--threads", type=int, help="CPU threads per process (default: the cores divided by the processes on this node)")
    p.add_argument("--run-name", help="the run folder's name (default: <parent>-from-<step>)")
    p.add_argument("--stop-after", type=int, help="stop with a checkpoint once this step is done (the schedule stays the run's; e.g. a time-limited slot)")
    return p.parse_args(argv)

def refuse_early():
    """A world size that cannot split the batch (and a bad flag) is refused before PyTorch is even imported."""
    args = parse_args(sys.argv[1:])
    if args.resume:
        return  # the batch is the checkpoint's: checked once it is read
    config = read_json(os.path.join(HERE, "config.json"))
    plan_batches(int(config["training"]["batchSize"]), world()[1], args.micro_batch)


if __name__ == "__main__":
    refuse_early()

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    fail("this job needs PyTorch 1.13 or newer, which this Python lacks: pip install -r requirements.txt (or: pip install torch)")

if tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2] if part.isdigit()) < (1, 13):
    fail(f"this job needs PyTorch 1.13 or newer, and this Python has {torch.__version__}: pip install -r requirements.txt")

sys.path.insert(0, HERE)
import safetensors_io as st  # noqa: E402

LAYER_NORM_EPS = 1e-5
MIN_LR_RATIO = 0.1
VALIDATION_WINDOWS = 64
RECENT_LOSSES = 50
TRAIN_LOSS_WINDOW = 100
EPOCH_STREAM = 0xE90C
MASK32 = 0xFFFFFFFF


# ── the engine's generator (src/main/engine/rng.ts): xoshiro128**, seeds expanded by splitmix32 ─────

def _imul(a, b):
    return (a * b) & MASK32


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK32


def _mix_words(seed, stream):
    h = 0x811C9DC5
    words = [seed & MASK32, (abs(seed) // 2**32) & MASK32, 1 if seed < 0 else 0] + [w & MASK32 for w in stream]
    for word in words:
        h = _imul(h ^ word, 0x01000193)
        h = _imul(h ^ (h >> 15), 0x2C1B3C6D)
    return h


class Rng:
    def __init__(self, state):
        self.s = [w & MASK32 for w in state]
        if not any(self.s):
            self.s[0] = 1

    @classmethod
    def seeded(cls, seed, *stream):
        x = _mix_words(seed, stream)
        out = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & MASK32
            z = x
            z = _imul(z ^ (z >> 16), 0x85EBCA6B)
            z = _imul(z ^ (z >> 13), 0xC2B2AE35)
            out.append((z ^ (z >> 16)) & MASK32)
        return cls(out)

    def next_uint32(self):
        s = self.s
        s0, s1 = s[0], s[1]
        result = _imul(_rotl(_imul(s1, 5), 7), 9)
        s2 = s[2] ^ s0
        s3 = s[3] ^ s1
        s[0] = s0 ^ s3
        s[1] = s1 ^ s2
        s[2] = s2 ^ ((s1 << 9) & MASK32)
        s[3] = _rotl(s3, 11)
        return result

    def next_int(self, n):
        limit = 2**32 - (2**32 % n)
        while True:
            x = self.next_uint32()
            if x < limit:
                return x % n


# ── the seeded window sampler (src/main/engine/dataset/sampler.ts) ───────────────────────────────

class Sampler:
    """Every non-overlapping window of the range once per epoch, in a seeded order from a seeded offset."""

    def __init__(self, start, end, seq_len, batch_size, seed, drawn=0):
        self.start, self.end, self.seq_len, self.batch_size, self.seed = start, end, seq_len, batch_size, seed
        self.windows_per_epoch = (end - start - 1) // seq_len
        if self.windows_per_epoch < 1:
            raise ValueError(f"the range [{start}, {end}) holds no window of {seq_len + 1} tokens")
        self.steps_per_epoch = -(-self.windows_per_epoch // batch_size)
        self.drawn = drawn
        self._epoch = -1
        self._order = []
        self._offset = 0

    def state(self):
        return {"version": 1, "range": {"start": self.start, "end": self.end}, "seqLen": self.seq_len,
                "batchSize": self.batch_size, "seed": self.seed, "drawn": self.drawn}

    @property
    def epoch_progress(self):
        return self.drawn / self.windows_per_epoch

    def next_starts(self):
        starts = []
        for _ in range(self.batch_size):
            epoch = self.drawn // self.windows_per_epoch
            self._prepare(epoch)
            k = self._order[self.drawn - epoch * self.windows_per_epoch]
            starts.append(self.start + self._offset + k * self.seq_len)
            self.drawn += 1
        return starts

    def _prepare(self, epoch):
        if epoch == self._epoch:
            return
        rng = Rng.seeded(self.seed, EPOCH_STREAM, epoch)
        slack = self.end - self.start - (self.windows_per_epoch * self.seq_len + 1)
        self._offset = rng.next_int(slack + 1)
        order = list(range(self.windows_per_epoch))
        for i in range(len(order) - 1, 0, -1):
            j = rng.next_int(i + 1)
            order[i], order[j] = order[j], order[i]
        self._order = order
        self._epoch = epoch


def validation_starts(start, end, seq_len, most):
    available = (end - start - 1) // seq_len
    count = max(0, min(most, available))
    stride = available // count if count > 0 else 0
    return [start + i * stride * seq_len for i in range(count)]


# ── the schedule (src/main/engine/session/schedule.ts) ───────────────────────────────────────────

def learning_rate(schedule, step):
    hold = schedule.get("hold")
    if hold and step >= hold["from"]:
        return hold["rate"]
    peak, warmup, total = schedule["peak"], schedule["warmup"], schedule["totalSteps"]
    if step < warmup:
        return peak * (step + 1) / warmup
    decay_steps = max(1, total - warmup - 1)
    progress = min(1.0, max(0.0, (step - warmup) / decay_steps))
    low = peak * MIN_LR_RATIO
    return low + 0.5 * (peak - low) * (1 + math.cos(math.pi * progress))


def warmup_steps(training, total_steps):
    warmup = training.get("warmup")
    return warmup if warmup is not None else min(100, total_steps // 20)


def schedule_for(base, stored, start_step, resumed_file):
    """A resume within the planned total continues the curve; extending a finished run holds its last rate."""
    if start_step == 0 or resumed_file is None:
        return base
    parent = stored.get("schedule") if isinstance(stored.get("schedule"), dict) else None
    if parent is None and os.path.basename(resumed_file) == "final_model.safetensors":
        training = stored.get("training") or {}
        parent = {"peak": training.get("learningRate", base["peak"]),
                  "warmup": warmup_steps(training, start_step), "totalSteps": start_step}
    if parent is None:
        return base
    hold = parent.get("hold")
    if hold and start_step >= hold["from"]:
        return dict(base, hold=hold)
    if start_step >= parent["totalSteps"]:
        return dict(base, hold={"from": start_step, "rate": learning_rate(parent, start_step - 1)})
    return base


# ── the model (src/main/engine/model/gpt.ts; tensors and [in, out] layout of Hugging Face GPT-2) ──

class Weight(nn.Module):
    def __init__(self, *shape):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(*shape))


class Norm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, LAYER_NORM_EPS)


class Conv1D(nn.Module):
    """y = x · W + b with W stored [in, out], as GPT-2 and the engine store it."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class Attention(nn.Module):
    def __init__(self, c, heads, fused):
        super().__init__()
        self.c_attn = Conv1D(c, 3 * c)
        self.c_proj = Conv1D(c, c)
        self.heads = heads
        self.fused = fused

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        if self.fused:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.heads))
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
            y = att @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = Conv1D(c, 4 * c)
        self.c_proj = Conv1D(4 * c, c)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, c, heads, fused):
        super().__init__()
        self.ln_1 = Norm(c)
        self.attn = Attention(c, heads, fused)
        self.ln_2 = Norm(c)
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Parameter names are the studio's (Hugging Face GPT-2's without `transformer.`); the head is wte."""

    def __init__(self, model, fused=False):
        super().__init__()
        V, T, C = model["vocabSize"], model["seqLen"], model["dModel"]
        self.wte = Weight(V, C)
        self.wpe = Weight(T, C)
        self.h = nn.ModuleList(Block(C, model["nHeads"], fused) for _ in range(model["nLayers"]))
        self.ln_f = Norm(C)

    def forward(self, idx, targets):
        """Σ cross-entropy over every position (the caller divides by the global batch's positions)."""
        T = idx.shape[1]
        x = F.embedding(idx, self.wte.weight) + self.wpe.weight[:T]
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]).float(), targets.reshape(-1), reduction="sum")


def param_names(model):
    """The tensors in the studio's layout order (src/main/engine/checkpoints/gpt2-layout.ts)."""
    names = ["wte.weight", "wpe.weight"]
    for layer in range(model["nLayers"]):
        h = f"h.{layer}."
        names += [h + n for n in ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                                  "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                                  "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias")]
    return names + ["ln_f.weight", "ln_f.bias"]


# ── the Llama model (src/main/engine/model/architectures/llama.ts; Hugging Face LlamaForCausalLM's
#    tensor names and nn.Linear [out, in] shapes) ────────────────────────────────────────────────

def llama_shape(model):
    """The run's Llama fields with the engine's defaults filled in (run.json names: model.nKvHeads …)."""
    C, NH = model["dModel"], model["nHeads"]
    ffn = model.get("ffnDim")
    if ffn is None:  # src/shared/architectures.ts defaultFfnDim: 8/3 of the width, a multiple of 4
        ffn = -(-int(math.floor((8 * C) / 3 + 0.5)) // 4) * 4
    shape = {"C": C, "NH": NH, "KV": model.get("nKvHeads") or NH, "hs": C // NH, "I": ffn,
             "eps": float(model.get("normEps", 1e-5)), "theta": float(model.get("ropeTheta", 10000)),
             "tied": bool(model.get("tiedEmbeddings", True)), "bias": bool(model.get("qkvBias", False))}
    if C % NH or NH % shape["KV"] or shape["hs"] % 2:
        fail(f"the Llama config is inconsistent: {NH} heads, {shape['KV']} key/value heads, width {C}")
    return shape


def rope_table(T, hs, theta):
    """cos and sin [T, hs] as the engine's ropeTable computes them: inv_freq_i = 1 / θ^(2i/hs), angle = t · inv_freq_i,
    each step rounded to float32 as Math.fround does there, the cosine and sine taken in double."""
    half = hs // 2
    f32 = lambda t: t.float().double()  # noqa: E731
    exponent = f32(torch.arange(half, dtype=torch.float64) * 2 / hs)
    inv_freq = f32(1 / f32(torch.full((half,), float(theta), dtype=torch.float64) ** exponent))
    angle = f32(torch.arange(T, dtype=torch.float64).unsqueeze(1) * inv_freq)
    return torch.cat([angle.cos(), angle.cos()], 1).float(), torch.cat([angle.sin(), angle.sin()], 1).float()


class RMSNorm(nn.Module):
    def __init__(self, c, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class Projection(nn.Module):
    """y = x · Wᵀ (+ b): W stored [out, in] as nn.Linear and the engine store it."""

    def __init__(self, n_in, n_out, bias=False):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_out, n_in))
        if bias:
            self.bias = nn.Parameter(torch.zeros(n_out))
        else:
            self.bias = None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


def rotate(x, cos, sin):
    """Hugging Face's rotate_half: the first half of each head pairs with the second."""
    half = x.shape[-1] // 2
    return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin


class LlamaAttention(nn.Module):
    def __init__(self, s, fused):
        super().__init__()
        self.nh, self.kv, self.hs = s["NH"], s["KV"], s["hs"]
        self.q_proj = Projection(s["C"], s["NH"] * s["hs"], s["bias"])
        self.k_proj = Projection(s["C"], s["KV"] * s["hs"], s["bias"])
        self.v_proj = Projection(s["C"], s["KV"] * s["hs"], s["bias"])
        self.o_proj = Projection(s["NH"] * s["hs"], s["C"])
        self.fused = fused

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        q = rotate(self.q_proj(x).view(B, T, self.nh, self.hs).transpose(1, 2), cos, sin)
        k = rotate(self.k_proj(x).view(B, T, self.kv, self.hs).transpose(1, 2), cos, sin)
        v = self.v_proj(x).view(B, T, self.kv, self.hs).transpose(1, 2)
        if self.kv != self.nh:  # query head h reads key/value head h // (NH / KV)
            k = k.repeat_interleave(self.nh // self.kv, dim=1)
            v = v.repeat_interleave(self.nh // self.kv, dim=1)
        if self.fused:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hs))
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
            y = att @ v
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.nh * self.hs))


class SwiGLU(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.gate_proj = Projection(s["C"], s["I"])
        self.up_proj = Projection(s["C"], s["I"])
        self.down_proj = Projection(s["I"], s["C"])

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self, s, fused):
        super().__init__()
        self.input_layernorm = RMSNorm(s["C"], s["eps"])
        self.self_attn = LlamaAttention(s, fused)
        self.post_attention_layernorm = RMSNorm(s["C"], s["eps"])
        self.mlp = SwiGLU(s)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaInner(nn.Module):
    def __init__(self, model, s, fused):
        super().__init__()
        self.embed_tokens = Weight(model["vocabSize"], s["C"])
        self.layers = nn.ModuleList(LlamaLayer(s, fused) for _ in range(model["nLayers"]))
        self.norm = RMSNorm(s["C"], s["eps"])


class Llama(nn.Module):
    """Parameter names are the studio's (Hugging Face LlamaForCausalLM's); the head is lm_head or, tied, embed_tokens."""

    def __init__(self, model, fused=False):
        super().__init__()
        s = llama_shape(model)
        self.model = LlamaInner(model, s, fused)
        self.lm_head = Projection(s["C"], model["vocabSize"]) if not s["tied"] else None
        cos, sin = rope_table(model["seqLen"], s["hs"], s["theta"])
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def forward(self, idx, targets):
        """Σ cross-entropy over every position (the caller divides by the global batch's positions)."""
        T = idx.shape[1]
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        x = F.embedding(idx, self.model.embed_tokens.weight)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        head = self.model.embed_tokens.weight if self.lm_head is None else self.lm_head.weight
        logits = self.model.norm(x) @ head.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]).float(), targets.reshape(-1), reduction="sum")


def llama_param_names(model):
    """The tensors in the studio's Llama layout order (q | k | v and gate | up back to back, then the biases)."""
    s = llama_shape(model)
    names = ["model.embed_tokens.weight"]
    for layer in range(model["nLayers"]):
        p = f"model.layers.{layer}."
        names += [p + "input_layernorm.weight"] + [p + f"self_attn.{x}_proj.weight" for x in "qkv"]
        if s["bias"]:
            names += [p + f"self_attn.{x}_proj.bias" for x in "qkv"]
        names += [p + n for n in ("self_attn.o_proj.weight", "post_attention_layernorm.weight",
                                  "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight")]
    return names + ["model.norm.weight"] + ([] if s["tied"] else ["lm_head.weight"])


ARCHITECTURES = {"gpt2": (GPT, None), "llama": (Llama, llama_param_names)}


def architecture_of(model):
    """The run's architecture (absent: GPT-2, as runs made before `architecture` existed)."""
    name = model.get("architecture") or "gpt2"
    if name not in ARCHITECTURES:
        fail(f"this train.py knows the architectures {', '.join(sorted(ARCHITECTURES))}, not {name!r}: export the job again from a newer CLLM Studio")
    return name


def build_model(model, fused=False):
    return ARCHITECTURES[architecture_of(model)][0](model, fused=fused)


def model_param_names(model):
    names = ARCHITECTURES[architecture_of(model)][1]
    return names(model) if names else param_names(model)


# ── the job's files ──────────────────────────────────────────────────────────────────────────────


def load_tokens(job_dir, part, dtype):
    """One range of the run's token stream, on the CPU (the file is little-endian uint16 or uint32).

    uint16 ids are kept as int32 and uint32 ids as int64: two bytes per token more than the file, not six.
    """
    path = os.path.join(job_dir, part["file"])
    width = 2 if dtype == "uint16" else 4
    count = part["count"]
    if os.path.getsize(path) != count * width:
        fail(f"{part['file']} holds {os.path.getsize(path)} bytes, not the {count * width} dataset.json says")
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    if "sha256" in part and hashlib.sha256(raw).hexdigest() != part["sha256"]:
        fail(f"{part['file']} does not match its SHA-256 in dataset.json (the copy is damaged): copy the job again")
    if count == 0:
        return torch.zeros(0, dtype=torch.int64)
    if width == 2:
        return torch.frombuffer(raw, dtype=torch.int16, count=count).to(torch.int32) & 0xFFFF
    return torch.frombuffer(raw, dtype=torch.int32, count=count).to(torch.int64) & MASK32


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_json_atomic(path, value):
    st.write_atomic(path, [(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")])


def finite_or_none(x):
    return x if x is not None and math.isfinite(x) else None


def step_files(run_dir):
    out = []
    for name in os.listdir(run_dir):
        if name.startswith("checkpoint_step_") and name.endswith(".safetensors") and st.TEMP_MARKER not in name:
            digits = name[len("checkpoint_step_"):-len(".safetensors")]
            if digits.isdigit():
                out.append((int(digits), os.path.join(run_dir, name)))
    return sorted(out)


def latest_intact_checkpoint(run_dir):
    """A run folder given to --resume: its final model, else its newest checkpoint that verifies."""
    candidates = [(math.inf, os.path.join(run_dir, "final_model.safetensors"))] + step_files(run_dir)
    for _, path in sorted(candidates, reverse=True):
        if os.path.isfile(path) and not os.path.islink(path):
            try:
                st.load_checkpoint(path)
                return path
            except (st.CheckpointError, OSError, ValueError, KeyError):
                continue
    fail(f"{run_dir} holds no intact checkpoint to resume")


def apply_retention(run_dir, keep):
    """Keeps the newest `keep` periodic checkpoints and the one with the lowest validation loss."""
    entries = []
    for step, path in step_files(run_dir):
        if os.path.islink(path):
            continue
        try:
            header, _, _ = st.read_header(path)
            val = json.loads(header[st.METADATA_KEY]["losses"]).get("val")
        except (st.CheckpointError, OSError, ValueError, KeyError):
            continue
        entries.append((step, path, val))
    entries.sort(key=lambda e: -e[0])
    kept = {e[1] for e in entries[:keep]}
    best = None
    for entry in entries:
        if entry[2] is not None and math.isfinite(entry[2]) and (best is None or entry[2] < best[2]):
            best = entry
    if best:
        kept.add(best[1])
    for _, path, _ in entries:
        if path not in kept:
            os.remove(path)


def unique_run_dir(root, base):
    os.makedirs(root, exist_ok=True)
    for attempt in range(1, 10000):
        path = os.path.join(root, base if attempt == 1 else f"{base}-{attempt}")
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue
    fail(f"no free run folder name for {base} in {root}")


def safe_stem(text):
    out = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in text).lstrip("._-")
    return (out or "run")[:80]


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ── distributed set-up ───────────────────────────────────────────────────────────────────────────



def main(argv=None):
    args = parse_args(argv)
    rank, world_size, local_rank = world()
    job = read_json(os.path.join(HERE, "job.json"))
    if job.get("format") != "cllm-job" or job.get("formatVersion") != 1:
        fail("job.json is not a CLLM job of format version 1")
    dataset = read_json(os.path.join(HERE, job["dataset"]))

    start_file = os.path.abspath(args.resume) if args.resume else os.path.join(HERE, job["start"])
    if args.resume and os.path.isdir(start_file):
        start_file = latest_intact_checkpoint(start_file)
    try:
        meta, tensors = st.load_checkpoint(start_file)
    except (st.CheckpointError, OSError) as error:
        fail(f"checkpoint {start_file} cannot be used: {error}")
    config = json.loads(meta["config"])
    model_cfg, training = config["model"], dict(config.get("training") or {})
    if args.max_steps is not None:
        training["maxSteps"] = args.max_steps
    if args.resume:
        job_start = st.read_header(os.path.join(HERE, job["start"]))[0][st.METADATA_KEY]
        if meta["corpus_fingerprint"] != job_start["corpus_fingerprint"] or meta["tokenizer"] != job_start["tokenizer"]:
            fail(f"{start_file} was trained on another corpus or tokenizer than this job's dataset")
    if model_cfg["vocabSize"] != dataset["vocabSize"]:
        fail(f"the model's vocabulary ({model_cfg['vocabSize']}) is not the dataset's ({dataset['vocabSize']})")
    batch_size = int(training["batchSize"])
    rows, micro = plan_batches(batch_size, world_size, args.micro_batch)  # before any heavy work

    if args.compile and not hasattr(torch, "compile"):
        fail(f"--compile needs PyTorch 2 or newer; this is {torch.__version__}")
    device_kind = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device_kind == "cuda" and not torch.cuda.is_available():
        fail("--device cuda was asked for, but this PyTorch sees no CUDA GPU")
    if device_kind == "cpu":
        # torchrun sets OMP_NUM_THREADS=1 per worker; share this node's cores instead.
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // local_world))
    device = torch.device(f"cuda:{local_rank}" if device_kind == "cuda" else "cpu")
    if device_kind == "cuda":
        torch.cuda.set_device(device)
    distributed = world_size > 1
    if distributed:
        import torch.distributed as dist
        dist.init_process_group(backend="nccl" if device_kind == "cuda" else "gloo")

    seq_len = model_cfg["seqLen"]
    train_tokens = load_tokens(HERE, dataset["train"], dataset["dtype"])
    val_tokens = load_tokens(HERE, dataset["validation"], dataset["dtype"])
    train_base, val_base = dataset["train"]["start"], dataset["validation"]["start"]
    sampler_state = json.loads(meta["sampler"])
    sampler = Sampler(dataset["train"]["start"], dataset["train"]["end"], seq_len, batch_size,
                      int(training.get("seed", 0)), int(sampler_state["drawn"]))
    val_starts = validation_starts(dataset["validation"]["start"], dataset["validation"]["end"], seq_len, VALIDATION_WINDOWS)

    fused = args.bf16 and hasattr(F, "scaled_dot_product_attention")
    model = build_model(model_cfg, fused=fused)
    params, adam_m, adam_v = st.split_state(tensors)
    names = model_param_names(model_cfg)
    own = dict(model.named_parameters())
    if set(own) != set(params) or set(names) != set(own):
        fail(f"{start_file} does not hold the tensors of this model")
    with torch.no_grad():
        for name in names:
            own[name].copy_(params[name])
    model.to(device)
    start_step = int(meta["step"])
    decay = [own[n] for n in names if own[n].dim() >= 2]
    no_decay = [own[n] for n in names if own[n].dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": float(training.get("weightDecay", 0.01))},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=0.0, betas=(float(training.get("beta1", 0.9)), float(training.get("beta2", 0.999))),
        eps=float(training.get("eps", 1e-8)))
    for name in names:
        optimizer.state[own[name]] = {
            "step": torch.tensor(float(start_step)),
            "exp_avg": adam_m[name].to(device).clone(),
            "exp_avg_sq": adam_v[name].to(device).clone(),
        }
    net = ddp = model
    if distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP
        net = ddp = DDP(model, device_ids=[local_rank] if device_kind == "cuda" else None)
    if args.compile:
        net = torch.compile(net)

    steps_per_epoch = sampler.steps_per_epoch
    total_steps = int(training["maxSteps"]) if training.get("maxSteps") is not None else int(training.get("epochs", 1)) * steps_per_epoch
    base = {"peak": float(training["learningRate"]), "warmup": warmup_steps(training, total_steps), "totalSteps": total_steps}
    schedule = schedule_for(base, config, start_step, start_file if args.resume else None)
    grad_clip = float(training.get("gradClip", 1.0))
    eval_interval = int(training.get("evalInterval", 100))
    checkpoint_interval = int(training.get("checkpointInterval", 500))
    keep = int(training.get("keep", 3))
    autocast = (lambda: torch.autocast(device_type=device_kind, dtype=torch.bfloat16)) if args.bf16 else None

    def windows(token_data, base_offset, starts):
        """Inputs and next-token targets of the windows starting at these stream offsets."""
        index = torch.tensor(starts, dtype=torch.int64).unsqueeze(1) - base_offset + torch.arange(seq_len + 1)
        w = token_data[index].to(device=device, dtype=torch.int64)
        return w[:, :-1], w[:, 1:]

    def forward(m, x, y):
        if autocast:
            with autocast():
                return m(x, y)
        return m(x, y)

    def all_sum(value):
        if not distributed:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=device)
        torch.distributed.all_reduce(t)
        return float(t.item())

    def evaluate():
        if not val_starts:
            return math.nan
        mine = val_starts[rank::world_size]
        total = 0.0
        with torch.no_grad():
            for i in range(0, len(mine), max(1, micro[0][1] - micro[0][0])):
                x, y = windows(val_tokens, val_base, mine[i:i + micro[0][1] - micro[0][0]])
                total += float(forward(model, x, y))
        return all_sum(total) / (len(val_starts) * seq_len)

    # rank 0's run folder
    parent = job["parent"] if not args.resume else {
        "runDir": os.path.dirname(start_file) if os.path.isfile(os.path.join(os.path.dirname(start_file), "run.json")) else None,
        "runName": os.path.basename(os.path.dirname(start_file)) if os.path.isfile(os.path.join(os.path.dirname(start_file), "run.json")) else None,
        "checkpoint": start_file, "step": start_step, "sha256": sha256_file(start_file)}
    tokenizer_kind = meta["tokenizer_kind"]
    vocab_size = model_cfg["vocabSize"]
    started = iso_now()
    run_dir = None
    run_info = None
    if rank == 0:
        stem = parent.get("runName") or os.path.basename(parent["checkpoint"]).replace(".safetensors", "")
        out_root = os.path.abspath(args.out) if args.out else os.path.join(HERE, "runs")
        run_dir = os.path.join(out_root, args.run_name) if args.run_name else unique_run_dir(out_root, f"{safe_stem(stem)}-from-{start_step}")
        if args.run_name:
            os.makedirs(out_root, exist_ok=True)
            try:
                os.mkdir(run_dir)
            except FileExistsError:
                fail(f"{run_dir} exists already; choose another --run-name")
        run_config = {k: v for k, v in config.items() if k not in ("schedule", "paths")}
        run_config["training"] = dict(training)
        run_info = {
            "name": os.path.basename(run_dir), "created": started, "started": started, "config": run_config,
            "corpusFingerprint": meta["corpus_fingerprint"], "tokenizer": {"kind": tokenizer_kind, "vocabSize": vocab_size},
            "parent": parent, "pid": os.getpid(),
            "job": {"worldSize": world_size, "device": device_kind, "torch": torch.__version__, "host": socket.gethostname(),
                    "bf16": bool(args.bf16), "compile": bool(args.compile)},
        }
        write_json_atomic(os.path.join(run_dir, "run.json"), run_info)
        print(f"train.py: run folder {run_dir}; steps {start_step} → {total_steps}; {world_size} process(es) on {device_kind}", flush=True)

    losses_meta = json.loads(meta["losses"])
    recent_train = list(losses_meta.get("recentTrain") or [])
    recent_val = list(losses_meta.get("recentVal") or [])
    val_loss = losses_meta.get("val")
    last_train = losses_meta.get("train")
    window = [e["loss"] for e in recent_train if e.get("loss") is not None]
    metrics_buffer = []
    timing = {"train": 0.0, "eval": 0.0, "checkpoint": 0.0, "tokens": 0}
    stop = {"requested": False, "after": False}

    def on_signal(signum, _frame):
        stop["requested"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def flush_metrics():
        if rank == 0 and metrics_buffer:
            with open(os.path.join(run_dir, "metrics.jsonl"), "a", encoding="utf-8") as f:
                f.write("".join(json.dumps(r, allow_nan=False) + "\n" for r in metrics_buffer))
            metrics_buffer.clear()

    def record(step, epoch, loss, lr, grad_norm, tokens_per_s, val=None, with_val=False):
        r = {"step": step, "epoch": epoch, "loss": finite_or_none(loss)}
        if with_val:
            r["val_loss"] = finite_or_none(val)
        r.update({"lr": lr, "grad_norm": grad_norm, "tokens_per_s": tokens_per_s, "time": iso_now()})
        metrics_buffer.append(r)

    def do_evaluate(step):
        nonlocal val_loss
        t0 = time.perf_counter()
        value = evaluate()
        timing["eval"] += time.perf_counter() - t0
        val_loss = finite_or_none(value)
        recent_val.append({"step": step, "loss": val_loss})
        del recent_val[:-RECENT_LOSSES]
        return value

    def save(step, kind):
        if rank != 0:
            return
        flush_metrics()
        t0 = time.perf_counter()
        path = os.path.join(run_dir, "final_model.safetensors" if kind == "final" else f"checkpoint_step_{step}.safetensors")
        mean = sum(window) / len(window) if window else None
        stored_config = dict(config)
        stored_config["training"] = dict(training)
        stored_config["schedule"] = schedule
        ordered = [(n, own[n]) for n in names]
        ordered += [(st.ADAM_M_PREFIX + n, optimizer.state[own[n]]["exp_avg"]) for n in names]
        ordered += [(st.ADAM_V_PREFIX + n, optimizer.state[own[n]]["exp_avg_sq"]) for n in names]
        fields = {
            "config": stored_config, "tokenizer_kind": tokenizer_kind, "tokenizer": meta["tokenizer"], "step": step,
            "epoch": sampler.epoch_progress, "sampler": sampler.state(),
            "rng": {"seed": sampler.seed, "windowsDrawn": sampler.drawn},
            "losses": {"train": finite_or_none(last_train), "val": val_loss, "recentTrain": recent_train,
                       "recentVal": recent_val, "trainMean": mean, "trainWindow": len(window)},
            "created": iso_now(), "corpus_fingerprint": meta["corpus_fingerprint"],
        }
        hold_path = os.environ.get("CLLM_JOB_TEST_HOLD_SAVE")
        hold_step = int(os.environ.get("CLLM_JOB_TEST_HOLD_STEP", "-1"))

        def hold(temp):  # test hook: park half-way through a save so a test can kill the process there
            with open(hold_path, "w") as marker:
                marker.write(temp)
            while True:
                time.sleep(3600)
        st.save_checkpoint(path, ordered, fields, hold=hold if hold_path and step == hold_step else None)
        if kind == "periodic":
            apply_retention(run_dir, keep)
        timing["checkpoint"] += time.perf_counter() - t0

    def end(reason, step, message=None):
        if rank != 0:
            return
        flush_metrics()
        ended = {"reason": reason, "step": step, "at": iso_now()}
        if message:
            ended["message"] = message
        ended.update({"tokensPerSec": timing["tokens"] / timing["train"] if timing["train"] > 0 else 0,
                      "trainSec": timing["train"], "evalSec": timing["eval"], "checkpointSec": timing["checkpoint"]})
        info = dict(run_info)
        info.pop("pid", None)
        info["ended"] = ended
        write_json_atomic(os.path.join(run_dir, "run.json"), info)

    step = start_step
    if step == 0 and val_starts:
        v = do_evaluate(0)
        record(0, 0, None, 0, 0, 0, v, with_val=True)
    tokens_per_s = 0.0
    outcome = "completed"
    try:
        while step < total_steps:
            if distributed:  # a signal reaches the ranks at different moments: they stop together
                flag = torch.tensor([1.0 if stop["requested"] else 0.0], device=device)
                torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
                stop["requested"] = bool(flag.item())
            if stop["requested"]:
                outcome = "stopped"
                break
            epoch = step // steps_per_epoch
            starts = sampler.next_starts()
            lr = learning_rate(schedule, step)
            t0 = time.perf_counter()
            mine = starts[rank * rows:(rank + 1) * rows]
            scale = world_size / (batch_size * seq_len)  # DDP averages: each rank's Σ·W/(B·T) gives the global mean
            local = 0.0
            for i, (a, b) in enumerate(micro):
                x, y = windows(train_tokens, train_base, mine[a:b])
                last = i == len(micro) - 1
                if distributed and not last:
                    with ddp.no_sync():
                        loss_sum = forward(net, x, y)
                        (loss_sum * scale).backward()
                else:
                    loss_sum = forward(net, x, y)
                    (loss_sum * scale).backward()
                local += float(loss_sum.detach())
            loss = all_sum(local) / (batch_size * seq_len)
            with torch.no_grad():
                squares = torch.zeros((), dtype=torch.float64, device=device)
                for n in names:
                    squares += own[n].grad.double().pow(2).sum()
                grad_norm = math.sqrt(float(squares))
                if grad_clip > 0 and grad_norm > grad_clip:
                    factor = grad_clip / (grad_norm + 1e-6)
                    for n in names:
                        own[n].grad.mul_(factor)
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if device_kind == "cuda":
                torch.cuda.synchronize()
            elapsed = time.perf_counter() - t0
            timing["train"] += elapsed
            timing["tokens"] += batch_size * seq_len
            tokens_per_s = batch_size * seq_len / elapsed if elapsed > 0 else 0.0
            step += 1
            if not math.isfinite(loss):
                raise FloatingPointError(f"training diverged at step {step} (the loss is {loss}); lower the learning rate")
            last_train = loss
            window.append(loss)
            del window[:-TRAIN_LOSS_WINDOW]
            recent_train.append({"step": step, "loss": loss})
            del recent_train[:-RECENT_LOSSES]
            end_of_epoch = step % steps_per_epoch == 0 or step == total_steps
            if step % eval_interval == 0 or end_of_epoch:
                v = do_evaluate(step)
                record(step, epoch, loss, lr, grad_norm, tokens_per_s, v, with_val=True)
            else:
                record(step, epoch, loss, lr, grad_norm, tokens_per_s)
            if rank == 0 and (step % eval_interval == 0 or step == total_steps):
                print(f"step {step}/{total_steps}  loss {loss:.4f}  val {val_loss if val_loss is not None else float('nan'):.4f}  lr {lr:.2e}  {tokens_per_s:,.0f} tokens/s", flush=True)
            if checkpoint_interval > 0 and step % checkpoint_interval == 0 and step < total_steps:
                save(step, "periodic")
            if len(metrics_buffer) >= 100:
                flush_metrics()
            if args.stop_after is not None and step >= args.stop_after and step < total_steps:
                stop["requested"] = stop["after"] = True
        save(step, "stop" if outcome == "stopped" else "final")
        end(outcome, step)
        if distributed:  # rank 0 writes the last checkpoint alone: the others wait, and all leave together
            torch.distributed.barrier()
    except Exception as error:  # the run's end is recorded; the message is one line
        end("failed", step, str(error))
        if rank != 0:  # an error of this rank alone: said here, since fail() speaks for rank 0 only
            print(f"Error: rank {rank}: {error}", file=sys.stderr, flush=True)
        fail(str(error), code=1)
    finally:
        if distributed:
            torch.distributed.destroy_process_group()
    return 130 if outcome == "stopped" and not stop["after"] else 0


if __name__ == "__main__":
    sys.exit(main())
