"""Tests of the pictures (grader/pictures.py, grader/compression.py) and of the commands that save them
(`course attention`, `course plot ...`): each PNG exists, is a valid image of the expected size and is
not blank; each figure holds the panels it promises; bad inputs fail with a message that names them."""

from __future__ import annotations

import struct
import zlib
from dataclasses import asdict
from pathlib import Path

import matplotlib.image
import pytest
import torch

from grader.commands import attention, plot
from grader.compression import bytes_per_token, compression_curves
from grader.data import tokenizer_to_dict
from grader.errors import CourseError
from grader.pictures import (
    SamplingSetting,
    attention_grid,
    attention_maps,
    bpe_merges_and_compression,
    filtered_distribution,
    loss_curves,
    next_token_distributions,
    parse_sampling_setting,
    parse_size,
    positional_encoding_matrix,
    save_figure,
    visible_token,
)
from grader.plots import save_loss_curve
from solutions.a1_tokenizer.tokenizer import CharTokenizer, train_bpe
from solutions.a2_embeddings.embeddings import sinusoidal_positional_encoding
from solutions.a4_transformer.model import GPT, GPTConfig
from solutions.a5_training.training import TrainConfig, train
from solutions.a6_sampling import sampling as reference_sampling
from solutions.a7_capstone.capstone import attention_maps as reference_attention_weights

# A warning from matplotlib (a missing glyph, a layout that could not fit) would reach a notebook's stderr.
pytestmark = pytest.mark.filterwarnings("error::UserWarning")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VERSE = (
    "ROMEO:\nBut, soft! what light through yonder window breaks?\n"
    "It is the east, and Juliet is the sun.\n\n"
    "JULIET:\nO Romeo, Romeo! wherefore art thou Romeo?\n"
    "Deny thy father and refuse thy name.\n\n"
)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of the PNG at ``path``, read from its IHDR chunk after checking the signature and CRC."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    length, chunk_type = struct.unpack(">I4s", data[8:16])
    assert chunk_type == b"IHDR" and length == 13
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(data[12:29]), "IHDR checksum does not match"
    return struct.unpack(">II", data[16:24])


def assert_picture(path: Path, size: tuple[int, int] | None = None) -> None:
    """``path`` is a PNG that decodes, of ``size`` pixels when given, and is not one flat colour."""
    assert path.is_file(), f"{path} was not written"
    width, height = png_size(path)
    pixels = matplotlib.image.imread(path)  # (height, width, channels)
    assert pixels.shape[:2] == (height, width)
    if size is not None:
        assert (width, height) == size
    assert float(pixels[..., :3].var()) > 0, f"{path} is blank"


@pytest.fixture(scope="module")
def char_tokenizer() -> CharTokenizer:
    return CharTokenizer.from_text(VERSE)


@pytest.fixture
def tiny_model(char_tokenizer) -> GPT:
    """An untrained 2-block, 3-head reference GPT (seeded), in eval mode."""
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=char_tokenizer.vocab_size, block_size=24, n_layer=2, n_head=3, d_model=24)
    return GPT(config).eval()


def write_run(folder: Path, tokenizer: CharTokenizer, *, pos_encoding: str, seed: int, max_lr: float) -> Path:
    """Train a tiny GPT for 6 steps as `course train` would and leave its ckpt.pt in ``folder``; return the path."""
    ids = torch.tensor(tokenizer.encode(VERSE * 4), dtype=torch.long)
    model_config = GPTConfig(
        vocab_size=tokenizer.vocab_size, block_size=16, n_layer=1, n_head=2, d_model=16, pos_encoding=pos_encoding
    )
    checkpoint = folder / "ckpt.pt"
    train_config = TrainConfig(
        max_iters=6, batch_size=4, block_size=16, max_lr=max_lr, min_lr=max_lr / 10, warmup_steps=1,
        eval_interval=3, eval_iters=2, checkpoint_path=str(checkpoint), seed=seed,
    )
    torch.manual_seed(seed)
    extra = {
        "preset": {"tokenizer": "char"},
        "model_config": asdict(model_config),
        "tokenizer": tokenizer_to_dict(tokenizer),
        "dataset": "verse",
    }
    cut = int(0.9 * len(ids))
    train(GPT(model_config), ids[:cut], ids[cut:], train_config, extra=extra)
    return checkpoint


