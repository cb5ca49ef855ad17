"""A drawn portrait of an avatar whose mouth and eyes move: the simulator's video picture.

Everything static (background, shoulders, head, hair, brows, nose, open eyes) is painted
once per avatar with numpy; each frame copies that picture at a slightly moving offset and
paints only the small mouth and eyelid boxes from precomputed masks, so a frame costs a
fraction of a millisecond (the VP8 encoder is what costs CPU). Colours come from the
avatar's id with the same hue as its REST thumbnail, so each avatar looks different.
"""

from __future__ import annotations

import colorsys
import math

import numpy as np
import numpy.typing as npt

from navtalk_desktop.simulator.roster import Avatar

WIDTH = 320
HEIGHT = 384
FPS = 25
_MARGIN = 6  # pixels the head may drift in any direction
_MOUTH_LEVELS = 12
_LID_LEVELS = 6
_SKIN = ((241, 200, 170), (224, 172, 135), (198, 140, 100), (141, 94, 62), (250, 214, 190))
_HAIR = ((40, 30, 25), (95, 60, 35), (180, 140, 80), (20, 20, 20), (120, 50, 30))

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


def _hsl(hue: float, saturation: float, lightness: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hls_to_rgb(hue / 360, lightness, saturation)
    return round(red * 255), round(green * 255), round(blue * 255)


def _ellipse(shape: tuple[int, int], cx: float, cy: float, rx: float, ry: float) -> Mask:
    yy, xx = np.ogrid[: shape[0], : shape[1]]
    mask: Mask = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0
    return mask


class FacePainter:
    """Paints 25 fps RGB frames of one avatar's face.

    Args:
        avatar: whose face (its id picks the colours).
    """

    def __init__(self, avatar: Avatar) -> None:
        seed = int(avatar.id[:8], 16)
        hue = int(avatar.id[:2], 16) * 360 // 256
        self._skin = np.array(_SKIN[seed % len(_SKIN)], np.uint8)
        self._base = self._paint_base(hue, _HAIR[(seed // 7) % len(_HAIR)])
        # Mouth box: centred under the nose; open mouth is a dark ellipse with a tongue.
        self._mouth_box = (HEIGHT // 2 + 58 + _MARGIN, WIDTH // 2 - 36 + _MARGIN, 44, 72)
        self._mouths = [
            self._paint_mouth(level / (_MOUTH_LEVELS - 1)) for level in range(_MOUTH_LEVELS)
        ]
        # Eye boxes: the lid (skin) covers the eye from the top by a closure fraction.
        self._eye_boxes = [
            (HEIGHT // 2 - 14 + _MARGIN, WIDTH // 2 + dx - 22 + _MARGIN, 28, 44) for dx in (-42, 42)
        ]
        self._lids = [
            _ellipse((28, 44), 22, 14, 19, 12)
            & (np.arange(28)[:, None] < 28 * level / (_LID_LEVELS - 1))
            for level in range(_LID_LEVELS)
        ]

    # ------------------------------------------------------------------ static picture

    def _paint_base(self, hue: int, hair: tuple[int, int, int]) -> Image:
        shape = (HEIGHT + 2 * _MARGIN, WIDTH + 2 * _MARGIN)
        image = np.empty((*shape, 3), np.uint8)
        image[:] = _hsl(hue, 0.35, 0.92)
        cx, cy = shape[1] / 2, shape[0] / 2
        skin = tuple(int(v) for v in self._skin)
        shade = tuple(int(v * 0.85) for v in self._skin)
        image[_ellipse(shape, cx, shape[0] + 40, 150, 150)] = _hsl(hue, 0.55, 0.45)  # shoulders
        image[_ellipse(shape, cx, cy + 120, 34, 60)] = shade  # neck
        image[_ellipse(shape, cx, cy - 34, 108, 112)] = hair  # hair behind the head
        image[_ellipse(shape, cx, cy + 6, 92, 116)] = skin  # head
        fringe = _ellipse(shape, cx, cy - 90, 100, 56)
        fringe[int(cy - 70) :, :] = False
        image[fringe] = hair
        for side in (-1, 1):
            ex = cx + side * 42
            image[_ellipse(shape, ex - 6 * side, cy - 34, 24, 5)] = hair  # brow
            image[_ellipse(shape, ex, cy, 19, 12)] = (250, 250, 250)  # white
            image[_ellipse(shape, ex, cy + 1, 9, 9)] = (70, 110, 150)  # iris
            image[_ellipse(shape, ex, cy + 1, 4, 4)] = (15, 15, 20)  # pupil
            image[_ellipse(shape, ex + 3, cy - 3, 2, 2)] = (255, 255, 255)  # glint
            image[_ellipse(shape, cx + side * 93, cy + 10, 10, 20)] = shade  # ear
        image[_ellipse(shape, cx, cy + 34, 9, 16)] = shade  # nose
        image[_ellipse(shape, cx, cy + 28, 7, 16)] = skin
        # Cheeks: a touch of colour makes the face read as a face at thumbnail size.
        for side in (-1, 1):
            cheek = _ellipse(shape, cx + side * 56, cy + 42, 16, 10)
            image[cheek] = (
                np.asarray(image[cheek], np.uint16) * 3 // 4 + np.array([60, 20, 20])
            ).astype(np.uint8)
        return image

    def _paint_mouth(self, openness: float) -> Image:
        _, _, h, w = self._mouth_box
        box = np.empty((h, w, 3), np.uint8)
        box[:] = self._skin
        cx, cy = w / 2, h / 2 - 6
        lips = (190, 80, 85)
        if openness < 0.05:
            box[_ellipse((h, w), cx, cy, 24, 3.5)] = lips  # closed: a line with a slight smile
            box[_ellipse((h, w), cx, cy - 2, 20, 2)] = self._skin
            return box
        height = 4 + 15 * openness
        box[_ellipse((h, w), cx, cy + height / 3, 26 - 4 * openness, height + 3)] = lips
        box[_ellipse((h, w), cx, cy + height / 3, 22 - 4 * openness, height)] = (70, 20, 30)
        tongue = _ellipse((h, w), cx, cy + height / 3 + height * 0.6, 12, height * 0.45)
        box[tongue & _ellipse((h, w), cx, cy + height / 3, 22 - 4 * openness, height)] = (
            200,
            90,
            100,
        )
        return box

    # ------------------------------------------------------------------ frames

    def frame(self, index: int, mouth: float) -> Image:
        """The RGB picture of frame ``index`` (25 per second) with the mouth ``mouth`` open.

        Args:
            index: frame number; drives the idle motion and the blinks.
            mouth: 0 (closed) to 1 (wide open), from the speech energy.
        """
        t = index / FPS
        # Idle life: a slow drift of the head and a blink every ~3.7 s (two frames each way).
        dx = round(_MARGIN * 0.6 * math.sin(t * 0.9))
        dy = round(_MARGIN * 0.4 * math.sin(t * 1.7 + 1.0))
        top, left = _MARGIN + dy, _MARGIN + dx
        image = self._base[top : top + HEIGHT, left : left + WIDTH].copy()
        phase = index % 92
        closure = {0: 2, 1: 4, 2: 5, 3: 5, 4: 3, 5: 1}.get(phase, 0)
        if closure:
            for y, x, h, w in self._eye_boxes:
                region = image[y - top : y - top + h, x - left : x - left + w]
                region[self._lids[closure]] = self._skin
        level = min(_MOUTH_LEVELS - 1, max(0, round(mouth * (_MOUTH_LEVELS - 1))))
        y, x, h, w = self._mouth_box
        image[y - top : y - top + h, x - left : x - left + w] = self._mouths[level]
        return image
