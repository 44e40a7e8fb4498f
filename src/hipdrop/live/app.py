"""`hipdrop live`: frames from a camera (or a file played as one) through the pose model and the
streaming analysis to the screen, and the session saved however it ends.

The loop is: newest frame (:mod:`hipdrop.io.capture`) -> pose (:mod:`hipdrop.io.pose`) ->
:class:`hipdrop.pipeline.stream.StreamAnalyzer` (the offline functions, fed frame by frame) -> the guide
(:mod:`hipdrop.live.guide`) -> the window (:mod:`hipdrop.live.screens`). Keys are read once a frame with a
single ``cv2.waitKey``. The session is saved (summary.json, frames.csv, landmarks.npz, the
formats of DESIGN.md) on every way out: a key, the window closed, Ctrl-C, the end of a file,
``max_seconds``, or the camera lost, the last of which is then raised as a CameraError.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from hipdrop.core.reps import Rep
from hipdrop.core.squat import SquatTracker
from hipdrop.core.verdict import INCONCLUSIVE, NOT_TESTED, Verdict
from hipdrop.errors import CameraError, InputError, SettingsError
from hipdrop.io.capture import Frame, FrameSource, open_source
from hipdrop.io.models import ResolvedModel
from hipdrop.io.outputs import OutputPlan, write_bytes, write_file
from hipdrop.io.pose import PoseEstimator, PoseFrame
from hipdrop.io.signals import signum_of
from hipdrop.live.coach import Coach, only_measured, summary_text
from hipdrop.live.cues import Cue
from hipdrop.live.guide import (
    FramingAdvice,
    Guide,
    GuidedResult,
    GuideTiming,
    GuideView,
    Step,
    framing_issues,
    guided_result,
)
from hipdrop.live.screens import COUNTER_KEYS, RESULT_KEYS, Hud, Screen, render, window_title
from hipdrop.live.voice import Speaker
from hipdrop.live.window import WINDOW, Window  # noqa: F401 (WINDOW: re-exported)
from hipdrop.pipeline.analysis import Analysis
from hipdrop.pipeline.stream import FrameState, StreamAnalyzer
from hipdrop.reports.files import summary, write_frames, write_summary
from hipdrop.reports.plot import plot_obliquity
from hipdrop.settings import Settings
from hipdrop.vision.cues import WaistCue, waist_line, waist_row
from hipdrop.vision.markers import MarkerCue, MarkerTracker
from hipdrop.vision.silhouette import may_squat, silhouette_cue

MODES = ("stance", "reps", "hold", "squat", "bump", "routine")
FRAMING_EVERY_S = 0.1

# Keys, read with ``cv2.waitKey(...) & 0xFF``.
NEXT, RESTART, MIRROR, QUIT, MUTE = "next", "restart", "mirror", "quit", "mute"
FULLSCREEN = "fullscreen"
SKIP = "skip"  # the routine: skip the step
KEYS = {32: NEXT, 13: NEXT, ord("r"): RESTART, ord("R"): RESTART, ord("m"): MIRROR,
        ord("M"): MIRROR, ord("q"): QUIT, ord("Q"): QUIT, 27: QUIT,
        ord("v"): MUTE, ord("V"): MUTE,  # v: the voice on and off (m is mirror)
        ord("f"): FULLSCREEN, ord("F"): FULLSCREEN, ord("n"): SKIP, ord("N"): SKIP}

SESSION_FILES = ("landmarks.npz", "summary.json", "frames.csv", "obliquity.png", "result.png")
CUE_LOG = "cues.jsonl"  # what was said, and what became of each cue
DRAIN_S = 8.0  # at the end, the voice may finish the result this long

# How a session ended.
ENDED_QUIT, ENDED_FILE, ENDED_TIME = "quit", "end of file", "max seconds"
ENDED_INTERRUPT, ENDED_CAMERA = "interrupted", "camera lost"
ENDED_DONE = "done"  # the reps' last set, or both legs' holds, finished


@dataclass
class LiveOptions:
    """The choices of one `hipdrop live` run (the command-line flags)."""

    source: str = "0"
    mode: str = "stance"
    mirror: bool = True
    save_dir: Path | None = None  # default: ./hipdrop-session-YYYYmmdd-HHMMSS
    max_seconds: float | None = None
    headless: bool = False
    paced: bool = True  # a file plays at its frame rate, as a camera would
    settings: Settings = field(default_factory=Settings)
    num_poses: int = 1
    linger: bool = True  # at the end of a file, keep the result on screen until a key
    mute: bool = False  # no voice (the cues are still logged)
    target: float | None = None  # reps: per leg a set [10]; hold: seconds [settings' hold target]
    sets: int = 1  # reps: sets to do
    events: bool | None = None  # print each event on stderr [when headless]
    fullscreen: bool = False
    side: str | None = None  # routine: the working leg [the side the stance test found a drop on]


# ---------------------------------------------------------------------------------------------
# Throughput


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    p50, p95 = np.percentile(np.array(values), [50, 95])
    return {"p50": round(float(p50), 3), "p95": round(float(p95), 3)}


class Stats:
    """Per-frame timings (milliseconds) and the frame rate the loop achieves."""

    def __init__(self) -> None:
        self.latency_ms: list[float] = []  # capture -> FrameState ready
        self.pose_ms: list[float] = []  # pose model + image cue
        self.cue_ms: list[float] = []  # of which the image cues (waist, markers, silhouette)
        self.post_ms: list[float] = []  # streaming analysis + framing + guide
        self.draw_ms: list[float] = []  # render + imshow + waitKey
        self._recent: deque[float] = deque(maxlen=31)  # monotonic times of the last frames
        self._first = math.nan
        self.dropped = 0
        self.frames = 0

    def frame_done(self, now: float) -> None:
        """A frame's result is ready at ``now`` (time.monotonic)."""
        self.frames += 1
        self._recent.append(now)
        if self.frames == 1:
            self._first = now

    @property
    def fps(self) -> float:
        if len(self._recent) < 2 or self._recent[-1] <= self._recent[0]:
            return math.nan
        return (len(self._recent) - 1) / (self._recent[-1] - self._recent[0])

    def hud(self) -> Hud:
        recent = self.latency_ms[-15:]
        return Hud(self.fps, float(np.median(recent)) if recent else math.nan)

    def to_json(self, source: FrameSource) -> dict:
        span = self._recent[-1] - self._first if self.frames > 1 else 0.0
        return {
            "source_fps": round(source.fps, 3), "frames_processed": self.frames,
            "frames_dropped": self.dropped,
            "processed_fps": round((self.frames - 1) / span, 2) if span > 0 else None,
            "latency_ms": _percentiles(self.latency_ms), "pose_ms": _percentiles(self.pose_ms),
            "cue_ms": _percentiles(self.cue_ms),
            "postprocess_ms": _percentiles(self.post_ms), "draw_ms": _percentiles(self.draw_ms),
        }