@pytest.fixture(scope="module")
def runs(tmp_path_factory, char_tokenizer) -> dict[str, Path]:
    """Two finished tiny runs: ``learned`` (learned positions) and ``sinusoidal``; name -> ckpt.pt."""
    root = tmp_path_factory.mktemp("runs")
    return {
        "learned": write_run(root / "learned", char_tokenizer, pos_encoding="learned", seed=1, max_lr=3e-3),
        "sinusoidal": write_run(root / "sinusoidal", char_tokenizer, pos_encoding="sinusoidal", seed=2, max_lr=1e-3),
    }


# ---------------------------------------------------------------------------- save_figure


HISTORY = {"step": [0, 1, 2, 3], "loss": [4.2, 3.9, 3.7, 3.6], "eval_step": [1, 3], "train_loss": [3.9, 3.6], "val_loss": [4.0, 3.7]}


@pytest.mark.parametrize("size", [(640, 480), (1234, 567), (401, 1999)])
def test_save_figure_writes_a_png_of_exactly_the_requested_size(tmp_path, size):
    """Does save_figure write a valid, non-blank PNG of exactly size_px pixels, and give the figure its size back?"""
    figure = loss_curves({"run": HISTORY})
    inches = tuple(figure.get_size_inches())
    path = save_figure(figure, tmp_path / "table.png", size_px=size)
    assert path == tmp_path / "table.png"
    assert_picture(path, size)
    assert tuple(figure.get_size_inches()) == inches
    assert [file.name for file in tmp_path.iterdir()] == ["table.png"], "a temporary file was left behind"


def test_save_figure_without_a_size_keeps_the_figures_own(tmp_path):
    """Without size_px, is the PNG the figure's inches at 100 dots per inch?"""
    figure = positional_encoding_matrix(sinusoidal_positional_encoding(16, 8))
    width, height = figure.get_size_inches()
    assert_picture(save_figure(figure, tmp_path / "table.png"), (round(width * 100), round(height * 100)))


@pytest.mark.parametrize(
    "name, size, message",
    [("table.jpg", None, "does not end in .png"), ("table.png", (99, 500), r"got \(99, 500\)"), ("table.png", (500.0, 500), "whole pixels")],
)
def test_save_figure_refuses_other_formats_and_bad_sizes(tmp_path, name, size, message):
    """Is a path that is no .png, or a size too small or not in whole pixels, refused before anything is written?"""
    figure = positional_encoding_matrix(sinusoidal_positional_encoding(4, 4))
    with pytest.raises(ValueError, match=message):
        save_figure(figure, tmp_path / name, size_px=size)
    assert list(tmp_path.iterdir()) == []


def test_parse_size_reads_width_by_height():
    """Does parse_size read WIDTHxHEIGHT, and refuse anything else with an example of the format?"""
    assert parse_size("1200x600") == (1200, 600)
    assert parse_size("800X450") == (800, 450)
    for text in ("1200", "1200x", "12.5x600", "axb", "50x50"):
        with pytest.raises(ValueError, match="1200x600|pixels"):
            parse_size(text)


def test_visible_token_marks_whitespace_and_escapes_control_characters():
    """Are spaces, newlines and tabs drawn as marks, and other control characters escaped?"""
    assert visible_token(" to\n\tbe\x00") == "␣to↵⇥be\\x00"


# ---------------------------------------------------------------------------- attention


def test_attention_maps_draw_one_panel_per_layer_and_head(tmp_path, tiny_model, char_tokenizer):
    """Does the attention picture of a 2-block, 3-head model hold 2 x 3 heatmaps (plus one colour bar), each the
    head's weights, with the prompt's characters on the axes?"""
    prompt = "ROMEO: soft"
    figure = attention_maps(tiny_model, char_tokenizer, prompt, compute_weights=reference_attention_weights)
    panels = [axes for axes in figure.axes if axes.images and axes.get_label() != "<colorbar>"]
    assert len(panels) == 2 * 3 and len(figure.axes) == 2 * 3 + 1
    expected = reference_attention_weights(tiny_model, torch.tensor([char_tokenizer.encode(prompt)]))  # (2, 1, 3, T, T)
    assert torch.allclose(torch.as_tensor(panels[-1].images[0].get_array()), expected[1, 0, 2])
    bottom_left = panels[3]  # block 1, head 0: labelled on both axes
    assert [label.get_text() for label in bottom_left.get_xticklabels()] == list("ROMEO:␣soft")
    assert [label.get_text() for label in bottom_left.get_yticklabels()] == list("ROMEO:␣soft")
    assert_picture(save_figure(figure, tmp_path / "attention.png", size_px=(900, 600)), (900, 600))


