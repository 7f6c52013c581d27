"""Cloud Storage for the emulator: objects on disk (`store`) and the JSON API subset that serves them (`routes`)."""

from tui.emulator.storage.routes import setup
from tui.emulator.storage.store import OBJECT_STORE, ObjectStore, StoredObject, parse_gs_uri

__all__ = ["OBJECT_STORE", "ObjectStore", "StoredObject", "parse_gs_uri", "setup"]
