#!/usr/bin/env python3
"""README's Troubleshooting table lists every reason the operator and the runner can report.

The reasons are read from the C sources (controller/operator/*.c, controller/cmd/cmd_runner.c),
not from a list kept here. A reason is a string literal that looks like one (CamelCase: an
upper-case letter first, letters and digits only, at least one lower-case letter, so "FAIL"
and "PASS" results are not reasons) and sits where a reason goes:

  1. in the reason argument of a call that takes one: conditions_set (4th argument),
     set_conditions (3rd, the benchmark controller's wrapper), finish_failed (2nd),
     set_action (3rd, benchmark_run's decision), fail (2nd, the runner's structured error
     the controller shows as the reason), kube_events_record (4th), event and end_event
     (3rd). Every literal of the argument counts, so both arms of `ok ? "A" : "B"` do;
  2. assigned to a variable whose name contains "reason" (`const char *reason = ...;`,
     `char reason[64] = "RunnerFailed";`), or written into one with
     snprintf(<...reason...>, size, "Reason").

A reason built some other way is missed; the self-test below keeps rules 1 and 2 honest.
Reasons that are not failures (RunStarted, CheckPassed, ...) are listed too: they are what
`kubectl describe` shows. The check also fails on a reason the table lists in its reason
column that the sources no longer produce.

Usage: test_reasons.py [ROOT]   (ROOT defaults to $VB_SOURCE_DIR, else the repository)
"""
import glob
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "VB_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SOURCES = ["controller/operator/*.c", "controller/cmd/cmd_runner.c"]
# call name -> index of its reason argument
REASON_ARG = {"conditions_set": 3, "set_conditions": 2, "finish_failed": 1, "set_action": 2, "fail": 1,
              "kube_events_record": 3, "event": 2, "end_event": 2}
REASON = re.compile(r"^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")
STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def strip_comments(src):
    """C source without comments (string and char literals kept)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        elif src.startswith("/*", i):
            i = src.find("*/", i + 2) + 2 if src.find("*/", i + 2) >= 0 else n
            out.append(" ")
        elif src.startswith("//", i):
            i = src.find("\n", i) if src.find("\n", i) >= 0 else n
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_args(src, open_paren):
    """The top-level arguments of the call whose '(' is at open_paren, as source text."""
    args, depth, start, i = [], 0, open_paren + 1, open_paren
    while i < len(src):
        c = src[i]
        if c in "\"'":
            j = i + 1
            while j < len(src) and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            i = j
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(src[start:i])
                return args
        elif c == "," and depth == 1:
            args.append(src[start:i])
            start = i + 1
        i += 1
    return args


def literals(text):
    return [s for s in STRING.findall(text) if REASON.match(s)]


def reasons_in(src):
    """{reason: where} for one C source text."""
    src = strip_comments(src)
    found = {}
    for m in re.finditer(r"\b(\w+)\s*\(", src):
        name = m.group(1)
        args = None
        if name in REASON_ARG:
            args = call_args(src, m.end() - 1)
            idx = REASON_ARG[name]
        elif name == "snprintf":
            args = call_args(src, m.end() - 1)
            idx = 2 if args and "reason" in args[0] else None
        if args is None or idx is None or len(args) <= idx:
            continue
        for lit in literals(args[idx]):
            found.setdefault(lit, name)
    for m in re.finditer(r"\b\w*reason\w*\s*(?:\[[^\]]*\])?\s*=(?!=)([^;]*);", src):
        for lit in literals(m.group(1)):
            found.setdefault(lit, "reason =")
    return found


def source_reasons(root):
    found = {}
    for pattern in SOURCES:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            with open(path, encoding="utf-8") as f:
                for reason, how in reasons_in(f.read()).items():
                    found.setdefault(reason, "%s (%s)" % (os.path.relpath(path, root), how))
    return found


def troubleshooting(readme):
    m = re.search(r"^## Troubleshooting\n(.*?)(?=^## )", readme, re.S | re.M)
    return m.group(1) if m else ""


def readme_reasons(section):
    """(every `Token` of the section, the CamelCase tokens of the table's reason column)."""
    listed = set(re.findall(r"`([^`\s]+)`", section))
    column = set()
    for line in section.splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 3:
            column.update(t for t in re.findall(r"`([^`\s]+)`", cells[2]) if REASON.match(t))
    return listed, column


def problems(found, section):
    listed, column = readme_reasons(section)
    out = ["README Troubleshooting does not list %s (from %s)" % (r, found[r]) for r in sorted(found) if r not in listed]
    out += ["README Troubleshooting lists %s, which no source produces" % r for r in sorted(column - set(found))]
    return out


def self_test():
    """The rules find what they claim to, and a missing row is reported."""
    src = r'''
    /* conditions_set(s, "T", COND_TRUE, "InComment", m, g, n); */
    conditions_set(s, "Ready", COND_TRUE, ok ? "AllGood" : "NotGood", "a message", g, n);
    set_action(o, RUN_FAIL, "Unschedulable", "x %s", a, b);
    fail(&o, auth ? "AuthFailed" : "TargetUnreachable", err);
    snprintf(reason, rlen, "SecretNotFound");
    snprintf(msg, sizeof msg, "NotAReason");
    char reason[64] = "RunnerFailed";
    const char *reason = pass ? "CheckPassed" : !strcmp(result, "FAIL") ? "TopologyCheckFailed" : "Waiting";
    if (!strcmp(reason, "Compared")) return;
    '''
    want = {"AllGood", "NotGood", "Unschedulable", "AuthFailed", "TargetUnreachable", "SecretNotFound",
            "RunnerFailed", "CheckPassed", "TopologyCheckFailed", "Waiting"}
    got = set(reasons_in(src))
    assert got == want, "self-test: extracted %s, want %s" % (sorted(got), sorted(want))
    section = "| where | reason | meaning |\n|---|---|---|\n| x | `AllGood`, `Stale` | y |\n"
    p = problems({"AllGood": "a.c", "NotGood": "a.c"}, section)
    assert p == ["README Troubleshooting does not list NotGood (from a.c)",
                 "README Troubleshooting lists Stale, which no source produces"], p


def main():
    self_test()
    found = source_reasons(ROOT)
    if len(found) < 10:
        print("FAIL: only %d reasons found in %s: the extraction is broken" % (len(found), ", ".join(SOURCES)))
        return 1
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        section = troubleshooting(f.read())
    if not section:
        print("FAIL: README.md has no '## Troubleshooting' section")
        return 1
    bad = problems(found, section)
    for p in bad:
        print("FAIL: " + p)
    if bad:
        return 1
    print("test_reasons: the %d reasons of the sources are in README's Troubleshooting: %s"
          % (len(found), " ".join(sorted(found))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
