"""Braille packing: each cell's dots become the code point Unicode gives them (dot 1 top left ... dot 8
bottom right), checked cell by cell against that definition."""

from __future__ import annotations

import numpy as np

from tui.widgets.chart_canvas import braille

# Unicode braille: (row from the top, column) → the bit of that dot.
DOT_BITS = {(0, 0): 0x01, (1, 0): 0x02, (2, 0): 0x04, (0, 1): 0x08, (1, 1): 0x10, (2, 1): 0x20,
            (3, 0): 0x40, (3, 1): 0x80}


def test_every_dot_lands_on_its_own_bit_of_its_own_cell():
    rng = np.random.default_rng(7)
    grid = rng.random((4 * 6, 2 * 9)) < 0.4  # row 0 at the bottom, as the canvas keeps it
    codes = braille(grid)
    assert codes.shape == (6, 9)
    for cell_row in range(6):
        for cell_col in range(9):
            expected = 0x2800
            for (top_row, col), bit in DOT_BITS.items():
                if grid[cell_row * 4 + (3 - top_row), cell_col * 2 + col]:
                    expected |= bit
            assert codes[cell_row, cell_col] == expected, (cell_row, cell_col)
