"""Voice benchmark: what the hands-free layer costs the live frame loop.

Two figures, each as a ratio to one frame at 30 fps (33.3 ms), measured in this run:

- ``say``: one :meth:`hipdrop.live.voice.Speaker.say` while the voice is busy speaking (a
  backend that takes 1 s a cue), the worst case for the loop: the call must only queue.
- ``coach``: :meth:`hipdrop.live.coach.Coach.frame` (gesture, modes, the words of the cues) per
  frame over a scripted session (a stance test, then reps), against
  :meth:`hipdrop.pipeline.stream.StreamAnalyzer.update` on the same frames as well.

    python benchmarks/voice.py            # 2 minutes of scripted frames, 2,000 cues
    python benchmarks/voice.py --quick    # 30 s of frames, 300 cues

Prints a table, then as the last line one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import numpy as np

from hipdrop.live.coach import Coach
from hipdrop.live.cues import REP, Cue
from hipdrop.live.voice import SPOKEN, Speaker
from hipdrop.pipeline.stream import StreamAnalyzer
from hipdrop.settings import Settings
from hipdrop.testing.scripted import Segment, landmarks, stance_test

FRAME_MS = 1000.0 / 30.0


class SlowBackend:
    """Speaks each cue in ``seconds`` (a sleep): the voice is always busy."""

    name, outcome = "slow", SPOKEN

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._stop = threading.Event()

    def speak(self, text: str, kind: str) -> None:
        self._stop.wait(self.seconds)

    def stop(self) -> None:
        self._stop.set()


def bench_say(n: int) -> float:
    """Median ms of one say() while the voice is busy."""
    times = []
    with Speaker(SlowBackend(1.0)) as speaker:
        for i in range(n):
            cue = Cue(float(i), REP, f"Rep {i}.")
            t0 = time.perf_counter()
            speaker.say(cue)
            times.append((time.perf_counter() - t0) * 1000.0)
    return float(np.median(times))


def bench_coach(seconds: float) -> tuple[float, float, int]:
    """Median ms a frame of Coach.frame and of StreamAnalyzer.update; cues made."""
    reps = max(1, round(seconds / 8))
    segments = [*stance_test(hold_s=max(2.0, seconds / 6)),
                Segment("abduction", seconds / 3, "left", reps=reps)]
    series, _ = landmarks(segments, fps=30.0, noise_px=1.5)
    settings = Settings()
    analyzer = StreamAnalyzer(settings, series.width, series.height, series.fps, series.model)
    coach = Coach("reps", settings, target=reps)
    coach_ms, stream_ms = [], []
    for i in range(len(series)):
        t0 = time.perf_counter()
        state = analyzer.update(series.image[i], series.world[i], float(series.t[i]))
        t1 = time.perf_counter()
        coach.frame(state, series.image[i], None, None, [])
        t2 = time.perf_counter()
        stream_ms.append((t1 - t0) * 1000.0)
        coach_ms.append((t2 - t1) * 1000.0)
    return float(np.median(coach_ms)), float(np.median(stream_ms)), len(coach.cues)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer frames and cues")
    args = p.parse_args(argv)
    n_say, seconds = (300, 30.0) if args.quick else (2000, 120.0)
    say_ms = bench_say(n_say)
    coach_ms, stream_ms, cues = bench_coach(seconds)
    print(f"{'what':44} {'ms p50':>8} {'of a frame':>11}")
    print(f"{'Speaker.say, the voice busy':44} {say_ms:8.4f} {say_ms / FRAME_MS:11.2e}")
    print(f"{'Coach.frame (gesture, modes, cue words)':44} {coach_ms:8.4f} "
          f"{coach_ms / FRAME_MS:11.2e}")
    print(f"{'StreamAnalyzer.update, for scale':44} {stream_ms:8.4f} {stream_ms / FRAME_MS:11.2e}")
    print(f"coach / stream analysis: {coach_ms / stream_ms:.3f}; {cues} cues made")
    print(json.dumps({"say_ms_p50": round(say_ms, 5), "say_of_frame": say_ms / FRAME_MS,
                      "coach_ms_p50": round(coach_ms, 5), "coach_of_frame": coach_ms / FRAME_MS,
                      "coach_over_stream": round(coach_ms / stream_ms, 4), "cues": cues,
                      "quick": args.quick}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
