"""Generate the sample datasets shipped in `tui/samples/` from templates in this file.

Deterministic (fixed seeds), so running it again reproduces the shipped files byte for
byte:  python scripts/make_samples.py  [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "tui" / "samples"

# ---------------------------------------------------------------- number increment

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
        "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_word(n: int) -> str:
    """English words for 0..999 ("forty-two", "one hundred seven")."""
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TENS[tens] + (f"-{ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    head = f"{ONES[hundreds]} hundred"
    return head if rest == 0 else f"{head} {number_word(rest)}"


def roman(n: int) -> str:
    """Roman numeral for 1..3999."""
    parts = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, letters in parts:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def number_increment() -> list[dict]:
    rng = random.Random(7)
    rows: list[tuple[str, str]] = []
    for n in sorted(set(rng.sample(range(0, 1000), 30)) | {7}):
        rows.append((str(n), str(n + 1)))
    for n in sorted(set(rng.sample(range(0, 120), 24)) | {7}):
        rows.append((number_word(n), number_word(n + 1)))
    for n in sorted(set(rng.sample(range(1, 200), 24)) | {7}):
        rows.append((roman(n), roman(n + 1)))
    rng.shuffle(rows)
    return [{"text_input": i, "output": o} for i, o in rows]


# ---------------------------------------------------------------- classification

CLASSIFY_PREAMBLE = "Classify the support ticket as billing, shipping, technical or account."

# Each label has its own vocabulary that recurs across its tickets, and several sentence
# shapes, so a small model learns the words rather than the template.
TICKET_VOCAB = {
    "billing": {
        "thing": ["invoice", "refund", "charge", "receipt", "subscription fee", "credit card payment",
                  "monthly bill", "billing statement", "overcharge", "VAT on the invoice"],
        "problem": ["I was charged twice for", "there is a wrong amount on", "I still have not received the refund for",
                    "my card was billed again for", "I need a corrected", "please explain the extra charge on",
                    "the payment failed but I was charged for", "I want a refund for"],
        "detail": ["The amount is {amount} dollars.", "My bank shows a pending charge of {amount}.",
                   "Order total was {amount} but I paid more.", "Please credit {amount} back to my card.",
                   "The invoice number is INV-{num}.", "I paid by credit card on {day}."],
    },
    "shipping": {
        "thing": ["parcel", "package", "delivery", "shipment", "courier tracking", "order box",
                  "tracking number", "express delivery", "return label", "delivery address"],
        "problem": ["where is my", "the courier lost my", "tracking has not updated for my",
                    "I received a damaged", "the wrong address is on my", "my late",
                    "the driver never delivered my", "I need to reroute my"],
        "detail": ["It was supposed to arrive on {day}.", "Tracking number TRK{num} shows no movement.",
                   "The box arrived crushed and wet.", "The courier left it at the wrong door.",
                   "Delivery is {amount} days late now.", "Please ship it to my new address."],
    },
    "technical": {
        "thing": ["app", "software update", "error message", "login page crash", "sync feature",
                  "desktop client", "mobile app", "server error 500", "installer", "browser extension"],
        "problem": ["the app keeps crashing after the", "I get an error code from the", "the screen freezes in the",
                    "there is a bug in the", "the update broke the", "nothing loads in the",
                    "the install fails for the", "the connection times out in the"],
        "detail": ["Error code E{num} appears on startup.", "I reinstalled it but the crash persists.",
                   "It happens on version {amount}.0 of the software.", "The log shows a timeout exception.",
                   "Restarting the device did not fix the bug.", "It freezes on {day} every time I sync."],
    },
    "account": {
        "thing": ["password", "username", "profile email", "two-factor login", "account settings",
                  "account access", "security question", "account deletion", "membership profile",
                  "linked email address"],
        "problem": ["I cannot reset my", "I am locked out of my", "please change my", "someone else changed my",
                    "I forgot my", "I want to update my", "verify my identity to recover my",
                    "please close and delete my"],
        "detail": ["My username is user{num}.", "The reset email never reaches my inbox.",
                   "I think my account was hacked on {day}.", "I changed my phone and lost two-factor access.",
                   "Please update my profile to the new email.", "I want my personal data deleted."],
    },
}
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
OPENERS = ["Hello,", "Hi team,", "Good morning,", "Hey,", "Dear support,", ""]
CLOSERS = ["Thanks.", "Please help.", "Can you sort this out?", "This is urgent.", "Regards.", ""]


def classification() -> list[dict]:
    rng = random.Random(11)
    per_label = 50
    labels = list(TICKET_VOCAB)
    by_label: dict[str, list[str]] = {label: [] for label in labels}
    seen: set[str] = set()
    for label in labels:
        vocab = TICKET_VOCAB[label]
        while len(by_label[label]) < per_label:
            fill = {"amount": rng.randint(2, 480), "num": rng.randint(1000, 9999), "day": rng.choice(DAYS)}
            problem = rng.choice(vocab["problem"])
            thing = rng.choice(vocab["thing"])
            detail = rng.choice(vocab["detail"]).format(**fill)
            shape = rng.randrange(3)
            if shape == 0:
                body = f"{problem} {thing}. {detail}"
            elif shape == 1:
                body = f"{detail} {problem[0].upper()}{problem[1:]} {thing}."
            else:
                body = f"About my {thing}: {problem} {thing}. {detail}"
            body = " ".join(p for p in (rng.choice(OPENERS), body[0].upper() + body[1:], rng.choice(CLOSERS)) if p)
            key = f"{problem}|{thing}|{detail.split()[0]}"
            if key in seen:
                continue
            seen.add(key)
            by_label[label].append(body)
    # Cycle through the labels so a regular split (e.g. every 5th example) stays balanced.
    rng.shuffle(labels)
    rows = [(labels[p % len(labels)], by_label[labels[p % len(labels)]][p // len(labels)])
            for p in range(per_label * len(labels))]
    return [{"text_input": f"{CLASSIFY_PREAMBLE}\nticket: {body}", "output": label} for label, body in rows]


# ---------------------------------------------------------------- summarization

SUMMARY_PREAMBLE = "Summarize the note in one line."
PEOPLE = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Kemi", "Luca",
          "Mira", "Nils", "Oona", "Pavel", "Rosa", "Sami", "Tara", "Umar"]
TEAMS = ["design", "sales", "support", "platform", "finance", "research", "marketing", "mobile"]
TOPICS = [("the release date", "move the release to {day2}"), ("the hiring plan", "open two new roles"),
          ("the office move", "move desks on {day2}"), ("the budget review", "cut travel spending"),
          ("customer churn", "call every lost customer"), ("the onboarding flow", "shorten sign-up to three steps"),
          ("the data backup", "test restores every week"), ("the pricing page", "add a yearly plan")]
PLACES = ["the park", "the library", "the old station", "the market square", "the riverside", "the town hall"]
EVENTS = [("a book fair", "books"), ("a food market", "local food"), ("a bike repair day", "bike repairs"),
          ("a chess tournament", "chess games"), ("a plant swap", "plant cuttings"),
          ("an open-air concert", "live music")]
WEATHER = [("heavy rain", "rain"), ("strong wind", "wind"), ("snow", "snow"), ("a heatwave", "heat"),
           ("thick fog", "fog")]
REGIONS = ["the north coast", "the valley", "the city centre", "the eastern hills", "the islands", "the south plains"]


def summarization() -> list[dict]:
    rng = random.Random(23)
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(note: str, summary: str) -> None:
        if note not in seen and summary not in {s for _, s in rows}:
            seen.add(note)
            rows.append((note, summary))

    while len(rows) < 120:
        kind = len(rows) % 4
        day, day2 = rng.sample(DAYS, 2)
        if kind == 0:
            team = rng.choice(TEAMS)
            topic, action = rng.choice(TOPICS)
            action = action.format(day2=day2)
            lead = rng.choice(PEOPLE)
            note = (f"The {team} team met on {day} to discuss {topic}. After a long debate they agreed to "
                    f"{action}. {lead} will write up the decision and share it with everyone.")
            summary = f"The {team} team agreed to {action}; {lead} will share the decision."
        elif kind == 1:
            place = rng.choice(PLACES)
            event, what = rng.choice(EVENTS)
            hour = rng.randint(9, 17)
            note = (f"This {day} {place} hosts {event} from {hour}:00. Entry is free and families are welcome. "
                    f"Visitors can bring their own {what} to share with neighbours.")
            summary = f"Free {event.split(' ', 1)[1]} at {place} on {day} from {hour}:00."
        elif kind == 2:
            region = rng.choice(REGIONS)
            weather, short = rng.choice(WEATHER)
            hours = rng.randint(6, 48)
            note = (f"Forecasters expect {weather} across {region} starting {day}. The warning lasts about "
                    f"{hours} hours. Residents are asked to avoid travel and check on elderly neighbours.")
            summary = f"{short.capitalize()} warning for {region} from {day}, lasting about {hours} hours."
        else:
            who, other = rng.sample(PEOPLE, 2)
            item = rng.choice(["laptop", "car", "flat", "bike", "camera", "phone"])
            price = rng.randint(2, 90) * 10
            note = (f"{who} is selling a used {item} for {price} euros. It is in good condition and comes with "
                    f"the original box. {other} has already asked to see it on {day}.")
            summary = f"{who} sells a used {item} for {price} euros; {other} will view it {day}."
        add(f"{SUMMARY_PREAMBLE}\nnote: {note}", summary)
    return [{"text_input": i, "output": o} for i, o in rows]


SAMPLES = {
    "number-increment.jsonl": number_increment,
    "classification.jsonl": classification,
    "summarization.jsonl": summarization,
}


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="directory to write into")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, make in SAMPLES.items():
        rows = make()
        write_jsonl(args.out / name, rows)
        print(f"{args.out / name}: {len(rows)} examples")


if __name__ == "__main__":
    main()
