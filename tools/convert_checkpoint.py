#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Turn a Hugging Face model folder that holds only pytorch_model.bin (a Python pickle, which
debertacl does not read) into a safetensors folder that debertacl loads.

    python3 tools/convert_checkpoint.py MODEL_DIR [OUT_DIR]

Without OUT_DIR, model.safetensors is written next to pytorch_model.bin. Tensors keep their dtype
(fp16 checkpoints stay fp16; debertacl upcasts at load). Tied or shared tensors are cloned so that
safetensors accepts them. Needs torch and safetensors (pip install torch safetensors). Only the
weights are loaded (torch.load with weights_only=True): no code in the pickle runs.
"""
import argparse
import os
import shutil
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir")
    ap.add_argument("out_dir", nargs="?")
    args = ap.parse_args()
    try:
        import torch
        from safetensors.torch import save_file
    except ImportError as e:
        print(f"convert_checkpoint: {e}: pip install torch safetensors", file=sys.stderr)
        return 2
    src = args.model_dir
    out = args.out_dir or src
    index = os.path.join(src, "pytorch_model.bin.index.json")
    single = os.path.join(src, "pytorch_model.bin")
    if os.path.exists(single):
        shards = [single]
    elif os.path.exists(index):
        import json
        with open(index) as f:
            shards = sorted({os.path.join(src, v) for v in json.load(f)["weight_map"].values()})
    else:
        print(f"convert_checkpoint: {src} has no pytorch_model.bin", file=sys.stderr)
        return 2
    state = {}
    for path in shards:
        part = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(part, dict):
            print(f"convert_checkpoint: {path} is not a state dict", file=sys.stderr)
            return 2
        state.update(part)
    tensors = {}
    seen = {}
    for name, t in state.items():
        if not isinstance(t, torch.Tensor):
            continue
        t = t.contiguous()
        key = (t.data_ptr(), t.numel(), t.dtype)
        if t.numel() and key in seen:  # shared storage: safetensors needs separate copies
            t = t.clone()
        seen[key] = name
        tensors[name] = t
    os.makedirs(out, exist_ok=True)
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    if os.path.abspath(out) != os.path.abspath(src):
        for f in os.listdir(src):
            if f.endswith(".bin") or f.endswith(".bin.index.json") or f.endswith(".safetensors"):
                continue
            p = os.path.join(src, f)
            if os.path.isfile(p):
                shutil.copy2(p, os.path.join(out, f))
    print(f"wrote {os.path.join(out, 'model.safetensors')} ({len(tensors)} tensors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
