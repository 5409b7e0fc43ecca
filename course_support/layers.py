"""The transformer block shared by the course GPT and the course BERT.

One pre-LayerNorm block: x + attention(norm(x)), then x + mlp(norm(x)). Attention is either
PyTorch's fused `scaled_dot_product_attention` ("sdpa") or the same computation written out
by hand ("manual"), so that the speed lesson can compare them on identical weights.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

ATTENTION_KINDS = ("sdpa", "manual")


class SelfAttention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, dropout: float, bias: bool, attention: str):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"n_embd={n_embd} must be a multiple of n_head={n_head}")
        if attention not in ATTENTION_KINDS:
            raise ValueError(f"attention={attention!r}; choose one of {ATTENTION_KINDS}")
        self.n_head, self.attention, self.dropout = n_head, attention, dropout
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=bias)  # query, key, value in one matmul
        self.proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.resid_drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, *, causal: bool, key_mask: torch.Tensor | None = None):
        """x [B, T, C]; key_mask [B, T] bool, True where a key may be attended to."""
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # [B, T, C] -> [B, n_head, T, head_size]
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        allowed = None  # [B or 1, 1, T, T] bool: may query i look at key j?
        if causal:
            allowed = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()[None, None]
        if key_mask is not None:
            keys = key_mask.bool()[:, None, None, :]  # [B, 1, 1, T]
            allowed = keys if allowed is None else allowed & keys
        p = self.dropout if self.training else 0.0
        if self.attention == "sdpa":
            if causal and key_mask is None:
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
            else:
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))  # [B, nh, T, T]
            if allowed is not None:
                att = att.masked_fill(~allowed, float("-inf"))
            att = F.dropout(F.softmax(att, dim=-1), p=p)
            y = att @ v  # [B, nh, T, hs]
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    def __init__(self, n_embd: int, dropout: float, bias: bool):
        super().__init__()
        self.fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.proj = nn.Linear(4 * n_embd, n_embd, bias=bias)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int, dropout: float, bias: bool, attention: str):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
        self.attn = SelfAttention(n_embd, n_head, dropout, bias, attention)
        self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
        self.mlp = MLP(n_embd, dropout, bias)

    def forward(self, x, *, causal: bool, key_mask=None):
        x = x + self.attn(self.ln_1(x), causal=causal, key_mask=key_mask)
        return x + self.mlp(self.ln_2(x))


def init_weights(model: nn.Module, n_layer: int, seed: int) -> None:
    """GPT-2's initialisation, drawn from a private generator so that building a model
    never disturbs (or depends on) the global random state."""
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        if name.endswith("proj.weight"):  # residual projections, scaled by depth (GPT-2)
            nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer), generator=g)
        elif p.dim() >= 2:
            nn.init.normal_(p, 0.0, 0.02, generator=g)
        elif name.endswith("weight"):  # LayerNorm gains
            nn.init.ones_(p)
        else:
            nn.init.zeros_(p)
