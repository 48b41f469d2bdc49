"""In-memory object storage with one cluster-wide resourceVersion and an event history.

One lock guards everything. Every write appends an Event to the history; watchers and the
controllers (GC, CRD, scheduler, kubelet) read from that history, never from callbacks, so a
slow consumer cannot block a writer.
"""
import bisect
import threading

from .util import deep_copy


class Event:
    __slots__ = ("rv", "type", "storage", "ns", "name", "obj", "old")

    def __init__(self, rv, type_, storage, ns, name, obj, old):
        self.rv = rv
        self.type = type_
        self.storage = storage
        self.ns = ns
        self.name = name
        self.obj = obj      # the object as stored after the write (DELETED: last state)
        self.old = old      # the object before the write (None for ADDED)


class Store:
    def __init__(self, history=10000, start_rv=1000):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.history_max = max(1, history)
        self.reset(start_rv)

    def reset(self, start_rv=None):
        with self.lock:
            if start_rv is None:
                start_rv = getattr(self, "rv", 1000)
            self.rv = start_rv
            self.objects = {}     # storage -> {(ns, name): obj}
            self.history = []     # Events ordered by rv
            self.floor = start_rv  # watches from rv < floor get 410
            self.cond.notify_all()

    # ---- reads -------------------------------------------------------------------------
    def get(self, storage, ns, name):
        with self.lock:
            o = self.objects.get(storage, {}).get((ns or "", name))
            return deep_copy(o) if o is not None else None

    def get_ref(self, storage, ns, name):
        """The stored object itself (callers hold the lock and do not mutate it)."""
        return self.objects.get(storage, {}).get((ns or "", name))

    def list(self, storage, ns=None):
        """Objects sorted by (namespace, name), deep copies, plus the current rv."""
        with self.lock:
            items = self.objects.get(storage, {})
            keys = sorted(k for k in items if ns is None or k[0] == ns)
            return [deep_copy(items[k]) for k in keys], self.rv

    def list_refs(self, storage):
        return list(self.objects.get(storage, {}).values())

    def storages(self):
        return list(self.objects.keys())

    # ---- writes (callers hold the lock for read-modify-write sequences) -----------------
    def _append(self, ev):
        self.history.append(ev)
        if len(self.history) > self.history_max:
            drop = len(self.history) - self.history_max
            self.floor = self.history[drop - 1].rv
            del self.history[:drop]
        self.cond.notify_all()

    def next_rv(self):
        self.rv += 1
        return self.rv

    def put(self, storage, obj, type_):
        """Store obj (ADDED or MODIFIED) under a fresh resourceVersion; returns a copy."""
        with self.lock:
            md = obj["metadata"]
            key = (md.get("namespace", ""), md["name"])
            old = self.objects.get(storage, {}).get(key)
            rv = self.next_rv()
            md["resourceVersion"] = str(rv)
            stored = deep_copy(obj)
            self.objects.setdefault(storage, {})[key] = stored
            self._append(Event(rv, type_, storage, key[0], key[1], stored, old))
            return deep_copy(stored)

    def remove(self, storage, ns, name):
        """Delete the object; the DELETED event carries the last state at a new rv."""
        with self.lock:
            key = (ns or "", name)
            old = self.objects.get(storage, {}).pop(key, None)
            if old is None:
                return None
            rv = self.next_rv()
            last = deep_copy(old)
            last["metadata"]["resourceVersion"] = str(rv)
            self._append(Event(rv, "DELETED", storage, key[0], key[1], last, old))
            return deep_copy(last)

    def expire_history(self):
        with self.lock:
            self.floor = self.rv
            self.history = []
            self.cond.notify_all()

    # ---- history ----------------------------------------------------------------------
    def events_after(self, rv):
        """Events with rv > rv, or None when some of them are no longer retained."""
        with self.lock:
            if rv < self.floor:
                return None
            i = bisect.bisect_right(self.history, rv, key=lambda e: e.rv)
            return self.history[i:]
