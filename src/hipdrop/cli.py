"""The `hipdrop` command: a thin layer over the library.

Library errors (:class:`hipdrop.errors.HipdropError`) become one line on stderr and a non-zero
exit status; ``--traceback`` shows the whole story to developers.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hipdrop import __version__
from hipdrop.errors import HipdropError
from hipdrop.io.signals import signum_of, stop_on_signals
from hipdrop.progress import DOWNLOAD, FILES, Progress
from hipdrop.settings import Settings, load_settings, setting_fields

EXIT_BROKEN_PIPE = 128 + 13  # as a process SIGPIPE ended: the reader of stdout went away


def _err(message: str) -> None:
    print(f"hipdrop: {message}", file=sys.stderr)


def _bars(enabled: bool) -> Progress | None:
    """The one progress callback (:mod:`hipdrop.progress`) as tqdm bars on stderr, one a stage
    (hidden when stderr is not a terminal)."""
    if not enabled:
        return None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def tick(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            size = {"unit": "B", "unit_scale": True} if stage == DOWNLOAD else {"unit": "frame"}
            bar = bars[stage] = tqdm(total=total or None, desc=_BAR_LABELS.get(stage, stage),
                                     leave=False, file=sys.stderr, disable=None,
                                     dynamic_ncols=True, **size)
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()

    return tick


_BAR_LABELS = {DOWNLOAD: "download model"}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text}")
    return value


def _folder(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder, not be empty")
    return Path(text)


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("thresholds (override --settings; defaults in brackets)")
    defaults = Settings()
    for f in setting_fields():
        flag = "--" + f.name.replace("_", "-")
        group.add_argument(flag, dest=f"set_{f.name}", type=float, metavar="X",
                           help=f"{f.metadata['help']} [{getattr(defaults, f.name):g}]")


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides = {k[4:]: v for k, v in vars(args).items() if k.startswith("set_")}
    return load_settings(args.settings, **overrides)


def _model_loader(spec: str | None, progress: bool) -> Callable:
    from hipdrop.io import models

    def load() -> models.ResolvedModel:
        return models.resolve(spec, progress=_bars(progress))

    return load


def _add_history_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--person", default="me", metavar="NAME",
                        help="whose session this is, in the history and the report [me]")
    parser.add_argument("--no-history", action="store_true",
                        help="do not record this session in the local history")


def _log_session(args: argparse.Namespace, summary: dict, out_dir: Path, command: str,
                 video: Path | None, analysis: Any = None) -> Path | None:
    """Record the session in the history and write report.html, after every other output
    (from ``analysis``'s frames when given: frames.csv need not be read back)."""
    from hipdrop.history.sessionlog import log_session

    frames = None
    if analysis is not None:
        from hipdrop.reports.html import frames_of

        frames = frames_of(analysis)
    done = log_session(summary, out_dir, command=command, person=args.person,
                       history=not args.no_history, video=video, frames=frames)
    for w in done.warnings:
        _err(f"warning: {w}")
    return done.report


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse a recorded video (or a landmarks .npz) and write the results to a folder."""
    from hipdrop.offline import analyze_source
    from hipdrop.reports.files import human_summary

    settings = _settings_from(args)
    progress = not args.quiet
    result = analyze_source(
        Path(args.source), args.out, settings=settings, model=_model_loader(args.model, progress),
        video=not args.no_video, num_poses=args.people, progress=_bars(progress),
        estimator=args.obliquity, inputs=[args.settings] if args.settings else [])
    for w in result.warnings:
        _err(f"warning: {w}")
    if result.summary is not None and not result.interrupted:
        from hipdrop.offline import is_landmarks_file

        source = Path(args.source)
        report = _log_session(args, result.summary, result.out_dir, "analyze",
                              None if is_landmarks_file(source) else source, result.analysis)
        result.files += [report] if report else []
    if not args.quiet and result.summary is not None:
        print(human_summary(result.summary))
    print(f"Results in {result.out_dir}/: {', '.join(p.name for p in result.files)}")
    return 128 + result.signum if result.interrupted else 0


def cmd_batch(args: argparse.Namespace) -> int:
    """Analyse many videos (files, folders, globs) on every core, or on a Ray cluster.

    One folder per source under --out (the same files as `analyze`), and batch.csv + batch.json
    for the whole batch, rewritten after every finished source. A re-run skips the sources whose
    results are complete (same file, settings and model) unless --force; a failing source is
    recorded and the batch goes on (exit status 1 when any failed); Ctrl-C or SIGTERM keeps
    every finished source and leaves the table true (exit status 128 + the signal).
    """
    from hipdrop import batch

    options = batch.BatchOptions(settings=_settings_from(args), video=not args.no_video,
                                 num_poses=args.people, estimator=args.obliquity)
    if args.ray and args.ray != "auto" and ":" not in args.ray:
        # `--ray clip.mp4 ...`: argparse took the first source for an address (host:port, auto).
        args.sources.insert(0, args.ray)
        args.ray = ""
    sources = batch.discover_sources(args.sources, args.out)
    run = dict(options=options, model=_model_loader(args.model, not args.quiet), jobs=args.jobs,
               force=args.force, progress=None if args.quiet else _batch_bar())
    result = (batch.run_ray(sources, args.out, address=args.ray or None, **run)
              if args.ray is not None else batch.run_pool(sources, args.out, **run))
    counts = batch.summary_of(result)
    for row in result.failed:  # most errors name their file already
        where = "" if row["source"] in row["error"] else f"{row['source']}: "
        _err(f"failed: {where}{row['error']}")
    print(f"{counts['done']} of {counts['total']} sources done ({counts['resumed']} from an "
          f"earlier run), {counts['failed']} failed, {counts['pending']} not run: "
          f"{args.out / batch.TABLE_CSV}")
    if result.interrupted:
        _err("interrupted")
        return 128 + result.interrupted
    return 1 if counts["failed"] else 0


def _batch_bar() -> Progress:
    """One bar for the batch: frames a second and time left, files done in its label."""
    from tqdm import tqdm

    bar = None
    files = (0, 0)

    def tick(stage: str, done: int, total: int) -> None:
        nonlocal bar, files
        if stage == FILES:
            files = (done, total)
            return
        if bar is None:
            bar = tqdm(total=total or None, unit="frame", file=sys.stderr, disable=None,
                       dynamic_ncols=True, smoothing=0.1)
        if total and bar.total != total:  # counted on a thread: known later
            bar.total = total
        bar.set_description(f"{files[0]}/{files[1]} files", refresh=False)
        bar.update(done - bar.n)
        if files[0] >= files[1]:
            bar.close()

    return tick


def cmd_live(args: argparse.Namespace) -> int:
    """Live from a webcam: the guided single-leg stance test, a rep counter, or a hold timer.

    Keys: SPACE start/next (or raise both hands above your head for a second), R restart,
    M mirror, V voice on/off, F full screen, Q or Esc quit. Cues are spoken (espeak-ng; a beep without it).
    The session is saved when it ends, however it ends (a video file given as --source plays
    as a camera would).
    """
    from hipdrop.live.app import ENDED_INTERRUPT, LiveOptions, run_live

    options = LiveOptions(
        source=args.source, mode=args.mode, mirror=args.mirror, save_dir=args.save,
        max_seconds=args.max_seconds, headless=args.headless, settings=_settings_from(args),
        mute=args.mute, target=args.target, sets=args.sets, side=args.side,
        fullscreen=args.fullscreen)
    result = run_live(options, _model_loader(args.model, progress=True))
    if result.out_dir is not None and result.summary is not None:
        # A routine's times are its steps' own: no key frames from the whole video.
        video = Path(args.source) if Path(args.source).is_file() and args.mode != "routine" \
            else None
        _log_session(args, result.summary, result.out_dir, "live", video)
    if result.text:
        print(result.text)
    if result.line:
        print(result.line)
    if result.error is not None:
        raise result.error
    return 128 + result.signum if result.reason == ENDED_INTERRUPT else 0


def cmd_models(args: argparse.Namespace) -> int:
    """List the pose models and where they are, or fetch one."""
    from hipdrop.io import models

    if args.action == "fetch":
        info = models.REGISTRY[args.name]
        present = models.find(info)
        if present is not None and models.sha256_of(present) in info.sha256:
            print(f"{info.name}: already present and verified at {present}")
            return 0
        resolved = _model_loader(info.name, progress=True)()
        print(f"{info.name}: verified at {resolved.path}")
        return 0
    print(f"{'model':6} {'size':>8}  {'status':10} path")
    for row in models.status():
        state = "verified" if row.verified else ("BAD SUM" if row.path else "missing")
        where = str(row.path) if row.path else f"(hipdrop models fetch {row.info.name})"
        default = " (default)" if row.info.name == models.DEFAULT_MODEL else ""
        print(f"{row.info.name:6} {row.info.size / 1e6:6.1f}MB  {state:10} {where}{default}")
    print("searched: " + ", ".join(str(d) for d in models.search_dirs()))
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``command``, the other sub-commands whose options are
    costly to import (history, synth) are listed but not filled in."""
    parser = argparse.ArgumentParser(
        prog="hipdrop",
        description="Measure pelvic drop in single-leg stance (Trendelenburg sign) and count "
                    "hip-abduction reps, from a webcam or a video. A self-assessment aid, not a "
                    "diagnosis.")
    parser.add_argument("--version", action="version", version=f"hipdrop {__version__}")
    parser.add_argument("--traceback", action="store_true",
                        help="show the full traceback of errors (for developers)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("analyze", help="analyse a recorded video or landmarks file",
                       description=cmd_analyze.__doc__)
    p.add_argument("source", help="a video file, or a landmarks .npz written by hipdrop")
    p.add_argument("--out", type=_folder, help="output folder [next to SOURCE: <name>_hipdrop]")
    p.add_argument("--model", help="lite, full, heavy, or a .task file [full]")
    p.add_argument("--settings", type=Path, metavar="FILE.toml", help="thresholds from a TOML file")
    p.add_argument("--no-video", action="store_true", help="skip annotated.mp4 (faster)")
    p.add_argument("--obliquity", choices=["hipdrop", "landmarks"], default="hipdrop",
                   help="read the pelvic tilt with hipdrop's estimator (waist line and "
                        "calibrated landmarks) or the raw hip-landmark line [hipdrop]")
    p.add_argument("--people", type=_positive_int, default=1, metavar="N",
                   help="poses the model looks for; >1 helps keep the same person with "
                        "bystanders in view [1]")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summary")
    _add_history_flags(p)
    _add_settings_flags(p)
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("batch", help="analyse many videos on every core or on a Ray cluster",
                       description=cmd_batch.__doc__)
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="videos, folders (searched recursively) or quoted globs")
    p.add_argument("--out", type=Path, required=True, help="output folder: one sub-folder a source")
    p.add_argument("--jobs", type=_positive_int, metavar="N",
                   help="worker processes (local Ray CPUs with --ray) [one a core]")
    p.add_argument("--force", action="store_true", help="redo sources already done")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="run on the Ray cluster at ADDRESS (or a local one); needs hipdrop[cluster]")
    p.add_argument("--model", help="lite, full, heavy, or a .task file [full]")
    p.add_argument("--settings", type=Path, metavar="FILE.toml", help="thresholds from a TOML file")
    p.add_argument("--no-video", action="store_true", help="skip annotated.mp4 (faster)")
    p.add_argument("--obliquity", choices=["hipdrop", "landmarks"], default="hipdrop",
                   help="as for analyze [hipdrop]")
    p.add_argument("--people", type=_positive_int, default=1, metavar="N",
                   help="poses the model looks for, as for analyze [1]")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_settings_flags(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("live", help="guided stance test, rep counter or hold timer from a webcam",
                       description=cmd_live.__doc__)
    p.add_argument("--source", default="0", metavar="0|PATH|URL",
                   help="camera index, video file (played at its frame rate) or stream URL [0]")
    p.add_argument("--mode", choices=["stance", "reps", "hold", "squat", "bump", "routine"],
                   default="stance",
                   help="stance: guided single-leg stance test; reps: abduction rep counter; "
                        "hold: leg-hold timer; squat: squat counter with each squat's sideways "
                        "pelvic shift; bump: hip bumps against a wall; routine: the stance "
                        "test, the exercises on the side that dropped, and the retest [stance]")
    p.add_argument("--side", choices=["left", "right"],
                   help="routine: the leg to work [the side the stance test found a drop on]")
    p.add_argument("--model", help="lite, full, heavy, or a .task file [full]")
    p.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=True,
                   help="show the picture as a mirror; labels stay anatomical [mirror]")
    p.add_argument("--save", type=_folder, metavar="DIR",
                   help="session folder [./hipdrop-session-YYYYmmdd-HHMMSS]")
    p.add_argument("--max-seconds", type=_positive_seconds, metavar="S",
                   help="end the session after S s (> 0)")
    p.add_argument("--headless", action="store_true",
                   help="no window: each event on stderr as it happens (the session is saved)")
    p.add_argument("--mute", action="store_true", help="no spoken cues (still logged in cues.jsonl)")
    p.add_argument("--target", type=_positive_seconds, metavar="N",
                   help="reps: reps per leg in a set [10]; hold: seconds a leg [30]; bump: "
                        "bumps [10]; routine: the reps and bumps of each step [10]")
    p.add_argument("--sets", type=_positive_int, default=1, metavar="N",
                   help="reps: sets of --target reps per leg; the session ends after the last [1]")
    p.add_argument("--fullscreen", action="store_true",
                   help="start full screen (F toggles it) [a window fitted to the screen]")
    p.add_argument("--settings", type=Path, metavar="FILE.toml", help="thresholds from a TOML file")
    _add_history_flags(p)
    _add_settings_flags(p)
    p.set_defaults(func=cmd_live)

    p = sub.add_parser("models", help="list pose models, or fetch one",
                       description=cmd_models.__doc__)
    msub = p.add_subparsers(dest="action", metavar="ACTION")
    f = msub.add_parser("fetch", help="download a model and check its sha256")
    f.add_argument("name", nargs="?", default="full", choices=["lite", "full", "heavy"])
    p.set_defaults(func=cmd_models)

    # history's and synth's options come from their own modules (synth's pull in NumPy and
    # the renderer's tables): they are imported only when one of them is the command, which
    # takes ~0.1 s off every other command's start-up (issue 15).
    wanted = command is None or command == "history"
    p = sub.add_parser("history", help="sessions recorded on this computer; trend; forget",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    if wanted:
        from hipdrop.history import cli as history_cli

        p.description = history_cli.__doc__
        history_cli.add_arguments(p)
        p.set_defaults(func=history_cli.run)

    p = sub.add_parser("synth", help="render a synthetic person with exact ground truth "
                       "(needs hipdrop[synth])")
    if command is None or command == "synth":
        from hipdrop.synth import cli as synth_cli  # imports no torch until a render runs

        p.description = synth_cli.__doc__
        synth_cli.add_arguments(p)
        p.set_defaults(func=synth_cli.run)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names (its first argument not an option), or None."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def main(argv: Sequence[str] | None = None) -> int:
    # SIGINT, SIGTERM and SIGHUP all stop a run the same way, from the first instant: what was
    # measured is saved and the exit status is 128 + the signal (hipdrop.io.signals).
    with stop_on_signals():
        try:
            return _main(argv)
        except KeyboardInterrupt as exc:  # before or after a command's own handling
            _err("interrupted")
            return 128 + signum_of(exc)
        except BrokenPipeError:
            return _broken_pipe()


def _broken_pipe() -> int:
    """stdout's reader went away (``| head``): stop quietly, as a Unix tool does."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail
    except (OSError, ValueError):
        pass
    return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    show = warnings.showwarning

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        _err(f"warning: {message}")

    warnings.showwarning = one_line_warning
    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed stdout is found here, not at the interpreter's exit
        return status
    except HipdropError as exc:
        if args.traceback:
            traceback.print_exc()
        _err(f"error: {exc}")
        return exc.exit_status
    except KeyboardInterrupt as exc:
        if args.traceback:
            traceback.print_exc()
        _err("interrupted")
        return 128 + signum_of(exc)
    finally:
        warnings.showwarning = show
