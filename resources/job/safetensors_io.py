"""The CLLM checkpoint file, read and written without the `safetensors` package.

A safetensors file is 8 bytes of header length N (little-endian u64), N bytes of JSON
(`{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}`, padded with spaces to a
multiple of 8) and the raw little-endian tensor bytes. CLLM Studio's checkpoint (its
src/main/engine/checkpoints/format.ts) puts the GPT-2 weights under Hugging Face names, the AdamW
moments under `optimizer.m.<name>` / `optimizer.v.<name>`, and in `__metadata__`: `format`
(`cllm-checkpoint`), `format_version`, the run's config, tokenizer, step, epoch, sampler and RNG
state, losses, corpus fingerprint, `optimizer_step`, and two SHA-256 sums: `checksum` over the tensor
bytes and `header_checksum` over the header serialised as JavaScript's JSON.stringify does. Writes are
atomic: a temporary `<file>.tmp-<pid>-<hex>` in the same folder, fsynced, renamed over the file.
"""
import ctypes
import hashlib
import json
import os
import struct
import sys

import torch

FORMAT = "cllm-checkpoint"
FORMAT_VERSION = "1"
METADATA_KEY = "__metadata__"
ADAM_M_PREFIX = "optimizer.m."
ADAM_V_PREFIX = "optimizer.v."
TEMP_MARKER = ".tmp-"
MAX_HEADER_BYTES = 100 * 1024 * 1024

if sys.byteorder != "little":  # the file is little-endian and tensors are copied as raw bytes
    raise RuntimeError("CLLM checkpoints are read on little-endian machines only")


class CheckpointError(Exception):
    """A file that is not an intact CLLM checkpoint; the message says why."""


def js_json(value):
    """JSON text as JavaScript's JSON.stringify writes it (no spaces, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def header_checksum(header):
    """SHA-256 of the header with `header_checksum` itself left out, in the header's own key order."""
    canonical = {}
    for key, value in header.items():
        if key == METADATA_KEY:
            value = {k: v for k, v in value.items() if k != "header_checksum"}
        canonical[key] = value
    return hashlib.sha256(js_json(canonical).encode("utf-8")).hexdigest()


def tensor_bytes(tensor):
    """A float32 tensor's bytes (little-endian), without numpy."""
    t = tensor.detach().to(device="cpu", dtype=torch.float32).contiguous()
    return ctypes.string_at(t.data_ptr(), t.numel() * 4) if t.numel() > 0 else b""