@pytest.mark.parametrize(
    "prompt, message",
    [("", "prompt is empty"), ("ROMEO: 🎭", "cannot be encoded.*🎭"), ("R" * 25, "25 tokens long.*block_size=24")],
)
def test_attention_maps_refuse_prompts_they_cannot_draw(tiny_model, char_tokenizer, prompt, message):
    """Is an empty prompt, one with a character outside the vocabulary, or one longer than the context refused by name?"""
    with pytest.raises(ValueError, match=message):
        attention_maps(tiny_model, char_tokenizer, prompt, compute_weights=reference_attention_weights)


def test_attention_grid_stays_readable_for_long_prompts_and_big_models():
    """Does a 130-token prompt label every third position, and a 12 x 12 grid stay within 6,000 pixels a side?"""
    figure = attention_grid(torch.zeros(1, 1, 130, 130), [f"t{position}" for position in range(130)])
    labels = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert labels == [f"t{position}" for position in range(0, 130, 3)]
    width, height = attention_grid(torch.zeros(12, 12, 8, 8), list("abcdefgh")).get_size_inches()
    assert width <= 60 + 1.2 and height <= 60 + 0.6  # the panels, and the margins for labels and the colour bar


def test_attention_grid_checks_the_labels_against_the_weights():
    """Are weights that are not (n_layer, n_head, T, T), or labels of another length, refused?"""
    with pytest.raises(ValueError, match="n_layer, n_head, T, T"):
        attention_grid(torch.zeros(2, 4, 4), list("abcd"))
    with pytest.raises(ValueError, match="3 token labels for T=4"):
        attention_grid(torch.zeros(1, 1, 4, 4), list("abc"))


# ---------------------------------------------------------------------------- positions, losses


def test_positional_encoding_matrix_shows_the_table_and_its_similarity():
    """Does the picture show the table itself, and a similarity of sinusoidal rows that depends on p - q only?"""
    table = sinusoidal_positional_encoding(32, 16)
    figure = positional_encoding_matrix(table)
    table_panel, similarity_panel = (axes for axes in figure.axes if axes.images and axes.get_label() != "<colorbar>")
    assert torch.allclose(torch.as_tensor(table_panel.images[0].get_array()), table)
    similarity = torch.as_tensor(similarity_panel.images[0].get_array())  # (32, 32)
    assert torch.allclose(similarity.diagonal(), torch.ones(32), atol=1e-5)
    for offset in (1, 5, 20):
        diagonal = similarity.diagonal(offset)
        assert torch.allclose(diagonal, diagonal[0].expand_as(diagonal), atol=1e-5)
    with pytest.raises(ValueError, match="positions, d_model"):
        positional_encoding_matrix(torch.zeros(5))


def test_loss_curves_put_every_run_on_one_plot(tmp_path, runs):
    """Do two runs share one plot, each with its per-step, train and validation lines?"""
    histories = {name: torch.load(path, weights_only=True)["history"] for name, path in runs.items()}
    figure = loss_curves(histories)
    assert len(figure.axes) == 1
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels == [f"{name}: {kind}" for name in runs for kind in ("train (each step)", "train", "validation")]
    assert_picture(save_figure(figure, tmp_path / "losses.png", size_px=(800, 400)), (800, 400))
    with pytest.raises(ValueError, match="no runs"):
        loss_curves({})
    with pytest.raises(ValueError, match="'empty' recorded no step"):
        loss_curves({"empty": {"step": [], "loss": [], "eval_step": [], "train_loss": [], "val_loss": []}})


def test_save_loss_curve_still_writes_the_800_by_450_curve_of_course_train(tmp_path, runs):
    """Does the loss.png of `course train` keep its size now that it is drawn by loss_curves?"""
    history = torch.load(runs["learned"], weights_only=True)["history"]
    assert_picture(save_loss_curve(history, tmp_path / "loss.png", title="tiny"), (800, 450))


# ---------------------------------------------------------------------------- sampling


def test_parse_sampling_setting_reads_temperature_top_k_and_top_p():
    """Does TEMPERATURE[,TOP_K[,TOP_P]] with - for no filter parse, and a bad setting fail naming the value?"""
    assert parse_sampling_setting("0.8") == SamplingSetting(0.8, None, None)
    assert parse_sampling_setting("1,40") == SamplingSetting(1.0, 40, None)
    assert parse_sampling_setting("1, -, 0.9") == SamplingSetting(1.0, None, 0.9)
    for text, message in (("", "TEMPERATURE"), ("1,2,3,4", "TEMPERATURE"), ("hot", "TEMPERATURE"),
                          ("-1", "temperature=-1.0"), ("1,0", "top_k=0"), ("1,-,1.5", "top_p=1.5")):
        with pytest.raises(ValueError, match=message):
            parse_sampling_setting(text)


