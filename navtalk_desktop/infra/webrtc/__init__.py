"""aiortc adapter for the avatar's media: an answering peer, frame conversion, stats. No Qt."""

from navtalk_desktop.infra.webrtc.ice_addresses import host_addresses
from navtalk_desktop.infra.webrtc.peer import AnsweringPeer, rtc_ice_servers

__all__ = ["AnsweringPeer", "host_addresses", "rtc_ice_servers"]
