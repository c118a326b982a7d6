"""An exported Hugging Face Llama / Qwen2 folder read the way transformers reads it, run by an
independent PyTorch Llama (bench/llama_torch.py), to score a text as `cllm evaluate` does.

Only the folder is read: config.json's transformers fields (never the studio's own names) and
model.safetensors by hand (no `safetensors` package here: 8 bytes of header length, a JSON header,
raw little-endian data), loaded with strict names and shapes as `from_pretrained` does — a tied head
has no `lm_head.weight`, an untied one must have it.

argv[1]: the folder. stdin: JSON {"ids": [...]}. stdout: JSON {"sumLoss", "tokens", "loss"}, scoring as
src/main/engine/session/scoring.ts: windows of seqLen + 1 tokens overlapping by one, every token but
the first predicted once from the earlier tokens of its window.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "bench"))
from llama_torch import Llama  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    metadata = header.pop("__metadata__", {})
    assert metadata.get("format") == "pt", f"transformers needs __metadata__.format 'pt', got {metadata}"
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", f"{name}: {entry['dtype']}"
        start, end = entry["data_offsets"]
        data = np.frombuffer(raw, dtype="<f4", count=(end - start) // 4, offset=8 + length + start)
        tensors[name] = torch.from_numpy(data.copy()).view(entry["shape"])
    return tensors


def load(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    kind = (cfg["architectures"], cfg["model_type"])
    assert kind in ((["LlamaForCausalLM"], "llama"), (["Qwen2ForCausalLM"], "qwen2")), kind
    qwen2 = cfg["model_type"] == "qwen2"
    assert cfg["hidden_act"] == "silu"
    assert cfg.get("rope_scaling") is None
    heads, hidden = cfg["num_attention_heads"], cfg["hidden_size"]
    if not qwen2:
        # LlamaForCausalLM: no biases at all unless these say so.
        assert cfg["attention_bias"] is False and cfg["mlp_bias"] is False
        assert cfg.get("head_dim", hidden // heads) == hidden // heads
    else:
        assert cfg.get("use_sliding_window") is False
    config = dict(
        vocabSize=cfg["vocab_size"],
        dModel=hidden,
        nLayers=cfg["num_hidden_layers"],
        nHeads=heads,
        nKvHeads=cfg["num_key_value_heads"],
        ffnDim=cfg["intermediate_size"],
        normEps=cfg["rms_norm_eps"],
        ropeTheta=cfg["rope_theta"],
        tiedEmbeddings=cfg["tie_word_embeddings"],
        qkvBias=qwen2,  # Qwen2's attention always has q/k/v biases
        seqLen=cfg["max_position_embeddings"],
    )
    model = Llama(config)
    state = read_safetensors(os.path.join(folder, "model.safetensors"))
    model.load_state_dict(state, strict=True)
    return model, config


def main():
    torch.set_num_threads(1)
    model, config = load(sys.argv[1])
    ids = json.loads(sys.stdin.read())["ids"]
    T = config["seqLen"]
    sum_loss, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(ids) - 1, T):
            x = ids[start : min(start + T, len(ids) - 1)]
            y = ids[start + 1 : start + 1 + len(x)]
            loss = model(torch.tensor([x]), torch.tensor([y]))  # mean over the window
            sum_loss += loss.item() * len(x)
            tokens += len(x)
    print(json.dumps({"sumLoss": sum_loss, "tokens": tokens, "loss": sum_loss / tokens}))


if __name__ == "__main__":
    main()