def read_header(path):
    """(header dict in file order, file offset of the data, file size); structural damage raises."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise CheckpointError("it is shorter than a safetensors header")
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER_BYTES or 8 + length > size:
            raise CheckpointError("its header length is beyond the file (the file is truncated or damaged)")
        try:
            header = json.loads(f.read(length).decode("utf-8"))
        except ValueError:
            raise CheckpointError("its header is not valid JSON")
    if not isinstance(header, dict):
        raise CheckpointError("its header is not a JSON object")
    expected = 0
    for name, entry in header.items():
        if name == METADATA_KEY:
            continue
        begin, end = entry["data_offsets"]
        if entry.get("dtype") != "F32" or begin != expected or end < begin:
            raise CheckpointError(f'tensor "{name}" is not where the header says')
        numel = 1
        for dim in entry["shape"]:
            numel *= dim
        if end - begin != numel * 4:
            raise CheckpointError(f'tensor "{name}" has the wrong size for its shape')
        expected = end
    if 8 + length + expected != size:
        raise CheckpointError("its size does not match its header (the file is truncated or damaged)")
    return header, 8 + length, size


def load_checkpoint(path):
    """Reads and verifies a CLLM checkpoint: (metadata strings, {name: float32 tensor} in file order)."""
    header, data_start, _ = read_header(path)
    meta = header.get(METADATA_KEY) or {}
    if meta.get("format") != FORMAT:
        raise CheckpointError(f'it is not a CLLM checkpoint (format {meta.get("format")!r})')
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f'it has format version {meta.get("format_version")!r}; this train.py reads {FORMAT_VERSION}')
    if meta.get("header_checksum") != header_checksum(header):
        raise CheckpointError("its header does not match its header checksum (the file was damaged or edited)")
    with open(path, "rb") as f:
        f.seek(data_start)
        data = f.read()
    if hashlib.sha256(data).hexdigest() != meta.get("checksum"):
        raise CheckpointError("its tensor data does not match its checksum (the file was damaged or changed)")
    if meta.get("step") != meta.get("optimizer_step"):
        raise CheckpointError("its metadata contradicts itself (step and optimizer_step differ)")
    tensors = {}
    buffer = bytearray(data)
    for name, entry in header.items():
        if name == METADATA_KEY:
            continue
        begin, end = entry["data_offsets"]
        count = (end - begin) // 4
        flat = torch.frombuffer(buffer, dtype=torch.float32, count=count, offset=begin) if count else torch.zeros(0)
        tensor = flat.clone().view(*entry["shape"]) if entry["shape"] else flat.clone().view(())
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f'tensor "{name}" holds NaN or infinite values')
        tensors[name] = tensor
    return meta, tensors


def encode_metadata(fields):
    """The metadata strings in the studio's order; JSON fields as JSON text, numbers as text."""
    json_fields = {"config", "sampler", "rng", "losses"}
    order = ["config", "tokenizer_kind", "tokenizer", "step", "epoch", "sampler", "rng", "losses", "created", "corpus_fingerprint"]
    out = {"format": FORMAT, "format_version": FORMAT_VERSION}
    for key in order:
        value = fields[key]
        if key in json_fields:
            out[key] = js_json(value)
        elif isinstance(value, float) and value.is_integer():
            out[key] = str(int(value))  # as JavaScript's String(2) writes it
        else:
            out[key] = str(value)
    out["optimizer_step"] = str(fields["step"])
    return out


def save_checkpoint(path, tensors, fields, hold=None):
    """Writes [(name, tensor)] and the metadata fields as a CLLM checkpoint, atomically.

    `hold` is a test hook: called with the open temporary file half-way through the data.
    """
    meta = encode_metadata(fields)
    chunks = [tensor_bytes(t) for _, t in tensors]
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    meta["checksum"] = digest.hexdigest()
    header = {METADATA_KEY: meta}
    offset = 0
    for (name, tensor), chunk in zip(tensors, chunks):
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(chunk)]}
        offset += len(chunk)
    meta["header_checksum"] = header_checksum(header)
    text = js_json(header).encode("utf-8")
    padded = (len(text) + 7) // 8 * 8
    head = struct.pack("<Q", padded) + text + b" " * (padded - len(text))
    write_atomic(path, [head] + chunks, hold=hold)


def write_atomic(path, chunks, hold=None):
    """Readers see the old file or the new one, never a torn one."""
    folder = os.path.dirname(os.path.abspath(path))
    temp = f"{path}{TEMP_MARKER}{os.getpid()}-{os.urandom(6).hex()}"
    try:
        with open(temp, "wb") as f:
            for i, chunk in enumerate(chunks):
                f.write(chunk)
                if hold is not None and i == len(chunks) // 2:
                    f.flush()
                    hold(temp)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.remove(temp)
        except OSError:
            pass
        raise
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass  # some platforms cannot open a folder


def split_state(tensors):
    """(params, adam m, adam v) dicts from a checkpoint's tensors."""
    params, m, v = {}, {}, {}
    for name, tensor in tensors.items():
        if name.startswith(ADAM_M_PREFIX):
            m[name[len(ADAM_M_PREFIX):]] = tensor
        elif name.startswith(ADAM_V_PREFIX):
            v[name[len(ADAM_V_PREFIX):]] = tensor
        else:
            params[name] = tensor
    return params, m, v
