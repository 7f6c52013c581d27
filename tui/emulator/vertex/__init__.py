"""Vertex AI for the emulator: tuning jobs, their loss curves in TensorBoard, tuned models and endpoints.

Routes live under `/v1/` and `/v1beta1/projects/{project}/locations/{location}/`; every
resource is namespaced by the project and location in its name. `ROUTE_MODULES` lists the
modules the server registers (each has `add_routes(app)`).
"""

from tui.emulator.vertex.service import ROUTE_MODULES, setup

__all__ = ["ROUTE_MODULES", "setup"]
