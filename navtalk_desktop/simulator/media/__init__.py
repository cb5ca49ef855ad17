"""The simulator's avatar media: a real WebRTC peer with a drawn face and the spoken voice.

Nothing here imports aiortc at package import time: a simulator started with media off
(``--no-media``, :meth:`SimulatorConfig.fast`) never pays for loading the media stack.
"""