def test_filtered_distribution_is_what_sample_next_draws_from():
    """Does each setting give softmax of the filtered logits: greedy one token, top-k k tokens, top-p the nucleus?"""
    logits = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0])
    greedy = filtered_distribution(logits, SamplingSetting(0.0), reference_sampling)
    assert greedy.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    top_two = filtered_distribution(logits, SamplingSetting(1.0, top_k=2), reference_sampling)
    assert torch.allclose(top_two, torch.softmax(torch.tensor([2.0, 1.0, -torch.inf, -torch.inf, -torch.inf]), -1))
    nucleus = filtered_distribution(logits, SamplingSetting(0.5, top_p=0.9), reference_sampling)
    expected = torch.softmax(reference_sampling.top_p_filter(logits / 0.5, 0.9), -1)
    assert torch.allclose(nucleus, expected) and abs(float(nucleus.sum()) - 1) < 1e-6


def test_next_token_distributions_draw_each_setting_side_by_side(tmp_path, tiny_model, char_tokenizer):
    """Is there one panel per setting, the same labelled tokens in each, and a title saying how many tokens it keeps?"""
    logits = tiny_model(torch.tensor([char_tokenizer.encode("ROMEO:")]))[0][0, -1]  # (V,)
    settings = [(1.0, None, None), (0.0, None, None), (1.0, 3, None)]
    figure = next_token_distributions(logits, char_tokenizer, settings, sampling=reference_sampling, top_n=8)
    assert len(figure.axes) == 3
    labels = [[label.get_text() for label in axes.get_xticklabels()] for axes in figure.axes]
    assert len(labels[0]) == 8 and labels[0] == labels[1] == labels[2]
    vocab_size = char_tokenizer.vocab_size
    kept = [axes.get_title().splitlines()[1].split(" tokens")[0] for axes in figure.axes]
    assert kept == [f"keeps {vocab_size} of {vocab_size}", f"keeps 1 of {vocab_size}", f"keeps 3 of {vocab_size}"]
    assert_picture(save_figure(figure, tmp_path / "sampling.png", size_px=(1200, 400)), (1200, 400))


def test_next_token_distributions_refuse_mismatched_inputs(tiny_model, char_tokenizer):
    """Are logits of another vocabulary, a batch of rows, no settings or a bad setting refused by name?"""
    logits = torch.zeros(char_tokenizer.vocab_size)
    with pytest.raises(ValueError, match=f"cover 7 tokens but the tokenizer has vocab_size={char_tokenizer.vocab_size}"):
        next_token_distributions(torch.zeros(7), char_tokenizer, [(1.0, None, None)], sampling=reference_sampling)
    with pytest.raises(ValueError, match=r"shape \(V,\) or \(1, V\), got \(2, "):
        next_token_distributions(torch.zeros(2, 7), char_tokenizer, [(1.0, None, None)], sampling=reference_sampling)
    with pytest.raises(ValueError, match="no sampling settings"):
        next_token_distributions(logits, char_tokenizer, [], sampling=reference_sampling)
    with pytest.raises(ValueError, match="top_p=0"):
        next_token_distributions(logits, char_tokenizer, [(1.0, None, 0)], sampling=reference_sampling)


# ---------------------------------------------------------------------------- BPE


@pytest.fixture(scope="module")
def bpe_text() -> tuple[str, str]:
    """(training text, held-out text): verse with enough distinct words for a few hundred merges."""
    words = "thou thee thy love light night sweet death heart grace honour noble gentle speak".split()
    lines = [" ".join(words[(start + step) % len(words)] for step in range(7)) for start in range(200)]
    text = "\n".join(f"{line}, {VERSE.splitlines()[index % 6]}" for index, line in enumerate(lines))
    cut = int(0.9 * len(text))
    return text[:cut], text[cut:]