# ---------------------------------------------------------------------------------------------
# The session


class LiveSession:
    """What the person has done since the program started, and the run shown since the last
    restart (R, or SPACE on the result).

    The analyzer spans the whole session, so a restart loses no measurement: it starts a new
    guided test and resets the counters shown (the saved summary has every phase and rep, and
    each guided test's result).
    """

    def __init__(self, mode: str, settings: Settings, width: int, height: int, fps: float,
                 model: str, coach: Coach | None = None) -> None:
        self.mode, self.settings = mode, settings
        self.coach = coach or Coach(mode, settings)
        self.width, self.height = width, height
        self.analyzer = StreamAnalyzer(settings, width, height, fps, model)
        self.advice = FramingAdvice()
        self.guide = self._new_guide()
        self.view: GuideView | None = None
        self.tests: list[Guide] = []  # finished or abandoned guided tests with holds
        self.result: GuidedResult | None = None
        self.state: FrameState | None = None
        self.issues: list = []
        self.last_rep: Rep | None = None
        self._rep_offset = (0, 0)
        self._best = [0.0, 0.0]
        self._framed_t = -math.inf
        self.squats = SquatTracker(settings.min_visibility) if mode == "squat" else None
        self.go_on = False  # SPACE or the gesture in a counter mode (the routine's next step)

    def _new_guide(self) -> Guide | None:
        return Guide(GuideTiming.of(self.settings)) if self.mode == "stance" else None

    def update(self, pose: PoseFrame, t: float, waist: WaistCue | None = None,
               markers: MarkerCue | None = None,
               silhouette: tuple[float, float, float, float] | None = None) -> FrameState:
        """One frame through the analysis, the framing advice and the guide (``silhouette``:
        the squat's silhouette row, :mod:`hipdrop.vision.silhouette`)."""
        cue = waist_row(waist)
        state = self.analyzer.update(pose.image, pose.world, t, cue,
                                     None if markers is None else markers.as_row(), silhouette)
        # The advice is debounced over 0.6 s: ten looks a second are plenty, and save time.
        if state.t - self._framed_t >= FRAMING_EVERY_S or state.t < self._framed_t:
            self._framed_t = state.t
            raw = framing_issues(pose.image, self.width, self.height,
                                 pelvis_seen=None if waist is None else bool(state.pelvis_seen),
                                 points=state.points)
            if self.mode != "stance":  # a side-lying exercise is not badly framed
                raw = [i for i in raw if i.code not in ("not_facing", "tilted", "waist_hidden")]
            self.issues = self.advice.update(raw, state.t)
        if state.last_rep is not None:
            self.last_rep = state.last_rep
        if self.squats is not None:
            self.squats.update(pose.image, pose.world, t, silhouette)
        (b0, b1), (h0, h1) = self._best, state.hold_s
        self._best = [max(b0, h0), max(b1, h1)]
        self.state = state
        if self.guide is not None:
            before = self.guide.step
            self.view = self.guide.update(state, self.issues)
            if self.guide.step == Step.RESULT and before != Step.RESULT:
                self.result = guided_result(self.analyzer.so_far(),
                                            self.guide.holds)
        if self.coach.frame(state, pose.image, self.view, self.result, self.issues):
            self.next()  # both hands raised ~1 s: SPACE, hands-free
        return state

    def next(self) -> None:
        """SPACE: the guide's next step; on the result, a new test."""
        if self.guide is None:
            self.go_on = True
            return
        if self.guide.step == Step.RESULT:
            self.restart()
            return
        self.guide.next()
        if self.guide.step == Step.RESULT and self.result is None:
            self.result = guided_result(self.analyzer.so_far(),
                                        self.guide.holds)

    def restart(self) -> None:
        if self.guide is not None and self.guide.holds:
            self.tests.append(self.guide)
        self.guide = self._new_guide()
        self.result = None
        self.advice.reset()
        self.last_rep = None
        self._rep_offset = (self.analyzer.count("left"), self.analyzer.count("right"))
        self._best = [0.0, 0.0]
        if self.squats is not None:  # a new set: the count shown starts again
            self.squats = SquatTracker(self.settings.min_visibility)
        if self.guide is None:
            self.coach.restart(self._rep_offset)

    def finish_test(self) -> None:
        """The session ends: the guided test in progress shows its result."""
        if self.guide is not None and self.guide.step != Step.RESULT:
            self.guide.finish()
            self.result = guided_result(self.analyzer.so_far(),
                                        self.guide.holds)
            if self.state is not None:
                self.view = self.guide.update(self.state, [])
        self.coach.closing(self.view, self.result)

    def screen(self, hud: Hud, mirrored: bool) -> Screen:
        state = self.state
        if state is not None:
            reps = (state.reps[0] - self._rep_offset[0], state.reps[1] - self._rep_offset[1])
            state = dataclasses.replace(state, reps=reps,
                                        best_hold_s=(self._best[0], self._best[1]))
        screen = Screen(self.mode, self.settings, state, self.view, self.result, self.issues,
                        self.last_rep, hud, mirrored, squat=self.squats)
        if self.guide is None:
            screen.footer = COUNTER_KEYS
        elif self.guide.step == Step.RESULT:
            screen.footer = RESULT_KEYS
        screen.progress = self.coach.footer()  # the counter modes' sets or holds
        return screen

    def all_tests(self) -> list[Guide]:
        current = [self.guide] if self.guide is not None and self.guide.holds else []
        return self.tests + current


