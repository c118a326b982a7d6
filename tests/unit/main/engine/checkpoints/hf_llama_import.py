"""Hugging Face Llama-family folders for the import tests, and their losses, with PyTorch 1.13 only
(no transformers, no safetensors package): the oracle of import-hf-llama.test.ts.

stdin: one JSON object.
- {"write": dir, "config": config.json, "dtype": "F32" | "F16" | "BF16", "shards": n, "seed": s,
  "lmHeadCopy": bool}: random weights (norms and biases away from 1 and 0) written as
  model.safetensors (n = 1) or n shards with model.safetensors.index.json, and config.json.
  "lmHeadCopy" also stores a tied model's embedding as lm_head.weight (as some folders do).
- {"read": dir, "windows": [[T + 1 ids]...]}: reads the folder back (config.json and the
  safetensors, parsed here by hand) and prints {"loss": mean cross-entropy, "logits": [the logits
  after each window's inputs]}, from bench/llama_torch.py's independent Llama with Hugging Face
  semantics (RMSNorm, rotate_half rotary, grouped-query attention, SwiGLU, Qwen2's q/k/v biases).
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "bench"))
from llama_torch import Llama  # noqa: E402

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
# Same-width integer views, for raw bytes (numpy has no bfloat16).
RAW = {"F32": torch.int32, "F16": torch.int16, "BF16": torch.int16}


def engine_config(hf, seq_len):
    """bench/llama_torch.py's config from config.json, written from Hugging Face's field meanings."""
    heads = hf["num_attention_heads"]
    return dict(
        vocabSize=hf["vocab_size"], seqLen=seq_len, dModel=hf["hidden_size"], nLayers=hf["num_hidden_layers"],
        nHeads=heads, nKvHeads=hf.get("num_key_value_heads") or heads, ffnDim=hf["intermediate_size"],
        normEps=hf.get("rms_norm_eps", 1e-6), ropeTheta=hf.get("rope_theta", 10000.0),
        tiedEmbeddings=hf.get("tie_word_embeddings", False), qkvBias=hf["model_type"] == "qwen2",
    )


def tensor_bytes(t, dtype):
    return t.detach().to(DTYPES[dtype]).contiguous().view(RAW[dtype]).numpy().tobytes()


def write_safetensors(path, tensors, dtype):
    header, offset, chunks = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors:
        data = tensor_bytes(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def write(spec):
    folder, hf, dtype, shards = spec["write"], spec["config"], spec["dtype"], spec["shards"]
    torch.manual_seed(spec["seed"])
    model = Llama(engine_config(hf, 8))
    tensors = []
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layernorm.weight") or name == "model.norm.weight":
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.05 * torch.randn_like(p))
            else:
                p.copy_(0.08 * torch.randn_like(p))
            tensors.append((name, p))
    if spec.get("lmHeadCopy"):
        tensors.append(("lm_head.weight", model.model.embed_tokens.weight))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors, dtype)
        return
    per = -(-len(tensors) // shards)
    weight_map = {}
    for s in range(shards):
        name = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = tensors[s * per : (s + 1) * per]
        write_safetensors(os.path.join(folder, name), part, dtype)
        weight_map.update({n: name for n, _ in part})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        chunk = bytearray(raw[8 + n + begin : 8 + n + end])
        values = torch.frombuffer(chunk, dtype=RAW[e["dtype"]]).view(DTYPES[e["dtype"]]) if chunk else torch.zeros(0)
        out[name] = values.to(torch.float32).reshape(e["shape"])
    return out


def read(spec):
    folder, windows = spec["read"], torch.tensor(spec["windows"], dtype=torch.long)
    with open(os.path.join(folder, "config.json")) as f:
        hf = json.load(f)
    tensors = {}
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        tensors = read_safetensors(os.path.join(folder, "model.safetensors"))
    else:
        with open(index) as f:
            for shard in sorted(set(json.load(f)["weight_map"].values())):
                tensors.update(read_safetensors(os.path.join(folder, shard)))
    model = Llama(engine_config(hf, windows.shape[1] - 1))
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(tensors[name])
    idx, targets = windows[:, :-1], windows[:, 1:]
    with torch.no_grad():
        loss = model(idx, targets).item()
        # The logits after each window's inputs: the same forward, its last position.
        x = model.model.embed_tokens(idx)
        t = idx.shape[1]
        for layer in model.model.layers:
            x = layer(x, model.cos[:t], model.sin[:t], model.mask)
        x = model.model.norm(x)
        head = model.model.embed_tokens.weight if model.tied else model.lm_head.weight
        logits = (x[:, -1] @ head.t()).tolist()
    print(json.dumps({"loss": loss, "logits": logits}))


if __name__ == "__main__":
    torch.set_num_threads(1)
    request = json.loads(sys.stdin.read())
    write(request) if "write" in request else read(request)
