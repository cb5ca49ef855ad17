"""Avatar media widgets: the video view and the voice player. They take core.media values only."""

from navtalk_desktop.ui.avatar.audio_player import NO_DEVICE, AudioPlayer
from navtalk_desktop.ui.avatar.avatar_view import AvatarView, VideoSurface, fit_rect, frame_image

__all__ = ["NO_DEVICE", "AudioPlayer", "AvatarView", "VideoSurface", "fit_rect", "frame_image"]
