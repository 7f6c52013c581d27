"""Outputs of chosen examples, read again from the file.

The lint pass keeps a hash of every input but none of the outputs: only examples whose
input occurs more than once need their outputs compared (duplicates, conflicting
outputs), and those are usually few. They are read here by record number, walking the
file from the index checkpoint before each run of them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

import numpy as np

from tui.datasets.index import STRIDE
from tui.datasets.reader import LINE_JSON, PAGE_READ, DatasetReader, non_blank
from tui.datasets.records import RecordProblem, load_batch, parse_object, plain_pairs

RESTART = 4 * STRIDE  # a wanted record further on than this is reached from its checkpoint, not by walking


def output_hashes(reader: DatasetReader, records: list[int]) -> np.ndarray:
    """hash() of the output of each of `records` (ascending numbers of records that parsed as examples)."""
    hashes = np.empty(len(records), np.int64)
    walk = _walk_lines if reader.format in LINE_JSON else _walk_records
    done = 0
    while done < len(records):
        start = done
        done = walk(reader, records, done, hashes)
        if done == start:  # the file is shorter than when it was checked: count the rest as distinct
            hashes[done:] = [hash(("missing", number)) for number in records[done:]]
            break
    return hashes


def _walk_lines(reader: DatasetReader, records: list[int], done: int, hashes: np.ndarray) -> int:
    """Hash wanted outputs batch by batch from the checkpoint before records[done]; the new `done`."""
    number, offset, line = reader.index.checkpoint(records[done])
    for first, _, lines in reader.line_batches(PAGE_READ, offset, line):
        raws = non_blank(first, lines)[1]
        end = number + len(raws)
        stop = bisect_left(records, end, done)
        if stop > done:
            picked = [raws[record - number] for record in records[done:stop]]
            objects = load_batch(picked)
            plain = plain_pairs(objects) if objects is not None else None
            outputs: list[Any]
            if plain is not None:
                outputs = plain[1]
            elif objects is not None:
                outputs = [_output(parse_object, n, obj) for n, obj in zip(records[done:stop], objects, strict=True)]
            else:
                outputs = [_output(reader.parse, n, raw.removesuffix(b"\n"), 0)
                           for n, raw in zip(records[done:stop], picked, strict=True)]
            hashes[done:stop] = np.fromiter(map(hash, outputs), np.int64, stop - done)
            done = stop
        number = end
        if done == len(records) or records[done] - number > RESTART:
            break
    return done


def _walk_records(reader: DatasetReader, records: list[int], done: int, hashes: np.ndarray) -> int:
    """Hash wanted outputs record by record (CSV, JSON arrays) from records[done]; the new `done`."""
    for number, (_, offset, raw) in enumerate(reader.raw_records(records[done], PAGE_READ), records[done]):
        if number < records[done]:
            continue
        hashes[done] = hash(_output(reader.parse, number, raw, offset))
        done += 1
        if done == len(records) or records[done] - number > RESTART:
            break
    return done


def _output(parse: Callable[..., tuple[str, str]], number: int, *arguments: object) -> object:
    """The output `parse(*arguments)` gives of record `number`; if it no longer parses (the file
    changed), something no output equals."""
    try:
        return parse(*arguments)[1]
    except RecordProblem:
        return ("unreadable", number)
