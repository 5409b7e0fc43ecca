"""The course GPT: a small decoder-only transformer in the style of GPT-2 and nanoGPT.

    model = GPT(GPTConfig(vocab_size=tok.vocab_size), seed=0)
    logits = model(input_ids)            # [B, T] -> [B, T, vocab_size]

The model returns logits only: turning them into a loss is the learners' work.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import Block, init_weights


@dataclass
class GPTConfig:
    vocab_size: int = 4096  # the course tokenizer's
    block_size: int = 256  # longest context; positions are learned
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 256
    dropout: float = 0.0  # the corpus is small, but dropout makes tests nondeterministic
    bias: bool = True
    attention: str = "sdpa"  # or "manual": the same maths written out by hand

    def to_dict(self) -> dict:
        return asdict(self)


class GPT(nn.Module):
    def __init__(self, config: GPTConfig, seed: int = 0):
        super().__init__()
        # nn.Linear and friends draw their default init from the global generator;
        # fork it so that building a model never changes the caller's random state.
        with torch.random.fork_rng(devices=()):
            self.config = config
            self.wte = nn.Embedding(config.vocab_size, config.n_embd)  # token embeddings
            self.wpe = nn.Embedding(config.block_size, config.n_embd)  # position embeddings
            self.drop = nn.Dropout(config.dropout)
            self.blocks = nn.ModuleList(
                Block(config.n_embd, config.n_head, config.dropout, config.bias, config.attention)
                for _ in range(config.n_layer)
            )
            self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.lm_head.weight = self.wte.weight  # weight tying (GPT-2): one matrix, two uses
        init_weights(self, config.n_layer, seed)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        B, T = input_ids.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence of length {T} is longer than block_size={self.config.block_size}")
        pos = torch.arange(T, device=input_ids.device)
        x = self.drop(self.wte(input_ids) + self.wpe(pos))  # [B, T, C]
        for block in self.blocks:
            x = block(x, causal=True)
        return self.lm_head(self.ln_f(x))  # [B, T, V]

    def num_parameters(self, non_embedding: bool = True) -> int:
        """Parameters; by default without the token and position embeddings, as Kaplan et al.
        (2020) count N for scaling laws (the tied output layer is then not counted either)."""
        n = sum(p.numel() for p in self.parameters())  # tied weights are listed once
        if non_embedding:
            n -= self.wte.weight.numel() + self.wpe.weight.numel()
        return n

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, max_new_tokens: int, *, temperature: float = 1.0,
                 top_k: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """Sample a continuation of `input_ids` [B, T], one token at a time."""
        was_training = self.training
        self.eval()
        for _ in range(max_new_tokens):
            context = input_ids[:, -self.config.block_size:]
            logits = self(context)[:, -1, :] / max(temperature, 1e-8)  # [B, V], last position
            if top_k is not None:
                kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            probs = F.softmax(logits, dim=-1)
            next_id = torch.multinomial(probs, 1, generator=generator)  # [B, 1]
            input_ids = torch.cat([input_ids, next_id], dim=1)
        self.train(was_training)
        return input_ids