# ---------------------------------------------------------------------------------------------
# The window


# The window: hipdrop.live.window (fit to the screen, full screen, title, loading screen).


# ---------------------------------------------------------------------------------------------
# Saving


@dataclass
class LiveResult:
    """How a live session ended and what was saved."""

    reason: str
    out_dir: Path | None
    summary: dict | None
    line: str
    error: CameraError | None = None
    stats: dict = field(default_factory=dict)
    signum: int = 0  # the stop signal, when reason is ENDED_INTERRUPT
    text: str = ""  # the multi-line summary, as `hipdrop analyze` prints it


def default_save_dir(now: datetime | None = None) -> Path:
    return Path(f"hipdrop-session-{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}")


def _side_words(verdict: Verdict) -> str:
    parts = []
    for side in ("left", "right"):
        sv = getattr(verdict, side)
        if sv.code == NOT_TESTED:
            parts.append(f"{side} leg not tested")
        elif sv.code == INCONCLUSIVE:
            parts.append(f"{side} leg: can't tell ({sv.reason})")
        else:
            word = "DROP" if sv.code == "drop" else sv.code
            lo, hi = sv.interval_deg
            parts.append(f"{side} leg {word} (peak {sv.peak_drop_deg:+.1f} deg, 90% "
                         f"{lo:+.1f} to {hi:+.1f})")
    return ", ".join(parts)


