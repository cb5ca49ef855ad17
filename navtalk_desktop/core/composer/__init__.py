"""The frame composer's Qt-free parts: known client message shapes, validation, snippets.

The composer sends any raw JSON frame on the live session (as Postman's WebSocket
client does). :mod:`shapes` lists the client messages the NavTalk v2 protocol knows,
:mod:`validation` checks a frame against them, :mod:`snippets` keeps the user's saved
frames per profile and :mod:`history` the frames sent.
"""
