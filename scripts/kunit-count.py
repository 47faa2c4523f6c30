#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the KUnit test cases in a guest console log.

usage: kunit-count.py KUNIT_PY CONSOLE_LOG [KTAP_OUT]

KUnit suites in a loaded module print their KTAP at subtest indentation
without a top-level header, and every module numbers its suites from 1, so
the console is rewritten into one KTAP document (timestamps and the guest
command's "| " lines removed, a "KTAP version 1 / 1..N" header added, the
top-level results renumbered) and handed to the kernel's own parser,
`kunit.py parse --json`. Prints one line per test case:
    PASS suite.case | FAIL suite.case | SKIP suite.case
kunit.py's own report goes to stderr. Exit status 0 if any KTAP was found,
2 if none.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

TS = re.compile(r'^\[\s*\d+\.\d+\] ?')
# a suite loaded from a module starts at subtest indentation; the
# built-in executor's "KTAP version 1 / 1..0" at boot is skipped
START = re.compile(r'^ {4}KTAP version \d+\s*$')
SUITE = re.compile(r'^ {4}# Subtest: ')
TOP_RESULT = re.compile(r'^(ok|not ok) \d+(.*)$')


def extract(path):
    with open(path, errors='replace') as f:
        raw = f.read().replace('\r', '').splitlines()
    body, started = [], False
    for line in raw:
        if line.startswith('| '):
            continue
        line = TS.sub('', line)
        if not started:
            if not START.match(line):
                continue
            started = True
        if re.match(r'^(K?TAP version \d+|1\.\.\d+)\s*$', line):
            continue
        body.append(line)
    if not body:
        return None
    # keep up to the last top-level result
    last = max((i for i, l in enumerate(body) if TOP_RESULT.match(l)),
               default=len(body) - 1)
    body = body[:last + 1]
    nsuites = sum(1 for l in body if SUITE.match(l))
    out, n = ['KTAP version 1', '1..%d' % nsuites], 0
    for line in body:
        m = TOP_RESULT.match(line)
        if m:
            n += 1
            line = '%s %d%s' % (m.group(1), n, m.group(2))
        out.append(line)
    return out


def walk(group, prefix, res):
    name = group.get('name', '')
    here = prefix + [name] if prefix is not None else []
    for case in group.get('test_cases', []):
        res.append((case['status'], '.'.join(here + [case['name']])))
    for sub in group.get('sub_groups', []):
        walk(sub, here, res)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    kunit_py, log = sys.argv[1], sys.argv[2]
    ktap = extract(log)
    if ktap is None:
        print('kunit-count: no KTAP output in %s' % log, file=sys.stderr)
        return 2
    text = '\n'.join(ktap) + '\n'
    if len(sys.argv) > 3:
        with open(sys.argv[3], 'w') as f:
            f.write(text)
    with tempfile.TemporaryDirectory() as tmp:
        js = os.path.join(tmp, 'out.json')
        p = subprocess.run([sys.executable, kunit_py, 'parse', '--json=' + js],
                           input=text, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        sys.stderr.write(p.stdout)
        try:
            with open(js) as f:
                top = json.load(f)
        except (OSError, ValueError):
            print('kunit-count: kunit.py produced no JSON', file=sys.stderr)
            print('FAIL kunit.parse')
            return 0
    res = []
    walk(top, None, res)
    for status, name in res:
        word = {'PASS': 'PASS', 'SKIP': 'SKIP'}.get(status, 'FAIL')
        print('%s %s' % (word, name))
    return 0


if __name__ == '__main__':
    sys.exit(main())
