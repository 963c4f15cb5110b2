"""State-loading benchmark: ``load_state`` against json.loads of the same text, from kilobytes to the size limit.

Run ``python benchmarks/bench_state_load.py`` (``--quick`` for smaller sizes, ``--skip-limit`` to
leave out the files at the size limit). For each shape of state it prints the size, the time of
``load_state`` (best of a few runs), the time of plain ``json.loads`` of the same text (the floor),
and, for the shapes measured at two sizes, the time ratio of the larger to the smaller: about 2 at
twice the size when loading is linear, about 4 when it is quadratic. The shapes are the issue's:

1. thousands of accepted domains, each at its path, every position recorded;
2. a state of ten thousand objects (mail contacts and recipients);
3. a 5 and a 10 MB list in a key the format ignores;
4. at the size limit (MAX_BYTES): the ignored list, and long strings in read values; and the
   largest files that are refused (a duplicate key, an integer too long, a lone surrogate at the
   end), which must be found as fast.

It is a measurement: it exits 0 whatever the figures are, and non-zero only when something breaks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from journalgen.errors import SpecError
from journalgen.state import MAX_BYTES, load_state

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "states" / "contoso-mimecast.json"
# Linear loading doubles its time at twice the size; quadratic loading quadruples it.
MAX_DOUBLING_RATIO = 2.6


def base() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_bytes())
    return data


def encode(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def domains(count: int) -> bytes:
    data = base()
    data["accepted_domains"] += [
        {
            "DomainName": f"domain{i}.example",
            "Default": False,
            "DomainType": "Authoritative",
            "MatchSubDomains": False,
        }
        for i in range(count)
    ]
    return encode(data)


def objects(count: int) -> bytes:
    data = base()
    half = count // 2
    data["mail_contacts"] += [
        {
            "Name": f"Contact {i}",
            "ExternalEmailAddress": f"SMTP:contact{i}@partner.example",
            "DisplayName": f"Contact {i}",
            "Alias": f"contact{i}",
            "FirstName": None,
            "Initials": None,
            "LastName": None,
            "HiddenFromAddressListsEnabled": False,
            "Guid": f"00000000-0000-0000-0000-{i:012d}",
        }
        for i in range(half)
    ]
    data["recipients"] += [
        {
            "Name": f"Recipient {i}",
            "RecipientTypeDetails": "UserMailbox",
            "EmailAddresses": [
                f"SMTP:user{i}@contoso.com",
                f"smtp:user{i}@contoso.onmicrosoft.com",
            ],
        }
        for i in range(count - half)
    ]
    return encode(data)


def ignored_list(size: int) -> bytes:
    data = base()
    head = encode(data)
    item = '{"Id": 12345, "Value": "x"}, '
    count = max((size - len(head) - 64) // len(item), 1)
    extra = "[" + item * (count - 1) + item[:-2] + "]"
    text = head.decode("utf-8").replace('"captured_at"', f'"extra": {extra},\n  "captured_at"', 1)
    return text.encode("utf-8")


def long_strings(size: int) -> bytes:
    data = base()
    data["outbound_connectors"][0]["Comment"] = "c" * (size - len(encode(data)) - 64)
    return encode(data)


def refused_at_the_end(size: int, tail: str) -> bytes:
    raw = ignored_list(size - len(tail) - 64)
    return raw.replace(b'"captured_at"', f'"last": {tail},\n  "captured_at"'.encode(), 1)


def timed(action: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def load(raw: bytes) -> str:
    try:
        load_state(raw, "state.json")
    except SpecError as exc:
        return exc.diagnostics[0].code
    return "loaded"


def row(name: str, raw: bytes, runs: int) -> tuple[str, float]:
    outcome = load(raw)
    seconds = timed(lambda: load(raw), runs)
    floor = timed(lambda: json.loads(raw, parse_int=len), runs)
    mb = len(raw) / 1e6
    line = (
        f"{name:<44} {mb:7.2f} MB  load_state {seconds:7.3f} s  json.loads {floor:6.3f} s  "
        f"x{seconds / floor if floor else 0:5.1f}  {outcome}"
    )
    return line, seconds


def doubling(name: str, make: Callable[[int], bytes], n: int, runs: int) -> Iterator[str]:
    small, small_s = row(f"{name} ({n:,})", make(n), runs)
    large, large_s = row(f"{name} ({2 * n:,})", make(2 * n), runs)
    ratio = large_s / small_s if small_s else 0.0
    verdict = "linear" if ratio <= MAX_DOUBLING_RATIO else "NOT LINEAR"
    yield small
    yield large
    yield f"{'':<44} twice the size: x{ratio:.2f} the time ({verdict})"


def measure(quick: bool, skip_limit: bool) -> Iterator[str]:
    runs = 3
    scale = 4 if quick else 1
    yield from doubling("accepted domains", domains, 8_000 // scale, runs)
    yield from doubling("objects", objects, 10_000 // scale, runs)
    yield from doubling("list in an ignored key", ignored_list, 5_000_000 // scale, runs)
    if skip_limit:
        return
    limit = MAX_BYTES if not quick else MAX_BYTES // 4
    yield row("at the limit: list in an ignored key", ignored_list(limit), 1)[0]
    yield row("at the limit: one long comment", long_strings(limit), 1)[0]
    yield row(
        "at the limit: duplicate key at the end", refused_at_the_end(limit, '{"a": 1, "a": 2}'), 1
    )[0]
    yield row("at the limit: long integer at the end", refused_at_the_end(limit, "9" * 4301), 1)[0]
    yield row("at the limit: lone surrogate at the end", refused_at_the_end(limit, '"\\ud800"'), 1)[
        0
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a quarter of the sizes")
    parser.add_argument(
        "--skip-limit", action="store_true", help="skip the files at the size limit"
    )
    args = parser.parse_args(argv)
    for line in measure(args.quick, args.skip_limit):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
