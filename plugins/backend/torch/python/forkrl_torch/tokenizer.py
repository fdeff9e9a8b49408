"""Tokenizers of checkpoint folders: tinylm's character tokenizer (its
alphabet in config.json's "tinylm" section; <bos>, <eos> and <pad> follow
the characters), or a Hugging Face tokenizer.json through the `tokenizers`
package where it is importable."""

import json
import os


class CharTokenizer:
    """One token per character of the alphabet, then <bos>, <eos>, <pad>; special tokens have no text."""

    name = "chars"

    def __init__(self, alphabet):
        if not alphabet:
            raise ValueError("the alphabet is empty")
        self.chars = list(alphabet)
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("the alphabet holds a character twice")
        self.ids = {c: i for i, c in enumerate(self.chars)}
        n = len(self.chars)
        self.roles = {"bos": n, "eos": n + 1, "pad": n + 2}
        self.stops = [n + 1]

    def encode(self, text):
        ids = []
        for i, c in enumerate(text):
            if c not in self.ids:
                raise ValueError(f"character {c!r} (U+{ord(c):04X}) at index {i} is not in the tokenizer's alphabet")
            ids.append(self.ids[c])
        return ids

    def piece(self, id):
        """The UTF-8 bytes of one token."""
        return self.chars[id].encode() if 0 <= id < len(self.chars) else b""

    def decode(self, ids):
        return b"".join(self.piece(int(i)) for i in ids).decode()


class HFTokenizer:
    """A Hugging Face tokenizer.json, through the tokenizers package."""

    name = "hf"

    def __init__(self, dir, config):
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise ValueError(f"{dir}/tokenizer.json needs the Python package `tokenizers`, which this Python cannot import")
        self.tok = Tokenizer.from_file(os.path.join(dir, "tokenizer.json"))
        eos = config.get("eos_token_id")
        eos = eos if isinstance(eos, list) else [eos] if eos is not None else []
        gen = os.path.join(dir, "generation_config.json")
        if os.path.exists(gen):
            with open(gen) as f:
                g = json.load(f).get("eos_token_id")
            eos += g if isinstance(g, list) else [g] if g is not None else []
        self.stops = sorted(set(eos))
        self.roles = {"eos": self.stops[0]} if self.stops else {}
        if config.get("bos_token_id") is not None:
            self.roles["bos"] = config["bos_token_id"]

    def encode(self, text):
        return self.tok.encode(text, add_special_tokens=False).ids

    def piece(self, id):
        return self.tok.decode([int(id)], skip_special_tokens=True).encode()

    def decode(self, ids):
        return self.tok.decode([int(i) for i in ids], skip_special_tokens=True)


def load_tokenizer(dir, config):
    """The tokenizer of a checkpoint folder."""
    if os.path.exists(os.path.join(dir, "tokenizer.json")):
        return HFTokenizer(dir, config)
    alphabet = (config.get("tinylm") or {}).get("alphabet")
    if not alphabet:
        raise ValueError(f"{dir} has neither a tokenizer.json nor a tinylm alphabet in its config.json")
    tok = CharTokenizer(alphabet)
    if int(config["vocab_size"]) < len(alphabet) + 3:
        raise ValueError(f"vocab_size {config['vocab_size']} is smaller than the alphabet's {len(alphabet)} characters and 3 special tokens")
    return tok
