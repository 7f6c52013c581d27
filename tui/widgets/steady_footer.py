"""A footer that is rebuilt only when the keys it shows change.

Textual's footer removes and mounts all its keys whenever the screen's bindings may have
changed, which is at every focus change; each time costs the whole screen a new layout.
Moving between the Datasets panels moves the focus twice (out of one panel, into the
other) while the footer's keys stay the same: this footer compares what it would show with
what it shows and keeps its keys when nothing differs.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen


class SteadyFooter(Footer):
    """Textual's footer, recomposed only when its keys, their labels or their states change."""

    _shown: Hashable | None = None  # what the keys on screen were composed from
    recomposes = 0  # how many times the keys were rebuilt (tests read it)

    def shown_keys(self) -> Hashable:
        """What `Footer.compose` builds its keys from: each shown binding with its state, and the
        command palette's key."""
        app = self.app
        keys = tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                tooltip,
                (binding.group.description, binding.group.compact) if binding.group else None,
            )
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        palette = self.screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
        palette_key = (palette[1].key, palette[2]) if palette is not None else None
        return keys, palette_key, self.show_command_palette, app.ENABLE_COMMAND_PALETTE, self.compact

    def compose(self) -> ComposeResult:
        self._shown = self.shown_keys() if self._bindings_ready else None
        self.recomposes += 1
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if self._shown is not None and self.is_attached and screen is self.screen and self.shown_keys() == self._shown:
            return  # the same keys: nothing to rebuild
        super().bindings_changed(screen)
