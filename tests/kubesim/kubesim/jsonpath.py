"""Kubernetes JSONPath (k8s.io/client-go/util/jsonpath) as used by additionalPrinterColumns and
kubectl: .a.b, ['a.b'], [0], [-1], [1:3], [*], .*, .., unions [0,1] / ['a','b'], and filters
[?(@.type=="Ready")] with == != < > <= >= or bare existence [?(@.x)].

Semantics follow the Go code with AllowMissingKeys(true) (the printer-column setting): a
missing key yields nothing, a JSON null is a value, and an evaluation error (index out of
range, comparing a string with a number, ...) makes the whole expression yield nothing."""
import re


class JSONPathError(Exception):
    """A parse error; str() is the message."""


class _EvalError(Exception):
    pass


_FILTER_SPLIT = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$", re.S)
_TERMINATORS = set(".[]$@{}(), \t\r\n")


def _parse_name(s, i):
    out = []
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
            continue
        if c in _TERMINATORS:
            break
        out.append(c)
        i += 1
    return "".join(out), i


def _close_bracket(s, i):
    """Index of the ']' closing the '[' at s[i], skipping quoted strings and parentheses."""
    depth, quote, j = 0, None, i + 1
    while j < len(s):
        c = s[j]
        if quote:
            if c == "\\":
                j += 2
                continue
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "]" and depth <= 0:
            return j
        j += 1
    raise JSONPathError("unterminated array")


def _split_commas(s):
    parts, cur, quote, depth = [], "", None, 0
    for c in s:
        if quote:
            cur += c
            if c == quote:
                quote = None
            continue
        if c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += c
    parts.append(cur)
    return [p.strip() for p in parts]


