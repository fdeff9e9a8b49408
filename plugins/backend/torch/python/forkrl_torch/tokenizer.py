"""Tokenizers of checkpoint folders: tinylm's character tokenizer (its
alphabet in config.json's "tinylm" section; <bos>, <eos> and <pad> follow
the characters), or a Hugging Face tokenizer.json."""

import json
import os
import subprocess


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


def _byte_decoder():
    """GPT-2's byte-level alphabet: the character that stands for each byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


class HFTokenizer:
    """A Hugging Face tokenizer.json, encoded by forkrl's own BPE (`forkrl
    tokenize`, the binary FORKRL_EXE names, as tinylm encodes) so that both
    backends give the same ids. Token bytes come from the vocabulary
    (byte-level); added tokens are their text. Stop tokens: the
    end-of-sequence ids of config.json and generation_config.json."""

    def __init__(self, dir, config):
        self.path = os.path.join(dir, "tokenizer.json")
        self.name = "hf:" + os.path.basename(os.path.abspath(dir))
        self.exe = os.environ.get("FORKRL_EXE", "")
        if not self.exe:
            raise ValueError(f"{self.path} is encoded by forkrl's tokenizer, but FORKRL_EXE does not name the forkrl binary (the host sets it)")
        with open(self.path, encoding="utf-8") as f:
            tj = json.load(f)
        dec = _byte_decoder()
        self.bytes = {}
        for text, id in tj["model"]["vocab"].items():
            self.bytes[id] = b"".join(bytes([dec[c]]) if c in dec else c.encode() for c in text)
        for t in tj.get("added_tokens", []):
            self.bytes[t["id"]] = t["content"].encode()
        eos = _ids(config.get("eos_token_id"))
        gen = os.path.join(dir, "generation_config.json")
        if os.path.exists(gen):
            with open(gen) as f:
                eos += [i for i in _ids(json.load(f).get("eos_token_id")) if i not in eos]
        if not eos:
            eos = [id for id, b in self.bytes.items() if b == b"<|endoftext|>"]
        self.stops = eos
        self.roles = {"eos": eos[0]} if eos else {}
        for role in ("bos", "pad"):
            if (config.get(f"{role}_token_id") or 0) > 0:
                self.roles[role] = config[f"{role}_token_id"]

    def encode_all(self, texts):
        """The ids of each text, from one run of `forkrl tokenize`."""
        lines = "".join(json.dumps(t) + "\n" for t in texts)
        p = subprocess.run([self.exe, "tokenize", "--tokenizer", self.path, "--jsonl"], input=lines.encode(),
                           capture_output=True)
        if p.returncode != 0:
            raise ValueError(f"forkrl tokenize failed: {p.stderr.decode(errors='replace').strip()}")
        return [json.loads(l)["ids"] for l in p.stdout.decode().splitlines()]

    def encode(self, text):
        return self.encode_all([text])[0]

    def piece(self, id):
        return self.bytes.get(int(id), b"")

    def decode(self, ids):
        for i in ids:
            if int(i) not in self.bytes:
                raise ValueError(f"token id {int(i)} is outside the tokenizer's vocabulary")
        return b"".join(self.bytes[int(i)] for i in ids).decode("utf-8", errors="replace")


def _ids(v):
    return [int(x) for x in v] if isinstance(v, list) else [int(v)] if v is not None else []


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
