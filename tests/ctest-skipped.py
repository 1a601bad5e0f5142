#!/usr/bin/env python3
"""Counts the tests that ctest did not run, from the JUnit files of `ctest --output-junit`.

Usage: tests/ctest-skipped.py BUILD/ctest-junit.xml...   (make check runs it last)

Prints the count of tests that passed and failed in all the files, and one line per test that was skipped (SKIP_RETURN_CODE, SKIP_REGULAR_EXPRESSION), not run
(missing executable, failed fixture) or disabled, with the reason ctest gives and the last line
the test printed (a skipping test prints why), then the count.  Exit 0: this is a report, the
ctest runs themselves have already failed the build for anything that counts as a failure.
"""
import os
import sys
import xml.etree.ElementTree as ET

lines = []
passed = failed = 0
for path in sys.argv[1:]:
    build = os.path.basename(os.path.dirname(os.path.abspath(path)))
    if not os.path.exists(path):
        lines.append(f"{build}: no {os.path.basename(path)}: ctest did not run there")
        continue
    for tc in ET.parse(path).getroot().iter("testcase"):
        # ctest writes status "run" for a test that passed and "fail" for one that failed
        # (with a <failure>); either with a <failure> or <error> child is a failure
        if tc.get("status") in ("run", "fail"):
            if tc.get("status") == "run" and tc.find("failure") is None and tc.find("error") is None:
                passed += 1
            else:
                failed += 1
        if tc.get("status") not in ("notrun", "disabled"):
            continue
        skipped = tc.find("skipped")
        why = skipped.get("message") if skipped is not None else tc.get("status")
        out = [l.strip() for l in (tc.findtext("system-out") or "").splitlines() if l.strip()]
        lines.append(f"{build}: {tc.get('name')} ({why})" + (f": {out[-1]}" if out else ""))
print(f"tests not run (skipped, not run or disabled): {len(lines)}")
for line in lines:
    print("  " + line)
# both builds together, in the plain closing form that any reader of test output knows
print(f"tests: {passed} passed, {failed} failed")
