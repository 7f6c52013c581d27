"""The emulator's HTTP routes, one module per resource.

Each module has `add_routes(app)` and reads the server's state with `request.app[STATE]`
(`tui.emulator.state`); `tui.emulator.server.ROUTE_MODULES` lists the modules it registers.
"""
