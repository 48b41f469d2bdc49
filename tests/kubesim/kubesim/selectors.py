"""Label and field selectors, parsed the way k8s.io/apimachinery does (labels/selector.go,
fields/selector.go), so that a bad selector fails with the very message the real server puts
in its 400 Status (see k8s-reference/10-selectors)."""
import re

from . import apivalidation as validation
from .util import dig


class SelectorError(Exception):
    """str(e) / e.message is the server's text (the 400 BadRequest Status message)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- label selector lexer

_ERROR, _EOS, _CLOSE, _COMMA, _NOT, _DEQ, _EQ, _GT, _ID, _IN, _LT, _NEQ, _NOTIN, _OPEN = range(14)

_SYMBOLS = {")": _CLOSE, ",": _COMMA, "!": _NOT, "==": _DEQ, "=": _EQ, ">": _GT,
            "in": _IN, "<": _LT, "!=": _NEQ, "notin": _NOTIN, "(": _OPEN}
_SPECIAL = set("=!(),><")
_SPACE = set(" \t\r\n")


def _lex(s):
    """Token list ending with EOS; mirrors labels.Lexer including its error token text."""
    out = []
    i, n = 0, len(s)
    while True:
        while i < n and s[i] in _SPACE:
            i += 1
        if i >= n:
            out.append((_EOS, ""))
            return out
        if s[i] in _SPECIAL:
            buf, last = "", None
            while i < n and s[i] in _SPECIAL:
                cand = buf + s[i]
                if cand in _SYMBOLS:
                    buf, last = cand, (_SYMBOLS[cand], cand)
                    i += 1
                elif last is not None:
                    break
                else:
                    buf = cand
                    i += 1
            if last is None:
                out.append((_ERROR, "error expected: keyword found '%s'" % buf))
            else:
                out.append(last)
            continue
        j = i
        while j < n and s[j] not in _SPACE and s[j] not in _SPECIAL:
            j += 1
        word = s[i:j]
        i = j
        out.append((_SYMBOLS.get(word, _ID) if word in ("in", "notin") else _ID, word))


class _Parser:
    def __init__(self, s):
        self.items = _lex(s)
        self.pos = 0

    def _get(self, advance, values):
        tok, lit = self.items[min(self.pos, len(self.items) - 1)]
        if advance:
            self.pos += 1
        if values and tok in (_IN, _NOTIN):
            tok = _ID
        return tok, lit

    def lookahead(self, values=True):
        return self._get(False, values)

    def consume(self, values=True):
        return self._get(True, values)

    def parse(self):
        reqs = []
        while True:
            tok, lit = self.lookahead()
            if tok in (_ID, _NOT):
                try:
                    reqs.append(self.requirement())
                except SelectorError as e:
                    raise SelectorError("unable to parse requirement: %s" % e.message)
                t, lit2 = self.consume()
                if t == _EOS:
                    return reqs
                if t == _COMMA:
                    t2, l2 = self.lookahead()
                    if t2 not in (_ID, _NOT):
                        raise SelectorError("found '%s', expected: identifier after ','" % l2)
                    continue
                raise SelectorError("found '%s', expected: ',' or 'end of string'" % lit2)
            if tok == _EOS:
                return reqs
            raise SelectorError("found '%s', expected: !, identifier, or 'end of string'" % lit)

    def requirement(self):
        op = None
        tok, lit = self.consume()
        if tok == _NOT:
            op = "!"
            tok, lit = self.consume()
        if tok != _ID:
            raise SelectorError("found '%s', expected: identifier" % lit)
        key = lit
        err = validation.label_key_error(key, "<nil>")
        if err:
            raise SelectorError(err)
        t, _ = self.lookahead()
        if t in (_EOS, _COMMA):
            op = op or "exists"
        if op in ("!", "exists"):
            return _requirement(key, op, [])
        tok, lit = self.consume(values=False)
        ops = {_IN: "in", _EQ: "=", _DEQ: "==", _GT: "gt", _LT: "lt", _NOTIN: "notin", _NEQ: "!="}
        if tok not in ops:
            raise SelectorError("found '%s', expected: in, notin, =, ==, !=, gt, lt" % lit)
        op = ops[tok]
        if op in ("in", "notin"):
            values = self.values()
        else:
            values = self.exact_value()
        return _requirement(key, op, sorted(set(values)))

    def values(self):
        tok, lit = self.consume()
        if tok != _OPEN:
            raise SelectorError("found '%s' expected: '('" % lit)
        tok, lit = self.lookahead()
        if tok in (_ID, _COMMA):
            s = self.identifiers()
            tok2, _ = self.consume()
            if tok2 != _CLOSE:
                raise SelectorError("found '%s', expected: ')'" % lit)
            return s
        if tok == _CLOSE:
            self.consume()
            return [""]
        raise SelectorError("found '%s', expected: ',', ')' or identifier" % lit)

    def identifiers(self):
        s = set()
        while True:
            tok, lit = self.consume()
            if tok == _ID:
                s.add(lit)
                t2, l2 = self.lookahead()
                if t2 == _COMMA:
                    continue
                if t2 == _CLOSE:
                    return s
                raise SelectorError("found '%s', expected: ',' or ')'" % l2)
            if tok == _COMMA:
                if not s:
                    s.add("")
                t2, _ = self.lookahead()
                if t2 == _CLOSE:
                    s.add("")
                    return s
                if t2 == _COMMA:
                    self.consume()
                    s.add("")
                continue
            raise SelectorError("found '%s', expected: ',', or identifier" % lit)

    def exact_value(self):
        tok, _ = self.lookahead()
        if tok in (_EOS, _COMMA):
            return [""]
        tok, lit = self.consume()
        if tok == _ID:
            return [lit]
        raise SelectorError("found '%s', expected: identifier" % lit)


def _requirement(key, op, values):
    """labels.NewRequirement's validation; returns (key, op, values)."""
    errs = []
    if op in ("in", "notin") and not values:
        errs.append("values: Invalid value: []string{}: for 'in', 'notin' operators, "
                    "values set can't be empty")
    if op in ("gt", "lt"):
        for i, v in enumerate(values):
            if not re.fullmatch(r"[+-]?[0-9]+", v):
                errs.append('values[%d]: Invalid value: "%s": for \'Gt\', \'Lt\' operators, '
                            'the value must be an integer' % (i, v))
    for i, v in enumerate(values):
        msgs = validation.label_value_errors(v)
        if msgs:
            errs.append('values[%d][%s]: Invalid value: %s: %s'
                        % (i, key, validation.go_quote(v), "; ".join(msgs)))
    if errs:
        raise SelectorError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
    return key, op, values


