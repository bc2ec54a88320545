#!/usr/bin/env python3
"""Re-check a coopledger JSON Lines export with nothing but the Python standard library.

Usage: python3 verify_export.py export.jsonl   (exit status 0: every chain intact)
"""
import hashlib
import json
import sys


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


last, heads = {}, None  # stream -> (position, hash) of the last event seen
with open(sys.argv[1], encoding="utf-8") as export:
    for number, line in enumerate(export, start=1):
        record = json.loads(line)
        if record["schema"] == "coopledger.heads/1":
            heads = record["heads"]
            continue
        stream = record["stream"]
        position, prev = last.get(stream, (0, "0" * 64))
        body = {"stream": stream, "position": record["position"], "type": record["type"],
                "data": record["data"], "prev": prev}
        digest = hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()
        if (record["position"], record["prev_hash"], record["hash"]) != (position + 1, prev,
                                                                         digest):
            sys.exit(f"line {number}: group {record['group']}, position {record['position']}"
                     ": the chain is broken here")
        last[stream] = (record["position"], digest)
if heads is None:
    sys.exit("no heads line at the end: the export is incomplete")
for group, head in heads.items():
    if last.get(head["stream"]) != (head["position"], head["hash"]):
        sys.exit(f"group {group}: the events do not end at the stated head")
print(f"{sum(p for p, _ in last.values())} events in {len(last)} streams: every chain intact")