def result_line(mode: str, analysis: Analysis, test: GuidedResult | None,
                best_hold: tuple[float, float]) -> str:
    """The one-line outcome printed at the end."""
    if analysis.signals.pose.sum() == 0:
        return "no person was seen"
    reps = f"reps L {sum(r.leg == 'left' for r in analysis.reps)} " \
           f"R {sum(r.leg == 'right' for r in analysis.reps)}"
    if mode == "hold":
        return f"best hold L {best_hold[0]:.1f} s R {best_hold[1]:.1f} s"
    if mode == "reps":
        return reps
    if mode == "squat":
        return f"squats {len(analysis.squats.reps)}; {analysis.squats.finding.words()}"
    verdict = test.verdict if test is not None and test.holds else analysis.verdict
    return f"{_side_words(verdict)}; {reps}"


def save_session(session: LiveSession, out_dir: Path, source: str, extra: dict,
                 last: np.ndarray | None = None, hud: Hud | None = None,
                 mirrored: bool = True) -> LiveResult:
    """Write landmarks.npz, summary.json, frames.csv and obliquity.png of ``session`` into
    ``out_dir``, and result.png, the screen the session ended on drawn over ``last`` (the
    last camera frame, BGR), when given.

    The landmarks go first: they are what every other output can be recomputed from. Each
    file is complete or absent (:mod:`hipdrop.io.outputs`), whatever interrupts the saving.
    """
    out_dir = OutputPlan.prepare(out_dir, SESSION_FILES, what="session folder").out_dir
    analyzer = session.analyzer
    analyzer.series().save(out_dir / "landmarks.npz")
    analysis = analyzer.finish(require_pose=False)
    tests = [guided_result(analysis, g.holds) for g in session.all_tests()]
    more: dict = {"mode": session.mode}
    if session.mode == "stance":
        more["tests"] = [t.to_json() for t in tests]
    more |= session.coach.to_json()
    best = analyzer.best_hold_s
    if session.mode == "hold":  # counted only while the leg was up and the hips level
        held = more["best_hold_s"]
        best = (held["left"], held["right"])
    data = only_measured(session.mode, summary(analysis, source, more | extra))
    if not analysis.signals.pose.any():
        data["warnings"].append("no person was seen during the session")
    write_summary(out_dir / "summary.json", data)
    write_frames(out_dir / "frames.csv", analysis)
    plot_obliquity(analysis, out_dir / "obliquity.png")
    if last is not None:  # what the person saw at the end: the result, in the session folder
        ok, png = cv2.imencode(".png", render(last, session.screen(hud or Hud(), mirrored)))
        if ok:
            write_bytes(out_dir / "result.png", png.tobytes())
    line = result_line(session.mode, analysis, tests[-1] if tests else None, best)
    if session.mode == "bump":
        line = f"hip bumps L {more['bumps']['left']} R {more['bumps']['right']}"
    return LiveResult("", out_dir, data, f"Saved session to {out_dir}/: {line}",
                      text=summary_text(data))