def test_compression_curves_measure_both_tokenizers_on_held_out_text(bpe_text):
    """Is the course BPE at 256 ids raw bytes (1.0 byte per token) and better with more merges, and is a size
    sentencepiece cannot train at missing with its reason, while the others are measured?"""
    train_text, held_out = bpe_text
    bpe = train_bpe(train_text, 360)
    course, sentencepiece = compression_curves(bpe, train_text, held_out, [360, 256, 320])
    assert list(course.points) == [256, 320, 360] and course.missing == {}
    assert course.points[256] == 1.0
    assert course.points[256] < course.points[320] < course.points[360]
    assert course.points[360] == pytest.approx(bytes_per_token(bpe, held_out))
    assert 256 in sentencepiece.missing and "vocab_size=256" in sentencepiece.missing[256]
    assert sentencepiece.points and all(value > 1.0 for value in sentencepiece.points.values())
    with pytest.raises(ValueError, match="below 256"):
        compression_curves(bpe, train_text, held_out, [200])


def test_compression_curves_leave_out_sizes_beyond_the_tokenizer(bpe_text):
    """Is a size the BPE tokenizer never reached (a short text runs out of pairs) missing, with the reason?"""
    train_text, held_out = bpe_text
    bpe = train_bpe(train_text, 300)
    course, _ = compression_curves(bpe, train_text, held_out, [256, 2000])
    assert list(course.points) == [256]
    assert "has 300 ids" in course.missing[2000]


def test_bpe_picture_lists_the_first_merges_readably(tmp_path, bpe_text):
    """Does the left panel list the first merges as readable text, spaces shown as ␣, next to the curves?"""
    train_text, held_out = bpe_text
    bpe = train_bpe(train_text, 300)
    figure = bpe_merges_and_compression(bpe, compression_curves(bpe, train_text, held_out, [256, 300]), first_merges=5)
    merges_panel, curves_panel = figure.axes
    listing = merges_panel.texts[0].get_text().splitlines()
    assert len(listing) == 5
    first = bpe.vocab[256].decode().replace(" ", "␣")
    assert listing[0].startswith("  256") and listing[0].endswith(f"-> {first}")
    assert len(curves_panel.get_lines()) == 2
    assert_picture(save_figure(figure, tmp_path / "bpe.png", size_px=(1000, 450)), (1000, 450))


# ---------------------------------------------------------------------------- commands


def test_course_attention_writes_the_grid_of_a_checkpoint(tmp_path, runs):
    """Does `course attention` draw a checkpoint's heads into a PNG of the requested size?"""
    out = attention.main(checkpoint=runs["learned"], prompt="ROMEO:", out=tmp_path / "attention.png", size_px=(700, 400), device="cpu")
    assert_picture(out, (700, 400))


@pytest.mark.parametrize(
    "prompt, error, message",
    [("", CourseError, "--prompt is empty"), ("ROMEO: ☃", ValueError, "cannot be encoded.*☃")],
)
def test_course_attention_refuses_prompts_it_cannot_draw(tmp_path, runs, prompt, error, message):
    """Is an empty prompt, or one with a character the model never saw, refused with a message naming it?"""
    with pytest.raises(error, match=message):
        attention.main(checkpoint=runs["learned"], prompt=prompt, out=tmp_path / "attention.png", device="cpu")
    assert not (tmp_path / "attention.png").exists()


def test_commands_name_a_missing_checkpoint(tmp_path, runs):
    """Does each command that reads a checkpoint say which one is missing, or that it was given a folder?"""
    missing = tmp_path / "nowhere" / "ckpt.pt"
    with pytest.raises(CourseError, match=f"no checkpoint at {missing}"):
        attention.main(checkpoint=missing, prompt="ROMEO:", out=tmp_path / "a.png", device="cpu")
    with pytest.raises(CourseError, match="is a folder; pass the ckpt.pt inside it"):
        plot.sampling(checkpoint=runs["learned"].parent, out=tmp_path / "s.png", device="cpu")
    with pytest.raises(CourseError, match=f"no run folder or checkpoint at {missing.parent}"):
        plot.losses(runs=[missing.parent], out=tmp_path / "l.png")
    with pytest.raises(CourseError, match=f"the folder {tmp_path} holds no ckpt.pt"):
        plot.losses(runs=[tmp_path], out=tmp_path / "l.png")
    not_a_checkpoint = tmp_path / "ckpt.pt"
    not_a_checkpoint.write_text("hello")
    with pytest.raises(CourseError, match="is not a valid checkpoint"):
        plot.positions(checkpoint=not_a_checkpoint, out=tmp_path / "p.png")


def test_course_plot_losses_draws_several_runs(tmp_path, runs):
    """Does `course plot losses` take run folders and a ckpt.pt, and label each run with its folder, data and tokenizer?"""
    out = plot.losses(runs=[runs["learned"].parent, runs["sinusoidal"]], out=tmp_path / "losses.png", size_px=(900, 500))
    assert_picture(out, (900, 500))
    with pytest.raises(CourseError, match="given twice"):
        plot.losses(runs=[runs["learned"].parent, runs["learned"]], out=tmp_path / "again.png")
    with pytest.raises(CourseError, match="no runs given"):
        plot.losses(runs=[], out=tmp_path / "none.png")