def _match_requirement(req, labels):
    key, op, values = req
    has = key in labels
    if op in ("=", "==", "in"):
        return has and labels[key] in values
    if op in ("!=", "notin"):
        return not has or labels[key] not in values
    if op == "exists":
        return has
    if op == "!":
        return not has
    if op in ("gt", "lt"):
        if not has:
            return False
        try:
            lv = int(labels[key])
            rv = int(values[0])
        except (ValueError, IndexError):
            return False
        return lv > rv if op == "gt" else lv < rv
    return False


def parse_label_selector(s):
    """Returns match(labels: dict) -> bool; raises SelectorError with the server's message."""
    reqs = _Parser(s or "").parse()

    def match(labels):
        labels = labels or {}
        return all(_match_requirement(r, labels) for r in reqs)
    return match


def label_selector_from_object(sel):
    """metav1.LabelSelector (matchLabels + matchExpressions) as a matcher. None matches nothing,
    {} matches everything, as in metav1.LabelSelectorAsSelector."""
    if sel is None:
        return lambda labels: False
    reqs = []
    for k, v in sorted((sel.get("matchLabels") or {}).items()):
        reqs.append((k, "=", [v]))
    for e in sel.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists",
              "DoesNotExist": "!"}.get(e.get("operator"), "none")
        reqs.append((e.get("key", ""), op, list(e.get("values") or [])))

    def match(labels):
        labels = labels or {}
        return all(_match_requirement(r, labels) for r in reqs)
    return match