# ---------------------------------------------------------------------------------------------
# The loop


class _Runner:
    """The capture loop of one session; keeps what the end of the session needs."""

    def __init__(self, options: LiveOptions, source: FrameSource, window: Window | None,
                 model: str, speaker: Speaker | None = None) -> None:
        self.options, self.source, self.window, self.model = options, source, window, model
        self.speaker = speaker
        self.events = options.headless if options.events is None else options.events
        self.stats = Stats()
        self.mirror = options.mirror
        self.session: LiveSession | None = None
        self.last: Frame | None = None
        self.restarts = 0
        self._markers = MarkerTracker()
        self.plan: OutputPlan | None = None
        self.layout: dict = {}  # the panels' places, kept from frame to frame

    def run(self, estimator: PoseEstimator) -> str:
        """Process frames until the session ends; returns how it ended."""
        opts, stats = self.options, self.stats
        first_t: float | None = None
        while True:
            frame = self.source.read()
            if frame is None:
                return ENDED_FILE
            first_t = frame.t if first_t is None else first_t
            if opts.max_seconds is not None and frame.t - first_t >= opts.max_seconds:
                return ENDED_TIME
            t0 = time.perf_counter()
            pose = estimator.detect(frame.image, frame.t)
            t_cue = time.perf_counter()
            # The image cues of the pelvis, read as `hipdrop analyze` reads them.
            cue = waist_line(frame.image, pose.image) if pose.image is not None else None
            marks = self._markers(frame.image, pose.image)
            # The squat's shift from the silhouette, as `hipdrop analyze` reads it (the mask is
            # asked for in squat mode only: it costs 1.1-1.4x the inference).
            body = (silhouette_cue(pose.mask, pose.image).as_row()
                    if pose.mask is not None and pose.image is not None and may_squat(pose.image)
                    else None)
            t1 = time.perf_counter()
            session = self.session or self._open(frame)
            session.update(pose, frame.t, cue, marks, body)
            self.announce(session.coach.take())
            t2 = time.perf_counter()
            stats.latency_ms.append((time.monotonic() - frame.captured) * 1000.0)
            stats.pose_ms.append((t1 - t0) * 1000.0)
            stats.cue_ms.append((t1 - t_cue) * 1000.0)
            stats.post_ms.append((t2 - t1) * 1000.0)
            stats.frame_done(time.monotonic())
            stats.dropped = self.source.dropped
            self.last = frame
            if self.window is not None:
                action = self._show(session)
                stats.draw_ms.append((time.perf_counter() - t2) * 1000.0)
                if action == QUIT:
                    return ENDED_QUIT
            if self.over(session):
                return ENDED_DONE

    def over(self, session: LiveSession) -> bool:
        """The session is done (the routine overrides: its step is)."""
        return session.coach.finished

    def announce(self, cues: list[Cue]) -> None:
        """Hand the cues to the voice (queued: never waits for it) and, headless, print their
        event lines on stderr, one a line, as they happen."""
        for c in cues:
            if self.speaker is not None:
                self.speaker.say(c)
            if self.events and c.log:
                print(f"{c.t:7.1f} s  {c.log}", file=sys.stderr, flush=True)

    def all_cues(self) -> list[Cue]:
        return self.session.coach.cues if self.session is not None else []

    def save(self, reason: str, error: CameraError | None) -> LiveResult:
        return _save(self, reason, error)

    def _open(self, frame: Frame) -> LiveSession:
        h, w = frame.image.shape[:2]
        opts = self.options
        coach = Coach(opts.mode, opts.settings, opts.target, opts.sets)
        self.session = LiveSession(opts.mode, opts.settings, w, h, self.source.fps, self.model,
                                   coach)
        return self.session

    def _show(self, session: LiveSession) -> str | None:
        """Draw, read the frame's one key, act on it; QUIT when the session should end."""
        assert self.window is not None and self.last is not None
        screen = session.screen(self.stats.hud(), self.mirror)
        action = KEYS.get(self.window.show(self._render(self.titled(screen))))
        if action == QUIT or self.window.closed:
            return QUIT
        return self.act(session, action)

    def titled(self, screen: Screen) -> Screen:
        """The screen as shown (the routine adds its step's title)."""
        return screen

    def act(self, session: LiveSession, action: str | None) -> str | None:
        """A key's action on the session."""
        if action == NEXT:
            session.next()
        elif action == RESTART:
            session.restart()
            self.restarts += 1
        elif action == MIRROR:
            self.mirror = not self.mirror
        elif action == MUTE and self.speaker is not None:
            self.speaker.toggle_mute()
        elif (action == FULLSCREEN and self.window is not None
              and hasattr(self.window, "toggle_fullscreen")):
            self.window.toggle_fullscreen()
        return action

    def _render(self, screen: Screen) -> np.ndarray:
        """``screen`` drawn at the window's size, the window titled with the mode and step (a
        test's stand-in window has neither)."""
        assert self.window is not None and self.last is not None
        fit = getattr(self.window, "canvas_size", None)
        screen.memory = self.layout
        size = fit(self.last.image.shape) if fit else None
        image = render(self.last.image, screen) if size is None else render(
            self.last.image, screen, size)
        if hasattr(self.window, "set_title"):
            self.window.set_title(window_title(screen))
        return image

    def linger(self, footer: str = "End of the video: press any key to close") -> None:
        """At the end of a file: keep the last frame and the result up until a key."""
        if self.window is None or self.session is None or self.last is None:
            return
        screen = self.session.screen(self.stats.hud(), self.mirror)
        screen.footer = footer
        screen = self.titled(screen)
        while not self.window.closed:  # redrawn: the window may be resized or made full screen
            key = self.window.show(self._render(screen), wait_ms=100)
            if KEYS.get(key) == FULLSCREEN and hasattr(self.window, "toggle_fullscreen"):
                self.window.toggle_fullscreen()
            elif key >= 0:
                return


