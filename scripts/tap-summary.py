#!/usr/bin/env python3
"""Count test points in meson's testlog.json (one or more): every TAP 'ok'/'not ok' line of a TAP test, and
one point for a test of another protocol. Prints the failing points, then the closing line
'N passed, N failed, N skipped'. Exit 1 when anything failed or nothing ran."""
import json
import re
import sys

passed = failed = skipped = 0
failures = []
lines = []
for path in sys.argv[1:]:  # several logs (.ci/run: the suite and the fuzz runs) count as one
    try:
        lines += open(path).read().splitlines()
    except OSError as e:
        print("cannot read %s: %s" % (path, e))
        print("0 passed, 1 failed")
        sys.exit(1)

tap = re.compile(r"^(not ok|ok)\b(.*)$")
for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    name, result = t.get("name", "?"), t.get("result", "")
    points = 0
    out = t.get("stdout") or ""
    # meson 1.0 does not record the protocol: a TAP plan line marks a TAP test.
    if t.get("protocol") == "tap" or re.search(r"^1\.\.\d+", out, re.M):
        for out in (t.get("stdout") or "").splitlines():
            m = tap.match(out)
            if not m:
                continue
            points += 1
            rest = m.group(2)
            if re.search(r"#\s*SKIP", rest, re.I):
                skipped += 1
            elif m.group(1) == "ok":
                passed += 1
            elif re.search(r"#\s*TODO", rest, re.I):
                skipped += 1
            else:
                failed += 1
                failures.append("%s: %s%s" % (name, m.group(1), rest))
    if result in ("TIMEOUT", "ERROR", "UNEXPECTEDPASS") or (points == 0 and result == "FAIL"):
        failed += 1
        failures.append("%s: %s" % (name, result))
    elif points == 0:
        if result == "OK" or result == "EXPECTEDFAIL":
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
            failures.append("%s: %s" % (name, result))
    elif result == "FAIL" and not any(f.startswith(name + ":") for f in failures):
        failed += 1
        failures.append("%s: FAIL (exit status, after its test points)" % name)

if failures:
    print("Failed:")
    for f in failures:
        print("  " + f)
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or passed == 0 else 0)