def _unquote(p):
    body = p[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _parse_bracket(body):
    body = body.strip()
    if body.startswith("?"):
        inner = body[1:].strip()
        if not (inner.startswith("(") and inner.endswith(")")):
            raise JSONPathError("unrecognized filter %s" % body)
        text = inner[1:-1].strip()
        m = _FILTER_SPLIT.match(text)
        if m is None:
            return ("filter", _parse_operand(text), None, "exists")
        op = m.group(2)
        if op == "=":
            op = "=="
        if op not in ("==", "!=", "<", ">", "<=", ">="):
            raise JSONPathError("unrecognized filter operator %s" % op)
        return ("filter", _parse_operand(m.group(1).strip()), _parse_operand(m.group(3).strip()),
                op)
    if body == "*":
        return ("wildcard",)
    parts = _split_commas(body)
    steps = []
    for p in parts:
        if len(p) >= 2 and p[0] == p[-1] and p[0] in "'\"":
            steps.append(("field", _unquote(p)))
            continue
        nums = p.split(":")
        if len(nums) > 3:
            raise JSONPathError("invalid array index %s" % p)
        try:
            vals = [int(x) if x.strip() else None for x in nums]
        except ValueError:
            raise JSONPathError("invalid array index %s" % p)
        if len(nums) == 1:
            if vals[0] is None:
                raise JSONPathError("invalid array index %s" % p)
            steps.append(("index", vals[0]))
        else:
            steps.append(("slice", vals[0], vals[1], vals[2] if len(vals) > 2 else None))
    return steps[0] if len(steps) == 1 else ("union", steps)


def _parse_operand(t):
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return ("literal", _unquote(t))
    if t in ("true", "false"):
        return ("literal", t == "true")
    if re.fullmatch(r"[+-]?[0-9]+", t):
        return ("literal", int(t))
    if re.fullmatch(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", t):
        return ("literal", float(t))
    return ("path", parse_path(t))


def parse_path(s):
    """Steps of one action (the text between { and })."""
    s = s.strip()
    steps, i = [], 0
    if s[:1] in ("$", "@"):
        i = 1
    while i < len(s):
        c = s[i]
        if s.startswith("..", i):
            steps.append(("recursive",))
            i += 2
            if i < len(s) and s[i] == "*":
                steps.append(("wildcard",))
                i += 1
            elif i < len(s) and s[i] not in "[":
                name, i = _parse_name(s, i)
                steps.append(("field", name))
        elif c == ".":
            i += 1
            if i < len(s) and s[i] == "*":
                steps.append(("wildcard",))
                i += 1
                continue
            name, i = _parse_name(s, i)
            if name:
                steps.append(("field", name))
        elif c == "[":
            j = _close_bracket(s, i)
            steps.append(_parse_bracket(s[i + 1:j]))
            i = j + 1
        elif c in " \t":
            i += 1
        else:
            name, j = _parse_name(s, i)
            if j == i:
                raise JSONPathError("unrecognized character in action: %r" % c)
            steps.append(("field", name))
            i = j
    return steps


def parse_template(expr):
    """List of actions (each a step list). A bare path (no braces) is one action."""
    if "{" not in expr:
        return [parse_path(expr)]
    actions, i = [], 0
    while True:
        a = expr.find("{", i)
        if a < 0:
            return actions
        b = a + 1
        quote = None
        while b < len(expr):
            c = expr[b]
            if quote:
                if c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
            elif c == "}":
                break
            b += 1
        if b >= len(expr):
            raise JSONPathError("unclosed action")
        inner = expr[a + 1:b].strip()
        i = b + 1
        if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
            continue
        if inner.startswith("range") or inner == "end":
            raise JSONPathError("range is not supported here")
        actions.append(parse_path(inner))


def _kind(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return "other"


def _compare(left, right, op):
    kl, kr = _kind(left), _kind(right)
    if kl != kr or kl == "other":
        raise _EvalError("incompatible types for comparison")
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if kl == "bool":
        raise _EvalError("invalid type for comparison")
    return {"<": left < right, ">": left > right, "<=": left <= right,
            ">=": left >= right}[op]


def _children(v):
    if isinstance(v, dict):
        return [v[k] for k in sorted(v)]
    if isinstance(v, list):
        return list(v)
    return []


def _eval_steps(values, steps):
    for step in steps:
        values = _eval_step(values, step)
    return values


def _slice(v, start, end, stride, derived_end=False):
    """evalArray's bounds rules, errors included."""
    n = len(v)
    start = 0 if start is None else start
    if start < 0:
        start += n
    if end is None:
        end = n
    elif end < 0 or (end == 0 and derived_end):
        end += n
    stride = 1 if stride is None else stride
    if end == start:
        return []
    if start >= n or start < 0:
        raise _EvalError("array index out of bounds: index %d, length %d" % (start, n))
    if end > n or end < 0:
        raise _EvalError("array index out of bounds: index %d, length %d" % (end - 1, n))
    if start > end:
        raise _EvalError("starting index %d is greater than ending index %d" % (start, end))
    if stride <= 0:
        raise _EvalError("step must be > 0")
    return v[start:end:stride]


def _eval_step(values, step):
    kind = step[0]
    out = []
    if kind == "field":
        for v in values:
            if isinstance(v, dict) and step[1] in v:
                out.append(v[step[1]])
        return out
    if kind == "wildcard":
        for v in values:
            out.extend(_children(v))
        return out
    if kind == "recursive":
        def walk(v):
            kids = _children(v)
            if kids:
                out.append(v)
                for k in kids:
                    walk(k)
        for v in values:
            walk(v)
        return out
    if kind == "index":
        for v in values:
            if not isinstance(v, list):
                raise _EvalError("not array or slice")
            out.extend(_slice(v, step[1], step[1] + 1, None, derived_end=True))
        return out
    if kind == "slice":
        for v in values:
            if not isinstance(v, list):
                raise _EvalError("not array or slice")
            out.extend(_slice(v, step[1], step[2], step[3]))
        return out
    if kind == "union":
        for sub in step[1]:
            out.extend(_eval_step(values, sub))
        return out
    if kind == "filter":
        _, left, right, op = step
        for v in values:
            if not isinstance(v, list):
                raise _EvalError("is not array or slice and cannot be filtered")
            for item in v:
                lefts = _operand([item], left)
                if op == "exists":
                    if lefts:
                        out.append(item)
                    continue
                if not lefts:
                    continue
                if len(lefts) > 1:
                    raise _EvalError("can only compare one element at a time")
                rights = _operand([item], right)
                if not rights:
                    continue
                if len(rights) > 1:
                    raise _EvalError("can only compare one element at a time")
                if _compare(lefts[0], rights[0], op):
                    out.append(item)
        return out
    raise _EvalError("unknown step %s" % kind)


def _operand(values, operand):
    if operand[0] == "literal":
        return [operand[1]]
    return _eval_steps(values, operand[1])


def find_results(expr, obj):
    """One result list per action of the template, like JSONPath.FindResults. Raises
    JSONPathError on a parse error; an evaluation error gives empty results."""
    actions = parse_template(expr)
    out = []
    for steps in actions:
        try:
            out.append(_eval_steps([obj], steps))
        except _EvalError:
            return []
    return out


def evaluate(expr, obj):
    """All values expr selects in obj (flattened over the template's actions)."""
    return [v for res in find_results(expr, obj) for v in res]