def run_live(options: LiveOptions, model: ResolvedModel | Callable[[], ResolvedModel], *,
             source: FrameSource | None = None, window: Window | None = None,
             speaker: Speaker | None = None) -> LiveResult:
    """Run a live session until it ends, save it, and say how it ended.

    ``model`` may be a loader, called once the source is open (a missing camera is reported
    before a model download). ``source``, ``window`` and ``speaker`` replace the ones
    ``options`` name (tests pass fakes; the speaker is closed here either way). A camera lost
    mid-session is returned in :attr:`LiveResult.error` after the session is saved; one that
    cannot be opened raises CameraError: nothing was recorded.
    """
    if options.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {options.mode!r}")
    if options.max_seconds is not None and not (math.isfinite(options.max_seconds)
                                                and options.max_seconds > 0):
        raise SettingsError(f"max_seconds must be a number of seconds above 0, not "
                            f"{options.max_seconds}")
    if window is None and not options.headless:
        Window.check_display()
    source = source or open_source(options.source, paced=options.paced)
    try:
        model = model if isinstance(model, ResolvedModel) else model()
        # The session folder is checked and made before the session: a folder that cannot be
        # written fails now, not after the person did the test.
        inputs = [Path(options.source)] if not source.live else []
        plan = OutputPlan.prepare(options.save_dir or default_save_dir(),
                                  (*SESSION_FILES, CUE_LOG), [*inputs, model.path],
                                  what="session folder")
    except BaseException:
        source.close()
        if speaker is not None:
            speaker.close()
        raise
    reason, error, signum = ENDED_QUIT, None, 0
    speaker = speaker if speaker is not None else Speaker(muted=options.mute)
    with source, speaker:
        if window is None and not options.headless:
            window = Window(fullscreen=options.fullscreen)
            window.loading(options.mode)  # while the model loads, not a black window
        if options.mode == "routine":
            from hipdrop.live.routine_run import RoutineRunner
            runner: _Runner = RoutineRunner(options, source, window, model.name, speaker)
        else:
            runner = _Runner(options, source, window, model.name, speaker)
        runner.plan = plan
        try:
            try:
                with PoseEstimator(model, num_poses=options.num_poses,
                                   segmentation=options.mode == "squat") as estimator:
                    reason = runner.run(estimator)
            except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP (hipdrop.io.signals)
                reason, signum = ENDED_INTERRUPT, signum_of(exc)
            except CameraError as exc:
                reason, error = ENDED_CAMERA, exc
            runner.stats.dropped = source.dropped
            result = runner.save(reason, error)
            result.signum = signum
            if runner.session is not None:
                runner.announce(runner.session.coach.take())  # the result, said
            if reason in (ENDED_FILE, ENDED_DONE) and options.linger:
                try:
                    if reason == ENDED_FILE:
                        runner.linger()
                    else:
                        runner.linger("Finished: press any key to close")
                except KeyboardInterrupt:
                    pass
            if result.out_dir is not None and runner.session is not None:
                if reason != ENDED_INTERRUPT:
                    try:
                        speaker.drain(DRAIN_S)
                    except KeyboardInterrupt:
                        pass
                speaker.close()
                write_cue_log(result.out_dir / CUE_LOG, runner.all_cues(), speaker)
        except BaseException:
            plan.discard()  # only if nothing was saved in it
            raise
        finally:
            if window is not None:
                window.close()
    return result


