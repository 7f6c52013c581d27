"""Write overfit-train.jsonl and overfit-validation.jsonl: a dataset made to overfit.

24 training examples map a code to a colour at random ("Code 431 is cobalt."); the
validation file asks the same 24 prompts and answers each with a different colour. The
sentence's frame is shared, so eval loss falls for the first epochs while the model learns
it; then the model memorises the training colours, which the validation file contradicts,
and eval loss rises while train loss keeps falling. With 8 epochs and a learning-rate
multiplier of 3 the emulator's trainer bottoms out at epoch 2-4 for any job seed.

Run from the repository root: `python tests/data/make_overfit.py` (the output is fixed by the seed).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

COLOURS = ["amber", "cobalt", "crimson", "jade", "ivory", "onyx", "scarlet", "teal"]
EXAMPLES = 24
SEED = 7


def main() -> None:
    rng = random.Random(SEED)
    codes = rng.sample(range(100, 1000), EXAMPLES)
    train = [(code, rng.choice(COLOURS)) for code in codes]
    validation = [(code, rng.choice([c for c in COLOURS if c != colour])) for code, colour in train]
    here = Path(__file__).parent
    for name, pairs in (("overfit-train.jsonl", train), ("overfit-validation.jsonl", validation)):
        lines = [
            json.dumps({"text_input": f"code {code}", "output": f"Code {code} is {colour}."})
            for code, colour in pairs
        ]
        (here / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
