"""forkrl's PyTorch backend plugin: Qwen3 models on CPU or CUDA, data
parallel over torch.distributed. `python -m forkrl_torch` serves it; the
forkrl host starts it as the built-in backend "torch"."""