def write_cue_log(path: Path, cues: list[Cue], speaker: Speaker) -> None:
    """cues.jsonl: every cue of the session, one JSON object a line, in order, with what became
    of it ("spoken", "muted", "dropped: stale", ...; "not spoken" for an event line only)."""
    outcome = {id(s.cue): s for s in speaker.log}
    lines = []
    for c in cues:
        said = outcome.get(id(c))
        extra = ({"outcome": said.outcome, "backend": said.backend} if said is not None else
                 {"outcome": "not spoken" if c.say is None else "pending", "backend": None})
        lines.append(json.dumps(c.to_json() | extra))
    write_file(path, lambda f: f.write("".join(x + "\n" for x in lines)), text=True)


def _save(runner: _Runner, reason: str, error: CameraError | None) -> LiveResult:
    session, options, source = runner.session, runner.options, runner.source
    live = runner.stats.to_json(source) | {"ended": reason, "restarts": runner.restarts}
    if session is None:  # not one frame: nothing to save, and the error says why
        if error is None and reason == ENDED_FILE:
            raise InputError(f"{options.source} has no frames that can be decoded")
        if runner.plan is not None:
            runner.plan.discard()
        return LiveResult(reason, None, None, "", error, live)
    session.finish_test()
    out_dir = runner.plan.out_dir if runner.plan is not None else options.save_dir or default_save_dir()
    # As `hipdrop analyze` names it: a file by its path as given, a camera by its number.
    name = source.name if source.live else options.source
    result = save_session(session, Path(out_dir), name, {"live": live},
                          runner.last.image if runner.last is not None else None,
                          runner.stats.hud(), runner.mirror)
    result.reason, result.error, result.stats = reason, error, live
    return result
