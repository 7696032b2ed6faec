"""The verdict of a fault run (scripts/fault/lib.sh): reads what the load
tool saw acknowledged, what the database holds and what the SMTP server
received, prints the figures, and exits 1 unless nothing acknowledged was
lost, nothing was stored twice, every outbox message was sent and received,
and second copies stay within the allowance.

    python3 scripts/fault/check.py DIR --max-copies N --allow-status 0,503
"""
import argparse
import collections
import email
import json
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--max-copies", type=int, default=0,
                    help="second copies of a message allowed (those in flight at a kill)")
parser.add_argument("--allow-status", default="503",
                    help="statuses a failed request may have (0: no answer at all)")
args = parser.parse_args()
d, max_copies = args.dir, args.max_copies
allowed = set(args.allow_status.split(","))


def lines(name):
    with open(os.path.join(d, name)) as f:
        return [line.strip() for line in f if line.strip()]


acked = lines("acknowledged.txt") if os.path.exists(os.path.join(d, "acknowledged.txt")) else []
stored = set(lines("stored.txt"))
emails = collections.Counter(lines("emails.txt"))
outbox = [line.split(" ") for line in lines("outbox.txt")]
received = collections.Counter()
for sub in ("new", "cur"):
    folder = os.path.join(d, "maildir", sub)
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        with open(os.path.join(folder, name), "rb") as f:
            received[email.message_from_binary_file(f)["Message-ID"].strip()] += 1

lost = [i for i in acked if i not in stored]
stored_twice = [e for e, n in emails.items() if n > 1]
unsent = [m for m, status in outbox if status != "sent"]
missing = [m for m, _ in outbox if received[m] == 0]
copies = sum(n - 1 for n in received.values() if n > 1)
print(f"acknowledged registrations: {len(acked)} (distinct {len(set(acked))})")
print(f"stored applications: {len(stored)}; acknowledged but missing: {len(lost)}")
print(f"declarations stored twice: {len(stored_twice)}")
print(f"outbox messages: {len(outbox)}; not sent: {len(unsent)}; never received: {len(missing)}")
print(f"messages received: {sum(received.values())}; second copies: {copies} (allowed {max_copies})")

ok = (acked and not lost and len(acked) == len(set(acked)) and not stored_twice
      and not unsent and not missing and copies <= max_copies)

summary = os.path.join(d, "load.json")
if os.path.exists(summary):
    with open(summary) as f:
        load = json.load(f)
    failures = {s: n for s, n in load["statuses"].items() if not s.startswith("2")}
    print(f"failed requests by status: {failures or 'none'}; "
          f"error bodies that are not problem+json: {load['errors_not_problem_json']}; "
          f"slowest failed request: {load['slowest_failure_ms']:.0f} ms")
    # A fault may refuse requests, but only as the run allows: 503
    # problem+json, or no answer at an instance that was killed.
    unexpected = {s: n for s, n in failures.items() if s not in allowed}
    if unexpected or load["errors_not_problem_json"]:
        print(f"unexpected answers: {unexpected}")
        ok = False

print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
