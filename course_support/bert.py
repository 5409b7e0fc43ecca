"""The course BERT: a small bidirectional encoder with BERT's two pre-training heads.

    model = BERT(BERTConfig(vocab_size=tok.vocab_size), seed=0)
    mlm_logits, nsp_logits = model(input_ids, token_type_ids, attention_mask)
    # [B, T, vocab_size] and [B, 2]; NSP class 1 means "B follows A".

Hugging Face's `BertForPreTraining` uses the opposite NSP convention (0 = "B follows A").
Unlike the original BERT (post-LayerNorm), the blocks are pre-LayerNorm, which trains more
stably from scratch at small scale; the heads follow BERT (Devlin et al. 2019).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import Block, init_weights

NSP_IS_NEXT = 1  # the course's label for "sentence B really follows sentence A"


@dataclass
class BERTConfig:
    vocab_size: int = 4096  # the course tokenizer's
    max_position: int = 128  # longest input ([CLS] A [SEP] B [SEP] and padding)
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 256
    type_vocab_size: int = 2  # segment A and segment B
    dropout: float = 0.0
    bias: bool = True
    attention: str = "sdpa"  # or "manual"

    def to_dict(self) -> dict:
        return asdict(self)


class BERT(nn.Module):
    def __init__(self, config: BERTConfig, seed: int = 0):
        super().__init__()
        # nn.Linear and friends draw their default init from the global generator;
        # fork it so that building a model never changes the caller's random state.
        with torch.random.fork_rng(devices=()):
            self.config = config
            C = config.n_embd
            self.wte = nn.Embedding(config.vocab_size, C)  # token embeddings
            self.wpe = nn.Embedding(config.max_position, C)  # position embeddings
            self.wtt = nn.Embedding(config.type_vocab_size, C)  # segment (token type) embeddings
            self.ln_emb = nn.LayerNorm(C, bias=config.bias)
            self.drop = nn.Dropout(config.dropout)
            self.blocks = nn.ModuleList(
                Block(C, config.n_head, config.dropout, config.bias, config.attention)
                for _ in range(config.n_layer)
            )
            self.ln_f = nn.LayerNorm(C, bias=config.bias)
            # MLM head as in BERT: dense + GELU + LayerNorm, then the tied embedding matrix.
            self.mlm_dense = nn.Linear(C, C)
            self.mlm_ln = nn.LayerNorm(C)
            self.mlm_bias = nn.Parameter(torch.zeros(config.vocab_size))
            # NSP head as in BERT: a tanh "pooler" on the [CLS] position, then 2 classes.
            self.pooler = nn.Linear(C, C)
            self.nsp_head = nn.Linear(C, 2)
        init_weights(self, config.n_layer, seed)

    def encode(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
               attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The encoder alone, without the pre-training heads: the final hidden state of every
        position, [B, T, n_embd]. Position 0 holds [CLS], which classifiers read."""
        B, T = input_ids.shape
        if T > self.config.max_position:
            raise ValueError(f"sequence of length {T} is longer than max_position={self.config.max_position}")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        pos = torch.arange(T, device=input_ids.device)
        x = self.wte(input_ids) + self.wpe(pos) + self.wtt(token_type_ids)  # [B, T, C]
        x = self.drop(self.ln_emb(x))
        key_mask = None if attention_mask is None else attention_mask.bool()  # [B, T]
        for block in self.blocks:
            x = block(x, causal=False, key_mask=key_mask)  # every position sees both sides
        return self.ln_f(x)

    def mlm_head(self, hidden: torch.Tensor) -> torch.Tensor:
        """Vocabulary logits from hidden states [..., n_embd] (any positions, e.g. only the masked ones)."""
        return self.mlm_ln(F.gelu(self.mlm_dense(hidden))) @ self.wte.weight.T + self.mlm_bias

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None):
        """input_ids, token_type_ids, attention_mask: [B, T] (mask 1 on real tokens, 0 on
        padding). Returns (mlm_logits [B, T, V], nsp_logits [B, 2])."""
        if not getattr(self, "has_heads", True):
            raise RuntimeError("this encoder's pre-training heads were dropped: call encode() for hidden states")
        x = self.encode(input_ids, token_type_ids, attention_mask)
        mlm_logits = self.mlm_head(x)  # [B, T, V]
        pooled = torch.tanh(self.pooler(x[:, 0]))  # [B, C], the [CLS] position
        return mlm_logits, self.nsp_head(pooled)  # [B, 2]

    def drop_pretraining_heads(self) -> "BERT":
        """Remove the MLM and NSP heads (their parameters would get no gradient in a classifier
        and would inflate its parameter count); `encode` still works, `forward` no longer."""
        for name in ("mlm_dense", "mlm_ln", "mlm_bias", "pooler", "nsp_head"):
            delattr(self, name)
        self.has_heads = False
        return self

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
