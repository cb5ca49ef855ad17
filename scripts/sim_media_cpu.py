#!/usr/bin/env python3
"""Measure what one media session costs the simulator: CPU share and first-frame time.

Starts ``navtalk-desktop simulate --fast`` as a child process, connects one aiortc client
that answers the avatar's offer and receives its video and audio, and reads the child's
CPU time from ``/proc`` over an idle phase (face only) and a speaking phase (face, voice and
moving mouth). The baseline, in the same run, is a session with ``media=0`` (canned SDP):
the simulator's cost without media. Prints one JSON object.

Usage: .venv/bin/python scripts/sim_media_cpu.py [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
import time
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from websockets.asyncio.client import ClientConnection, connect

LONG_TEXT = " ".join(["Let me tell you a long story about the sea and the ships on it."] * 4)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def pump(ws: ClientConnection, sink: list[dict[str, Any]]) -> None:
    with contextlib.suppress(Exception):
        async for message in ws:
            sink.append(json.loads(message))


async def first(frames: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    while True:
        for frame in frames:
            if frame["type"] == kind:
                return frame
        await asyncio.sleep(0.01)


async def session(url: str, pid: int, seconds: float, media: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    video_frames: list[float] = []
    first_frame = asyncio.Event()
    pullers: list[asyncio.Task[None]] = []

    async def pull(track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            if track.kind == "video":
                video_frames.append(time.monotonic())
                first_frame.set()

    pc.on("track", lambda track: pullers.append(asyncio.create_task(pull(track))))
    async with connect(url + ("&media=1" if media else "&media=0")) as ws:
        frames: list[dict[str, Any]] = []
        reader = asyncio.create_task(pump(ws, frames))
        offer = await first(frames, "webrtc.signaling.offer")
        await first(frames, "realtime.session.updated")
        if media:
            await pc.setRemoteDescription(RTCSessionDescription(**offer["data"]["sdp"]))
            await pc.setLocalDescription(await pc.createAnswer())
            answered = time.monotonic()
            answer = {"type": "answer", "sdp": pc.localDescription.sdp}
            await ws.send(json.dumps({"type": "webrtc.signaling.answer", "data": {"sdp": answer}}))
            await first_frame.wait()
            result["first_frame_ms_after_answer"] = round((video_frames[0] - answered) * 1000)
            await asyncio.sleep(1.0)  # settle
        for phase in ("idle", "speaking"):
            if phase == "speaking":
                await ws.send(
                    json.dumps({"type": "realtime.input_text", "data": {"content": LONG_TEXT}})
                )
            before, started, count = cpu_seconds(pid), time.monotonic(), len(video_frames)
            await asyncio.sleep(seconds)
            elapsed = time.monotonic() - started
            result[f"{phase}_cpu_percent"] = round(100 * (cpu_seconds(pid) - before) / elapsed, 1)
            if media:
                result[f"{phase}_fps"] = round((len(video_frames) - count) / elapsed, 1)
        reader.cancel()
    await pc.close()
    for task in pullers:
        task.cancel()
    return result


async def main(seconds: float) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from navtalk_desktop.cli import main; sys.exit(main(sys.argv[1:]))",
        "simulate",
        "--fast",
        "--speech",
        "tone",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await process.stdout.readline()).decode()
    match = re.search(r"(ws://\S+)", line)
    if match is None:
        print(f"simulator did not start: {line!r}", file=sys.stderr)
        return 1
    url = match.group(1) + "?license=sk_bench&name=navtalk.Emily"
    try:
        baseline = await session(url, process.pid, seconds, media=False)
        media = await session(url, process.pid, seconds, media=True)
    finally:
        process.terminate()
        await process.wait()
    print(json.dumps({"baseline_no_media": baseline, "media": media}, indent=2))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    sys.exit(asyncio.run(main(parser.parse_args().seconds)))
