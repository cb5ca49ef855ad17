"""The built-in NavTalk v2 simulator: a local asyncio + websockets server. No Qt."""