# ---------------------------------------------------------------- field selectors

_META = ("metadata.name", "metadata.namespace")
# The field labels each built-in registers (pkg/apis/*/v1/conversion.go); custom resources and
# everything else only have metadata.name / metadata.namespace.
_FIELDS = {
    "pods": _META + ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                     "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                     "status.podIP", "status.podIPs", "status.nominatedNodeName"),
    "nodes": ("metadata.name", "spec.unschedulable"),
    "namespaces": ("metadata.name", "status.phase"),
    "secrets": _META + ("type",),
    "events": _META + ("involvedObject.kind", "involvedObject.namespace",
                       "involvedObject.name", "involvedObject.uid",
                       "involvedObject.apiVersion", "involvedObject.resourceVersion",
                       "involvedObject.fieldPath", "reason", "reportingComponent", "source",
                       "type", "regarding.kind", "regarding.namespace", "regarding.name",
                       "regarding.uid", "regarding.apiVersion", "regarding.resourceVersion",
                       "regarding.fieldPath", "reportingController", "deprecatedSource"),
    "customresourcedefinitions": ("metadata.name",),
    "persistentvolumes": ("metadata.name",),
    "replicasets": _META + ("status.replicas",),
    "jobs": _META + ("status.successful",),
}


def _str(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def field_value(obj, label):
    """The value a field label selects on obj, as the registry's GetAttrs / ToSelectableFields
    computes it (missing -> "")."""
    if label == "status.podIP":
        ips = dig(obj, "status", "podIPs") or []
        if ips and isinstance(ips[0], dict):
            return _str(ips[0].get("ip"))
        return _str(dig(obj, "status", "podIP"))
    if label == "spec.hostNetwork":
        return _str(bool(dig(obj, "spec", "hostNetwork")))
    if label == "spec.unschedulable":
        return _str(bool(dig(obj, "spec", "unschedulable")))
    if label == "source":
        return _str(dig(obj, "source", "component") or dig(obj, "reportingComponent")
                    or dig(obj, "deprecatedSource", "component"))
    if label == "reportingComponent" and "reportingComponent" not in obj:
        return _str(obj.get("reportingController"))
    if label.startswith("involvedObject.") and "involvedObject" not in obj and "regarding" in obj:
        return _str(dig(obj, "regarding", label.split(".", 1)[1]))
    if label.startswith("regarding.") and "regarding" not in obj and "involvedObject" in obj:
        return _str(dig(obj, "involvedObject", label.split(".", 1)[1]))
    return _str(dig(obj, *label.split(".")))


def _split_terms(s):
    terms, cur, i = [], "", 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur += s[i:i + 2]
            i += 2
            continue
        if c == ",":
            terms.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    terms.append(cur)
    return terms


def _split_term(term):
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
        i += 1
    return None


def _unescape(v):
    if not any(c in v for c in "\\,="):
        return v
    out, slash = [], False
    for c in v:
        if slash:
            if c in "\\,=":
                out.append(c)
            else:
                raise SelectorError("invalid field selector: invalid escape sequence: \\" + c)
            slash = False
            continue
        if c == "\\":
            slash = True
        elif c in ",=":
            raise SelectorError("invalid field selector: unescaped character in value: %d"
                                % ord(c))
        else:
            out.append(c)
    if slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def parse_field_selector(s, plural):
    """Returns match(obj) -> bool; raises SelectorError with the server's message (a parse
    error, or "field label not supported: X" for a label the resource does not register)."""
    s = s or ""
    terms = []
    for part in sorted(_split_terms(s)):
        if part == "":
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (s, part))
        lhs, op, rhs = split
        terms.append((lhs, op, _unescape(rhs)))
    supported = _FIELDS.get(plural, _META)
    for lhs, _, _ in terms:
        if lhs not in supported:
            raise SelectorError("field label not supported: %s" % lhs)

    def match(obj):
        for lhs, op, rhs in terms:
            have = field_value(obj, lhs)
            if (have == rhs) != (op in ("=", "==")):
                return False
        return True
    return match
