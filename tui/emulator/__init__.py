"""A local emulator of the Gemini tuning REST API that trains a small numpy model for real.

`tui.emulator.process` starts and finds servers, `server` is the aiohttp application,
`store` keeps state in SQLite, `pool` runs trainer processes (`worker`, `trainer`), and
`wire` holds the proto3-JSON and error-envelope rules the API speaks.
"""
