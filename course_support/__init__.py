"""Support library for the course *Pre-training Strategies: learning from unlabeled data*.

It holds what the exercises build on (corpus, tokenizer, models, plots), never an exercise's
answer. Import the pieces from here:

    from course_support import load_tokenizer, load_split, GPT, GPTConfig, BERT, BERTConfig

`course_support.verify()` checks that the shipped data (corpus, tokenizer, checkpoints) is intact.
"""
from .bert import BERT, NSP_IS_NEXT, BERTConfig
from .data_files import data_dir, verify
from .corpus import chapters, load_novel, load_split, paragraphs, sentences
from .gpt import GPT, GPTConfig
from .tokenizer import CourseTokenizer, load_tokenizer

__all__ = [
    "BERT", "BERTConfig", "NSP_IS_NEXT", "GPT", "GPTConfig", "CourseTokenizer",
    "load_tokenizer", "load_novel", "load_split", "chapters", "paragraphs", "sentences",
    "data_dir", "verify",
]
