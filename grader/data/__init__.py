"""Datasets for the course: a manifest of corpora, their tokenizers, splits and token caches.

The `course train` CLI and the benchmarks use only the names below::

    from grader.data import prepare
    data = prepare("shakespeare", tokenizer="bpe", vocab_size=512)
    data.train, data.val        # memory-mapped uint16 token ids, 90% / 10% of the text
    data.tokenizer.decode(data.val[:100].tolist())

Modules, one job each:

- `registry`: datasets/manifest.toml -> typed `DatasetRecord`s
- `shakespeare`, `pycode`: the corpus builders; `download`: verified downloads
- `corpus`: record -> text, built or downloaded once, then cached
- `tokenizers`: char / bpe / sentencepiece, stored as plain data
- `preparation`: split, tokenize, cache the token arrays (`prepare`)
- `cache`: the cache folder and atomic writes
"""

from .cache import default_cache_dir
from .corpus import load_text
from .errors import ChecksumError, DatasetError, DownloadError, MissingSourceError
from .preparation import PreparedData, prepare
from .registry import DEFAULT_DATASET, DatasetRecord, dataset_names, describe
from .tokenizers import TOKENIZER_KINDS, SentencePieceTokenizer, tokenizer_from_dict, tokenizer_to_dict

__all__ = [
    "DEFAULT_DATASET",
    "TOKENIZER_KINDS",
    "ChecksumError",
    "DatasetError",
    "DatasetRecord",
    "DownloadError",
    "MissingSourceError",
    "PreparedData",
    "SentencePieceTokenizer",
    "dataset_names",
    "default_cache_dir",
    "describe",
    "load_text",
    "prepare",
    "tokenizer_from_dict",
    "tokenizer_to_dict",
]