def test_course_plot_positions_draws_sinusoids_or_a_learned_table(tmp_path, runs):
    """Does `course plot positions` draw sinusoids without a checkpoint and a model's own table with one?"""
    assert_picture(plot.positions(kind="sinusoidal", block_size=32, d_model=16, out=tmp_path / "sin.png", size_px=(600, 300)), (600, 300))
    assert_picture(plot.positions(checkpoint=runs["learned"], out=tmp_path / "learned.png"))
    assert_picture(plot.positions(checkpoint=runs["sinusoidal"], kind="sinusoidal", out=tmp_path / "model-sin.png"))


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"kind": "learned"}, "learned table comes from a trained model"),
        ({"kind": "rotary"}, "unknown --kind 'rotary'"),
        ({"kind": "learned", "checkpoint": "sinusoidal"}, "trained with sinusoidal positions, not learned"),
    ],
)
def test_course_plot_positions_refuses_a_kind_it_cannot_draw(tmp_path, runs, arguments, message):
    """Is a learned table without a model, an unknown kind, or a kind the model does not use refused?"""
    if "checkpoint" in arguments:
        arguments = {**arguments, "checkpoint": runs[arguments["checkpoint"]]}
    with pytest.raises(CourseError, match=message):
        plot.positions(**arguments, out=tmp_path / "positions.png")


def test_course_plot_sampling_draws_the_next_token_after_a_prompt(tmp_path, runs):
    """Does `course plot sampling` draw one panel per setting of a checkpoint's next-token distribution?"""
    out = plot.sampling(
        checkpoint=runs["learned"], prompt="JULIET:\n", settings=[SamplingSetting(1.0), parse_sampling_setting("0.7,5")],
        out=tmp_path / "sampling.png", size_px=(800, 300), device="cpu",
    )
    assert_picture(out, (800, 300))
    with pytest.raises(ValueError, match="top_k=0"):
        plot.sampling(checkpoint=runs["learned"], settings=[(1.0, 0, None)], out=tmp_path / "bad.png", device="cpu")
    with pytest.raises(ValueError, match="cannot be encoded.*Z"):
        plot.sampling(checkpoint=runs["learned"], prompt="ZEUS:", out=tmp_path / "bad.png", device="cpu")


def test_course_plot_bpe_reads_a_text_file(tmp_path, bpe_text):
    """Does `course plot bpe --text FILE` train on the file and write the picture; is a missing file named?"""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(bpe_text), encoding="utf-8")
    out = plot.bpe(text=corpus, vocab_sizes=[256, 300, 340], out=tmp_path / "bpe.png", size_px=(1100, 500))
    assert_picture(out, (1100, 500))
    with pytest.raises(CourseError, match="cannot read --text .*missing.txt"):
        plot.bpe(text=tmp_path / "missing.txt", out=tmp_path / "bpe.png")
    with pytest.raises(ValueError, match="at least 256"):
        plot.bpe(text=corpus, vocab_sizes=[128, 512], out=tmp_path / "bpe.png")
    with pytest.raises(ValueError, match="does not end in .png"):
        plot.bpe(text=corpus, out=tmp_path / "bpe.svg")


@pytest.mark.slow
def test_commands_read_a_real_course_train_run(tmp_path, data_dir):
    """Do the commands draw from the checkpoint of a real `course train` run (the smoke preset, on shakespeare)?"""
    from grader.commands import train

    run = train.main(preset="smoke", out=tmp_path / "smoke", data_dir=data_dir, device="cpu").out_dir
    assert_picture(attention.main(checkpoint=run / "ckpt.pt", prompt="ROMEO:", out=tmp_path / "attention.png", device="cpu"))
    assert_picture(plot.losses(runs=[run], out=tmp_path / "losses.png"))
    assert_picture(plot.positions(checkpoint=run / "ckpt.pt", out=tmp_path / "positions.png"))
    assert_picture(plot.sampling(checkpoint=run / "ckpt.pt", prompt="ROMEO:", out=tmp_path / "sampling.png", device="cpu"))
    assert_picture(plot.bpe(data_dir=data_dir, characters=100_000, vocab_sizes=[256, 512], out=tmp_path / "bpe.png"))
