"""The ``course`` command line: a thin layer over ``grader.commands``.

Every subcommand is a library function with keyword-only arguments; this
module only parses flags, calls it, and turns user errors into one line
on stderr (exit status 2) instead of a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from .console import console, print_error
from .devices import DEVICE_CHOICES
from .errors import CourseError
from .presets import DEFAULT_PRESET, PRESETS

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def _positive_int(text: str) -> int:
    value = _number(int, text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = _number(int, text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _float(text: str) -> float:
    return _number(float, text)


def _comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def _pixel_size(text: str) -> tuple[int, int]:
    from .pictures import parse_size  # here, not at the top: matplotlib is slow to import for `course --help`

    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _sampling_setting(text: str):
    from .pictures import parse_sampling_setting

    try:
        return parse_sampling_setting(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int_list(text: str) -> list[int]:
    return [_positive_int(item) for item in _comma_list(text)]


def _positive_float(text: str) -> float:
    value = _number(float, text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _number(kind, text: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="course",
        description="The MiniGPT course: check and compare your work, train and sample a GPT, draw it, manage datasets; for instructors, "
        "generate and release the student workspace, grade submissions in a sandbox, feed nbgrader and Gradescope.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train a GPT on a dataset",
        description="Train a GPT: the reference, or with --impl mine the one made of your own pieces; started by torchrun, "
        "it trains on every process with DDP. Presets: "
        + "; ".join(f"{name}: {preset.description}" for name, preset in PRESETS.items()),
    )
    train.add_argument("--preset", default=DEFAULT_PRESET, choices=sorted(PRESETS), help=f"training recipe (default {DEFAULT_PRESET})")
    train.add_argument("--dataset", help="dataset name (default: the preset's, shakespeare); see `course data list`")
    train.add_argument("--tokenizer", choices=("char", "bpe", "sentencepiece"), help="tokenizer (default: the preset's)")
    train.add_argument("--vocab-size", type=_positive_int, help="vocabulary size for bpe / sentencepiece")
    train.add_argument("--max-iters", type=_positive_int, help="number of optimiser steps (default: the preset's)")
    train.add_argument("--out", help="output folder (default: runs/PRESET-DATASET)")
    train.add_argument("--resume", action="store_true", help="continue the run whose checkpoint is in --out")
    train.add_argument("--device", default="auto", choices=DEVICE_CHOICES, help="where to train (default: auto, a GPU if there is one)")
    train.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None, help="torch.compile the model (default: on for GPU presets on a GPU)")
    train.add_argument("--fused-attention", action=argparse.BooleanOptionalAction, default=None, help="use torch's fused attention kernel (default: the preset's)")
    train.add_argument("--seed", type=int, default=1337, help="seed for initialisation and batches (default 1337)")
    train.add_argument(
        "--impl", metavar="WHOSE",
        help="whose code trains: 'reference' (default), 'mine' (your assignments/: each piece whose public tests pass is "
        "yours, the rest is borrowed from the reference, and a table shows which) or a folder laid out like assignments/; "
        "--resume keeps the run's",
    )
    train.add_argument("--data-dir", help="dataset cache folder (default: $COURSE_DATA_DIR or ~/.cache/minigpt-course)")
    shape = train.add_argument_group("model and optimisation overrides (default: the preset's)")
    shape.add_argument("--n-layer", type=_positive_int, help="transformer blocks")
    shape.add_argument("--n-head", type=_positive_int, help="attention heads per block (must divide --d-model)")
    shape.add_argument("--d-model", type=_positive_int, help="width of the residual stream")
    shape.add_argument("--block-size", type=_positive_int, help="context length in tokens")
    shape.add_argument("--batch-size", type=_positive_int, help="sequences per micro-batch")
    shape.add_argument("--grad-accum-steps", type=_positive_int, help="micro-batches per optimiser step")
    shape.add_argument("--dropout", type=_float, help="dropout probability")
    shape.add_argument("--max-lr", type=_float, help="peak learning rate")
    shape.add_argument("--eval-interval", type=_positive_int, help="steps between evaluations")
    shape.add_argument("--eval-iters", type=_positive_int, help="batches per evaluation")

    sample = commands.add_parser("sample", help="generate text from a checkpoint", description="Generate text from a `course train` checkpoint.")
    sample.add_argument("--checkpoint", required=True, help="path to ckpt.pt")
    sample.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    sample.add_argument("--temperature", type=_float, default=0.8, help="softmax temperature; 0 is greedy (default 0.8)")
    sample.add_argument("--top-k", type=int, default=200, help="keep the k most likely tokens (default 200)")
    sample.add_argument("--top-p", type=_float, default=None, help="keep the smallest set with this much probability (default off)")
    sample.add_argument("--max-tokens", type=_non_negative_int, default=500, help="tokens to generate (default 500)")
    sample.add_argument("--num-samples", type=_positive_int, default=1, help="independent samples (default 1)")
    sample.add_argument("--seed", type=int, default=1337, help="sampling seed (default 1337)")
    sample.add_argument("--device", default="auto", choices=DEVICE_CHOICES, help="where to run (default: auto)")

    data = commands.add_parser("data", help="list datasets or build one", description="Registered datasets and their token caches.")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    data_commands.add_parser("list", help="list the registered datasets")
    prepare = data_commands.add_parser("prepare", help="build a dataset and cache its tokens")
    prepare.add_argument("name", help="dataset name")
    prepare.add_argument("--tokenizer", default="char", choices=("char", "bpe", "sentencepiece"), help="tokenizer (default char)")
    prepare.add_argument("--vocab-size", type=_positive_int, help="vocabulary size for bpe / sentencepiece")
    prepare.add_argument("--data-dir", help="dataset cache folder")

    generate = commands.add_parser(
        "generate",
        help="generate the student workspace assignments/ from solutions/",
        description="Stub every solution region of solutions/ into assignments/. Files you edited are kept unless --force.",
    )
    generate.add_argument("--out", help="destination folder (default: the repository's assignments/)")
    generate.add_argument("--force", action="store_true", help="overwrite files that were edited since they were generated")

    check = commands.add_parser(
        "check",
        help="run the public tests and show where each task stands",
        description="Run the public tests of your code, one table per assignment. Exit status 0 only when every task passes.",
    )
    check.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="assignments to check, e.g. a3 or a3_attention (default: all)")
    check.add_argument("--impl", help="the code to check: 'solutions', 'assignments' or a folder laid out like them (default: assignments)")
    check.add_argument("--json", action="store_true", help="print the results as JSON")

    status = commands.add_parser(
        "status",
        help="the whole course at a glance: due dates and tasks passed",
        description="One row per assignment: due date, tasks passing the public tests, points from the public checks and by hand.",
    )
    status.add_argument("--impl", help="the code to check: 'solutions', 'assignments' or a folder laid out like them (default: assignments)")
    status.add_argument("--json", action="store_true", help="print the overview as JSON")

    release = commands.add_parser(
        "release",
        help="write the student release of the course into a folder, checked for leaks",
        description="Write what students get (assignments/, the public tests, the tool without its instructor-only "
        "modules) into --out, after checking it for leaks; or, with --check, only check an existing release.",
    )
    release_target = release.add_mutually_exclusive_group(required=True)
    release_target.add_argument("--out", help="folder to write the release into (must be empty unless --force)")
    release_target.add_argument("--check", metavar="DIR", help="check the release in DIR for leaks; exit status 1 when any is found")
    release.add_argument("--force", action="store_true", help="replace a non-empty --out")

    audit = commands.add_parser(
        "audit",
        help="prove the grading suites: every mutant caught in its own task, every alternative full marks",
        description="Run the public and hidden suites on solutions/ (full marks), assignments/ (not started) and every "
        "entry of the catalogue of student code (tests/mutants): each mutant must lose points in its own task, each "
        "alternative must keep full marks, and no failure message may quote the hidden suites. Exit status 0 only when all hold.",
    )
    audit.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="assignments to audit, e.g. a3 (default: all)")
    audit.add_argument("--mutants", metavar="DIR", help="audit this catalogue instead of tests/mutants (one folder per assignment, laid out the same way)")
    audit.add_argument("--only", action="append", default=[], metavar="ENTRY", help="audit only this entry, e.g. a3_attention/no_scaling (repeatable)")
    audit.add_argument("--jobs", type=_positive_int, help="workers at once (default: the number of CPU cores)")
    audit.add_argument("--json", action="store_true", help="print the verdicts as JSON")

    attention = commands.add_parser(
        "attention",
        help="draw a trained model's attention weights for a prompt (PNG)",
        description="Draw the attention weights of every block and head of a `course train` checkpoint reading a prompt: "
        "a grid of heatmaps, blocks down and heads across, with the prompt's tokens on the axes.",
    )
    attention.add_argument("--checkpoint", required=True, help="path to ckpt.pt")
    attention.add_argument("--prompt", required=True, help="the text the model reads, at most its block_size tokens, e.g. 'ROMEO:'")
    attention.add_argument("--out", default="attention.png", help="PNG file to write (default attention.png)")
    attention.add_argument("--size", type=_pixel_size, metavar="WxH", help="picture size in pixels, e.g. 1600x1200 (default: about 240 per panel)")
    attention.add_argument("--device", default="auto", choices=DEVICE_CHOICES, help="where to run (default: auto)")

    plot = commands.add_parser(
        "plot",
        help="draw loss curves, positional encodings, sampling settings or BPE compression (PNG)",
        description="Pictures of runs, positional encodings, sampling settings and tokenizers, written as PNG files.",
    )
    pictures = plot.add_subparsers(dest="picture", required=True, metavar="PICTURE")
    losses = pictures.add_parser("losses", help="the loss curves of several runs on one plot")
    losses.add_argument("runs", nargs="+", metavar="RUN", help="a run folder (the --out of `course train`) or its ckpt.pt")
    losses.add_argument("--out", default="losses.png", help="PNG file to write (default losses.png)")
    positions = pictures.add_parser("positions", help="a positional encoding table and how alike its positions are")
    positions.add_argument("--kind", choices=("sinusoidal", "learned"), help="which table (default: the checkpoint's own; sinusoidal without one)")
    positions.add_argument("--checkpoint", help="draw the table of this model (ckpt.pt); needed for --kind learned")
    positions.add_argument("--block-size", type=_positive_int, default=64, help="positions of the sinusoidal table without --checkpoint (default 64)")
    positions.add_argument("--d-model", type=_positive_int, default=128, help="width of the sinusoidal table without --checkpoint, even (default 128)")
    positions.add_argument("--out", default="positions.png", help="PNG file to write (default positions.png)")
    sampling = pictures.add_parser("sampling", help="the next-token distribution after a prompt under temperature / top-k / top-p")
    sampling.add_argument("--checkpoint", required=True, help="path to ckpt.pt")
    sampling.add_argument("--prompt", default="\n", help="the text before the next token (default: a newline)")
    sampling.add_argument(
        "--setting", dest="settings", action="append", type=_sampling_setting, metavar="T[,K[,P]]",
        help="one panel: temperature, top-k, top-p, '-' for no filter, e.g. 0.8 or 1,40 or 1,-,0.9; repeat for more panels "
        "(default: 1; 0.5; 1,10; 1,-,0.9)",
    )
    sampling.add_argument("--top-n", type=_positive_int, default=20, help="most likely tokens shown and labelled (default 20)")
    sampling.add_argument("--out", default="sampling.png", help="PNG file to write (default sampling.png)")
    sampling.add_argument("--device", default="auto", choices=DEVICE_CHOICES, help="where to run (default: auto)")
    bpe = pictures.add_parser("bpe", help="the first BPE merges, and bytes per token against sentencepiece as the vocabulary grows")
    bpe.add_argument("--dataset", default="shakespeare", help="corpus to train on (default shakespeare); see `course data list`")
    bpe.add_argument("--text", help="a UTF-8 text file to train on instead of --dataset")
    bpe.add_argument("--vocab-sizes", type=_positive_int_list, default=[256, 384, 512, 768, 1024], metavar="LIST", help="vocabulary sizes, comma-separated, each >= 256 (default 256,384,512,768,1024)")
    bpe.add_argument("--characters", type=_positive_int, default=500_000, help="characters of the corpus to use, 90%% to train, 10%% to measure (default 500000: about a second)")
    bpe.add_argument("--data-dir", help="dataset cache folder")
    bpe.add_argument("--out", default="bpe.png", help="PNG file to write (default bpe.png)")
    for picture in (losses, positions, sampling, bpe):
        picture.add_argument("--size", type=_pixel_size, metavar="WxH", help="picture size in pixels, e.g. 1600x900 (default: the picture's own)")

    compare = commands.add_parser(
        "compare",
        help="self-learners: run the public and hidden tests and show each failed task beside the reference",
        description="Run the public and hidden tests on your code (full repository only: needs solutions/ and tests/hidden/). "
        "For each failed task: its first failing comparison side by side with the reference (shapes, dtypes, max error and "
        "where, a small window of both values), the hint, and the `course solution` command that prints the reference code. "
        "Exit status 0 only when every task passes.",
    )
    compare.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="assignments to compare, e.g. a3 or a3_attention (default: all)")
    compare.add_argument("--impl", default="assignments", help="the code to compare: 'assignments' (default), 'solutions' or a folder laid out like them")
    compare.add_argument("--json", action="store_true", help="print the results and the side-by-side values as JSON")

    similarity = commands.add_parser(
        "similarity",
        help="find pairs of submissions whose code is suspiciously alike: a ranked table and a side-by-side HTML page",
        description="Compare the code module of each assignment between every two SUBMISSIONs, MOSS-style: names the "
        "student chose, comments, docstrings, layout and the order of functions are ignored. The stub never counts, and "
        "code that is the reference solution is reported per student, not as a pair. Prints the ranked pairs; writes "
        "OUT/similarity.html (each pair side by side, matched regions coloured) and OUT/similarity.json. Student code is "
        "only read, never run.",
    )
    similarity.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="submission folders, zips, nbgrader courses, or folders of them")
    similarity.add_argument("--out", required=True, metavar="DIR", help="folder for similarity.html and similarity.json (made if missing)")
    similarity.add_argument("--assignments", type=_comma_list, default=[], metavar="LIST", help="compare only these assignments, comma-separated, e.g. a1,a3 (default: all with code)")
    similarity.add_argument("--threshold", type=_float, default=0.5, metavar="SHARE", help="list pairs when at least this share (0 to 1) of the smaller submission's code is in the other's (default: 0.5)")
    similarity.add_argument("--top", type=_positive_int, default=50, metavar="N", help="list at most N pairs, most alike first (default: 50)")
    similarity.add_argument("--common", type=_positive_int, default=10, metavar="N", help="ignore code that more than N submissions of an assignment share, like MOSS's -m (default: 10)")
    similarity.add_argument("--json", action="store_true", help="print the report as JSON instead of the tables")

    solution = commands.add_parser(
        "solution",
        help="self-learners: print the reference code of one task (asks first)",
        description="Print the reference code of TASK from solutions/ (full repository only). Asks for confirmation the first "
        "time for each task and remembers a yes in .course/solutions-shown.json. A written-answer task points to the solution notebook.",
    )
    solution.add_argument("task", metavar="TASK", help="task id, e.g. 3.2")
    solution.add_argument("--yes", action="store_true", help="show it without asking (for scripts; the consent is remembered)")

    gradescope = commands.add_parser(
        "gradescope",
        help="build the Gradescope autograder zip: setup.sh, run_autograder, and the suites and reference of the assignments it grades",
        description="Write a Gradescope autograder bundle: setup.sh (builds the image: torch's CPU build, this course, bubblewrap), "
        "run_autograder (grades /autograder/submission with `course grade` and writes /autograder/results/results.json, hidden "
        "tests visible after publication), and only the files grading reads.",
    )
    gradescope.add_argument("--out", required=True, metavar="ZIP", help="the zip to write (replaced if it exists), e.g. autograder.zip")
    gradescope.add_argument(
        "--assignments", type=_comma_list, default=[], metavar="LIST",
        help="the assignments it grades, comma-separated, e.g. a2 (default: every assignment with code; usually one per Gradescope assignment)",
    )

    grade = commands.add_parser(
        "grade",
        help="grade submissions with the hidden suites, student code isolated; grades, feedback and Gradescope files",
        description="Grade each SUBMISSION: a folder laid out like assignments/, a zip of one, an nbgrader course "
        "(or its submitted/ folder), or a folder of such submissions. Student code runs only in sandboxed worker "
        "processes; the tests and the reference stay in the grader. Writes OUT/results/<student>.json, OUT/grades.csv, "
        "OUT/feedback/<student>.md and .html, and OUT/gradescope/<student>/results.json. A rerun keeps every result "
        "whose submission, course and options are unchanged, so an interrupted run resumes where it stopped.",
    )
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="submission folders, zips, nbgrader courses, or folders of them")
    grade.add_argument("--out", required=True, metavar="DIR", help="output folder (made if missing; earlier results there are reused)")
    grade.add_argument("--assignments", type=_comma_list, default=[], metavar="LIST", help="grade only these assignments, comma-separated, e.g. a1,a3 (default: all)")
    grade.add_argument("--jobs", type=_positive_int, help="submissions graded at once (default: the number of CPU cores)")
    grade.add_argument(
        "--isolation", choices=("auto", "sandbox", "process"), default="auto",
        help="sandbox: bubblewrap, no network, no view of solutions or other submissions; process: limits only, "
        "for machines without bubblewrap; auto (default): sandbox where it works, else process with a warning",
    )
    grade.add_argument("--regrade", action="append", default=[], metavar="STUDENT", help="grade this student again even if unchanged (repeatable)")
    grade.add_argument("--roster", metavar="CSV", help="students of the class (column 'student', optional 'folder'); those without a submission get a row of zeros")
    grade.add_argument("--test-time-limit", type=_positive_float, metavar="SECONDS", help="wall-clock and CPU seconds per test (default: course.toml's test_timeout_seconds)")
    grade.add_argument(
        "--nbgrader", metavar="COURSE_ROOT",
        help="also write the points into the gradebook of this nbgrader course folder (after `nbgrader autograde`, "
        "before `nbgrader export`)",
    )
    grade.add_argument("--json", action="store_true", help="print the result records as JSON instead of the table")
    return parser


def run(args: argparse.Namespace) -> int:
    """Dispatch parsed arguments to the subcommand's ``main``."""
    if args.command == "train":
        from .commands import train

        overrides = {
            name: getattr(args, name)
            for name in ("n_layer", "n_head", "d_model", "block_size", "batch_size", "grad_accum_steps", "dropout", "max_lr", "eval_interval", "eval_iters")
        }
        train.main(
            preset=args.preset,
            dataset=args.dataset,
            tokenizer=args.tokenizer,
            vocab_size=args.vocab_size,
            max_iters=args.max_iters,
            out=args.out,
            resume=args.resume,
            device=args.device,
            compile=args.compile,
            fused_attention=args.fused_attention,
            seed=args.seed,
            data_dir=args.data_dir,
            impl=args.impl,
            **overrides,
        )
    elif args.command == "sample":
        from .commands import sample

        texts = sample.main(
            checkpoint=args.checkpoint,
            prompt=args.prompt,
            temperature=args.temperature,
            top_k=args.top_k,
            top_p=args.top_p,
            max_tokens=args.max_tokens,
            seed=args.seed,
            num_samples=args.num_samples,
            device=args.device,
        )
        for index, text in enumerate(texts):
            if index:
                console.print("-" * 40)
            console.print(text, markup=False, soft_wrap=True)
    elif args.command == "data":
        from .commands import data

        if args.data_command == "list":
            data.list_datasets()
        else:
            data.prepare(name=args.name, tokenizer=args.tokenizer, vocab_size=args.vocab_size, data_dir=args.data_dir)
    elif args.command == "generate":
        from .commands import generate

        generate.report(generate.main(dest=args.out, force=args.force))
    elif args.command == "check":
        from .commands import check

        report = check.main(assignments=args.assignments, impl=args.impl, json_output=args.json)
        return 0 if report.all_passed else 1
    elif args.command == "status":
        from .commands import status

        status.main(impl=args.impl, json_output=args.json)
    elif args.command == "release":
        from .commands import release

        if args.check:
            leaks = release.check(path=args.check)
            release.report_leaks(args.check, leaks)
            return 1 if leaks else 0
        try:
            release.report(release.main(out=args.out, force=args.force))
        except release.LeakError as error:
            release.report_leaks(error.out, error.leaks)
            raise
    elif args.command == "audit":
        from .commands import audit

        rows = audit.main(assignments=args.assignments, mutants=args.mutants, only=args.only, jobs=args.jobs, json_output=args.json)
        return 0 if all(row.ok for row in rows) else 1
    elif args.command == "attention":
        from .commands import attention

        attention.main(checkpoint=args.checkpoint, prompt=args.prompt, out=args.out, size_px=args.size, device=args.device)
    elif args.command == "plot":
        from .commands import plot

        if args.picture == "losses":
            plot.losses(runs=args.runs, out=args.out, size_px=args.size)
        elif args.picture == "positions":
            plot.positions(
                kind=args.kind, checkpoint=args.checkpoint, block_size=args.block_size, d_model=args.d_model, out=args.out, size_px=args.size
            )
        elif args.picture == "sampling":
            plot.sampling(
                checkpoint=args.checkpoint, prompt=args.prompt, settings=args.settings or plot.DEFAULT_SAMPLING_SETTINGS,
                top_n=args.top_n, out=args.out, size_px=args.size, device=args.device,
            )
        else:
            plot.bpe(
                dataset=args.dataset, text=args.text, vocab_sizes=args.vocab_sizes, characters=args.characters,
                data_dir=args.data_dir, out=args.out, size_px=args.size,
            )
    elif args.command == "compare":
        from .commands import compare

        report = compare.main(assignments=args.assignments, impl=args.impl, json_output=args.json)
        return 0 if report.all_passed else 1
    elif args.command == "similarity":
        from .commands import similarity

        similarity.main(
            submissions=args.submissions, out=args.out, assignments=args.assignments, threshold=args.threshold,
            top=args.top, common_limit=args.common, json_output=args.json,
        )
    elif args.command == "solution":
        from .commands import solution

        return 0 if solution.main(task=args.task, yes=args.yes) is not None else 1
    elif args.command == "gradescope":
        from .commands import gradescope

        gradescope.main(out=args.out, assignments=args.assignments)
    elif args.command == "grade":
        from .commands import grade

        grade.main(
            submissions=args.submissions, out=args.out, assignments=args.assignments, jobs=args.jobs, isolation=args.isolation,
            regrade=args.regrade, roster=args.roster, test_time_limit=args.test_time_limit, nbgrader=args.nbgrader,
            json_output=args.json,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``course`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (CourseError, ValueError, FileNotFoundError) as error:
        # ValueError / FileNotFoundError come from the library's argument and
        # file checks, whose messages already name the problem and the value.
        if os.environ.get("COURSE_DEBUG"):
            traceback.print_exc()
        print_error(str(error))
        return EXIT_USER_ERROR
    except ImportError as error:
        missing = _left_out_of_release(error)
        if missing is None:
            raise
        if os.environ.get("COURSE_DEBUG"):
            traceback.print_exc()
        command = " ".join(filter(None, (args.command, getattr(args, "data_command", None))))
        print_error(f"`course {command}` is not available here: {missing}")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`course check --json | head`): not an error of ours.
        # Point stdout at devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _left_out_of_release(error: ImportError) -> str | None:
    """Why a command failed to import in a student release (see grader/commands/release.py), or None.

    The release has no solutions/ (``course train`` and ``course sample`` drive
    the reference model) and no instructor-only modules (``course generate``).
    In the instructors' repository, which has solutions/, every ImportError is a bug and gets its traceback.
    """
    if (Path(__file__).resolve().parents[1] / "solutions").is_dir():
        return None
    name = error.name or ""
    if name == "solutions" or name.startswith("solutions."):
        return "it needs the reference solutions (solutions/), which this student copy of the course does not include"
    if name == "grader" or name.startswith("grader."):
        return "it is an instructor command, which this student copy of the course does not include"
    return None


if __name__ == "__main__":
    sys.exit(main())
