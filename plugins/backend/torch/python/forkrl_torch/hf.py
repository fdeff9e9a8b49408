"""implementation = "transformers": Hugging Face's Qwen3 classes run the
forward passes of Score and Forward (and so Backward), with eager attention.

The plain model's parameters are replaced by the Hugging Face model's own
tensors, so both hold one set of weights: AdamW, checkpoints and generation
(the plain model's KV-cache loop) work on the same storage.
"""

import torch


def wrap(model, config):
    """Makes model run its causal forward pass through transformers' Qwen3ForCausalLM."""
    try:
        from transformers import Qwen3Config, Qwen3ForCausalLM
    except ImportError as e:
        raise RuntimeError(f"implementation = \"transformers\" needs transformers with Qwen3 (4.51 or later): {e}") from e
    fields = {k: v for k, v in config.items() if k != "tinylm"}
    fields["max_position_embeddings"] = max(int(fields.get("max_position_embeddings", 0)), model.cfg.context)
    hf_cfg = Qwen3Config(**fields)
    hf_cfg._attn_implementation = "eager"
    p0 = next(iter(model.params.values()))
    hf = Qwen3ForCausalLM(hf_cfg).to(device=p0.device, dtype=p0.dtype)
    own = dict(hf.named_parameters())
    with torch.no_grad():
        for name, p in model.named():
            if name not in own:
                raise RuntimeError(f"transformers' Qwen3 has no parameter {name!r}")
            if own[name].shape != p.shape:
                raise RuntimeError(f"transformers' {name} has shape {list(own[name].shape)}, the checkpoint {list(p.shape)}")
            own[name].copy_(p)
            model.params[name.replace(".", "__")] = own[name]
    model.hf = hf
    model.causal = lambda tokens, pos: hf.model(input_ids=tokens, position_ids=pos, use_cache=False).last_hidden_state
    return model
