"""Avatar media, Qt-free: values the media path reports and the controller that drives a peer.

See :mod:`navtalk_desktop.core.media.values` for the events and
:class:`navtalk_desktop.core.media.controller.MediaController` for the seam to the engine.
"""

from navtalk_desktop.core.media.audio_delta import AudioDeltaDecoder, AudioDeltaError
from navtalk_desktop.core.media.controller import (
    MediaController,
    PeerError,
    PeerFactory,
    PeerListener,
    PeerPort,
)
from navtalk_desktop.core.media.signaling import SignalingError
from navtalk_desktop.core.media.values import (
    AudioChunk,
    IceCandidate,
    IceServer,
    MediaError,
    MediaEvent,
    MediaPhase,
    MediaState,
    MediaStats,
    PeerStateChanged,
    SessionDescription,
    SignalToSend,
    StopPlayback,
    VideoFrame,
)

__all__ = [
    "AudioChunk",
    "AudioDeltaDecoder",
    "AudioDeltaError",
    "IceCandidate",
    "IceServer",
    "MediaController",
    "MediaError",
    "MediaEvent",
    "MediaPhase",
    "MediaState",
    "MediaStats",
    "PeerError",
    "PeerFactory",
    "PeerListener",
    "PeerPort",
    "PeerStateChanged",
    "SessionDescription",
    "SignalToSend",
    "SignalingError",
    "StopPlayback",
    "VideoFrame",
]
