"""forkrl's PyTorch backend plugin: Qwen3 models on CPU or CUDA, data
parallel over torch.distributed. The forkrl host starts it as the built-in
backend "torch" (../forkrl-torch, with the interpreter FORKRL_PYTHON names).

    server.py      forkrl.v1.Backend: checks requests, shards batches over ranks
    pool.py        the worker processes, every wait bounded
    worker.py      one rank's process: requests in, replies out, over pipes
    engine.py      one rank's model: score, forward/backward, AdamW, generation
    qwen3.py       Qwen3 in plain PyTorch (torch 1.13 and later)
    hf.py          implementation = "transformers": Hugging Face's Qwen3
    sampling.py    tinylm's sampler and random streams, token for token
    checkpoint.py  safetensors and checkpoint folders, with numpy
    tokenizer.py   the character tokenizer and Hugging Face tokenizer.json

server.py, pool.py, checkpoint.py and tokenizer.py import no torch: the plugin
process needs grpcio, protobuf and numpy; the workers also need torch.
"""
