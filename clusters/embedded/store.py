"""The embedded API server's object store: CRUD with apiserver semantics, history, watch feed.

Objects are plain dicts keyed by (group, plural) and (namespace, name). Every write gets the
next global resourceVersion, is committed to SQLite (when a path is given) before the call
returns, is kept in a bounded change history (for watch resume and consistent paging) and is
fed to the registered watchers. Stored dicts are never mutated in place: each write stores a
fresh copy, so history entries stay valid snapshots. Deletion, finalizers, owner-reference
garbage collection and namespace cascades live in `gc.py`.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clusters.embedded import gc
from clusters.embedded.clock import Clock
from clusters.embedded.resources import RESOURCES, ResourceType
from clusters.embedded.status import (
    conflict,
    not_found,
)
from clusters.embedded.store_db import SqliteBackend, clone
from clusters.embedded.store_errors import (
    uid_precondition_failed,
)
from clusters.embedded.store_index import OwnerIndex
from clusters.embedded.store_paging import decode_continue, encode_continue, state_at
from clusters.embedded.store_rules import (
    ObjKey,
    TypeKey,
    check_create_namespace,
    exists_error,
    generate_name,
    merge_update,
    obj_key,
    parse_rv,
    stamp_create,
    type_key,
)
from clusters.embedded.watch import ChangeEvent, Watcher, WatchFilter, prime

__all__ = ["ListResult", "Store"]

_NS_KEY = ("", "namespaces")


_Objects = list[dict[str, Any]]


@dataclass(frozen=True)
class ListResult:
    items: list[dict[str, Any]]
    resource_version: str
    continue_token: str | None
    remaining: int | None


class Store:
    """Thread-safe object store; see the module docstring and the methods for semantics."""

    def __init__(
        self,
        db_path: Path | None,
        clock: Clock,
        *,
        watch_history: int = 10000,
        watch_queue: int = 1000,
        bookmark_interval: float = 5.0,
        graceful_pod_deletion: bool = False,
        event_ttl: float | None = 3600.0,
    ) -> None:
        self.clock = clock
        # Pods on a node then keep deletionTimestamp until their kubelet deletes them with grace
        # 0 (as upstream); off, every delete is immediate (no kubelet needed, e.g. unit tests).
        self.graceful_pod_deletion = graceful_pod_deletion
        self._lock = threading.RLock()
        self._objects: dict[TypeKey, dict[ObjKey, dict[str, Any]]] = {}
        self._owners = OwnerIndex()
        self._by_uid = self._owners.by_uid  # read by gc.py
        self._dependents = self._owners.dependents
        self._emptying_namespaces: set[str] = set()  # gc.py: namespaces being emptied now
        self._event_expiry = gc.EventExpiry(event_ttl)
        self._history: deque[ChangeEvent] = deque()
        self._history_size = max(1, watch_history)
        self._watchers: list[Watcher] = []
        self._watch_queue = watch_queue
        self._bookmark_interval = bookmark_interval
        self._types: dict[TypeKey, ResourceType] = {type_key(r): r for r in RESOURCES}
        self._db = SqliteBackend(db_path) if db_path is not None else None
        self._rv = 0
        if self._db is not None:
            self._rv, rows = self._db.load()
            for (group, plural, _ns, _name), obj in rows:
                self._objects.setdefault((group, plural), {})[obj_key(obj)] = obj
                self._owners.update((group, plural), obj_key(obj), None, obj)
                if (group, plural) == gc.EVENTS:
                    self._event_expiry.touched(obj_key(obj))
        self._base_rv = self._rv  # history holds every change with rv > _base_rv

    # -- reads ----------------------------------------------------------------------------------

    @property
    def resource_version(self) -> str:
        """The store's latest resourceVersion."""
        with self._lock:
            return str(self._rv)

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        with self._lock:
            self._types.setdefault(type_key(rt), rt)
            stored = self._raw(type_key(rt), (namespace or "" if rt.namespaced else "", name))
            if stored is None:
                raise not_found(rt, name)
            return clone(stored)

    def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> ListResult:
        """Matching objects sorted by namespace/name; `limit` + `continue_token` page it.

        A continued page (and `resource_version_match="Exact"`) is served from the store's state
        at that resourceVersion; other resourceVersion values read the latest state.
        """
        watch_filter = WatchFilter.parse(rt, namespace, label_selector, field_selector)
        with self._lock:
            tk = type_key(rt)
            self._types.setdefault(tk, rt)
            at_rv, start = self._rv, None
            if continue_token:
                token = decode_continue(continue_token)
                at_rv, start = token.rv, token.start
            elif resource_version and resource_version_match == "Exact":
                at_rv = parse_rv(resource_version)
            elif resource_version:
                parse_rv(resource_version)
            state = state_at(
                self._objects.get(tk, {}),
                self._history,
                tk,
                at_rv,
                current_rv=self._rv,
                base_rv=self._base_rv,
                paging=bool(continue_token),
            )
            keys = sorted(k for k in state if start is None or k > start)
            matching = [k for k in keys if watch_filter.matches(state[k])]
            page = matching if not limit or limit <= 0 else matching[:limit]
            more = len(page) < len(matching)
            selectors = not (watch_filter.labels.empty and watch_filter.fields.empty)
            return ListResult(
                items=[clone(state[k]) for k in page],
                resource_version=str(at_rv),
                continue_token=encode_continue(at_rv, page[-1]) if more else None,
                remaining=len(matching) - len(page) if more and not selectors else None,
            )

    # -- writes ---------------------------------------------------------------------------------

    def create(
        self,
        rt: ResourceType,
        obj: dict[str, Any],
        *,
        dry_run: bool = False,
        keep_status: bool = False,
    ) -> dict[str, Any]:
        """Store a new object; the status of kinds with a status subresource is dropped unless
        `keep_status` (for in-process controllers; the HTTP API never sets it)."""
        new = clone(obj)
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        meta = new.setdefault("metadata", {})
        if rt.subresource("status") is not None and not keep_status:
            new.pop("status", None)
        with self._lock:
            tk = type_key(rt)
            self._types.setdefault(tk, rt)
            namespace = check_create_namespace(rt, meta, self._objects.get(_NS_KEY, {}))
            existing = self._objects.get(tk, {})
            if not meta.get("name"):
                prefix = meta.get("generateName") or ""
                meta["name"] = generate_name(rt, prefix, lambda n: (namespace, n) in existing)
            if (namespace, meta["name"]) in existing:
                raise exists_error(rt, existing[(namespace, meta["name"])])
            stamp_create(rt, new, self.clock.now())
            if dry_run:
                return clone(new)
            self._put(tk, new, None)
            gc.after_create(self, tk, new)
            if tk == gc.EVENTS:
                gc.expire_events(self)
            return clone(new)

    def update(
        self,
        rt: ResourceType,
        obj: dict[str, Any],
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        old_hook: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Replace an object (optimistic concurrency on metadata.resourceVersion).

        `old_hook(current)` — if given — receives a copy of the stored object under the store
        lock and returns the object to write (an atomic read-modify-write for PATCH); `obj`
        then only names the target. `subresource="status"` changes only `.status`; any other
        value (e.g. "scale") is treated as a main-resource write of the full object.
        """
        meta_in = obj.get("metadata") or {}
        name = meta_in.get("name") or ""
        with self._lock:
            tk = type_key(rt)
            self._types.setdefault(tk, rt)
            key = (meta_in.get("namespace") or "" if rt.namespaced else "", name)
            stored = self._raw(tk, key)
            if stored is None:
                raise not_found(rt, name)
            new = clone(old_hook(clone(stored)) if old_hook is not None else obj)
            meta = new.setdefault("metadata", {})
            stored_meta = stored["metadata"]
            wanted_rv = meta.get("resourceVersion")
            if wanted_rv and wanted_rv != stored_meta["resourceVersion"]:
                raise conflict(rt, name)
            if meta.get("uid") and meta["uid"] != stored_meta["uid"]:
                raise uid_precondition_failed(rt, name, meta["uid"], stored_meta["uid"])
            new = merge_update(rt, stored, new, subresource)
            if new == stored:
                return clone(stored)
            if dry_run:
                return clone(new)
            if gc.ready_to_remove(tk, new):
                return clone(self._remove(tk, new, stored))
            self._put(tk, new, stored)
            if tk == gc.EVENTS:
                gc.expire_events(self)
            return clone(new)

    def delete(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        *,
        propagation_policy: str | None = None,
        preconditions: dict[str, Any] | None = None,
        dry_run: bool = False,
        grace_period_seconds: int | None = None,
    ) -> dict[str, Any]:
        """Delete (or start deleting) an object; returns its last state. See `gc.delete`."""
        with self._lock:
            self._types.setdefault(type_key(rt), rt)
            return clone(
                gc.delete(
                    self,
                    rt,
                    (namespace or "" if rt.namespaced else "", name),
                    policy=propagation_policy,
                    preconditions=preconditions or {},
                    dry_run=dry_run,
                    grace_period_seconds=grace_period_seconds,
                )
            )

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        dry_run: bool = False,
        propagation_policy: str | None = None,
    ) -> _Objects:
        """Delete every matching object; returns their last states."""
        with self._lock:
            listed = self.list(
                rt, namespace, label_selector=label_selector, field_selector=field_selector
            )
            results = []
            for item in listed.items:
                ns, name = obj_key(item)
                if self._raw(type_key(rt), (ns, name)) is None:
                    continue  # already collected as a dependent of an earlier item
                results.append(
                    self.delete(
                        rt, ns or None, name, propagation_policy=propagation_policy, dry_run=dry_run
                    )
                )
            return results

    # -- watch ----------------------------------------------------------------------------------

    def watch(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        resource_version: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        send_initial_events: bool | None = None,
        allow_bookmarks: bool = False,
        name: str | None = None,
        bookmark_interval: float | None = None,
        max_queue: int | None = None,
    ) -> Watcher:
        """Open a watch. Selector or resourceVersion syntax errors raise 400 here; a
        resourceVersion older than the kept history yields a stream with one ERROR event
        (410 Expired, `too old resource version: N (M)`), as the apiserver's watch cache does."""
        watch_filter = WatchFilter.parse(rt, namespace, label_selector, field_selector, name)
        rv = None if resource_version in (None, "", "0") else parse_rv(resource_version)
        with self._lock:
            tk = type_key(rt)
            self._types.setdefault(tk, rt)
            watcher = Watcher(
                watch_filter,
                self._rv,
                max_queue=max_queue or self._watch_queue,
                allow_bookmarks=allow_bookmarks,
                bookmark_interval=bookmark_interval or self._bookmark_interval,
                on_close=self._unregister,
            )
            primed = prime(
                watcher,
                self._objects.get(tk, {}),
                self._history,
                resource_version=rv,
                send_initial_events=send_initial_events,
                current_rv=self._rv,
                base_rv=self._base_rv,
            )
            if primed:
                self._watchers.append(watcher)
            return watcher

    subscribe = watch  # in-process consumers use the same stream of deep-copied dicts

    def _unregister(self, watcher: Watcher) -> None:
        with self._lock:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    def close(self) -> None:
        """End every watch stream and close the database."""
        with self._lock:
            for watcher in list(self._watchers):
                watcher.close_nowait()
            self._watchers.clear()
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- internals shared with gc.py ------------------------------------------------------------

    def _raw(self, tk: TypeKey, key: ObjKey) -> dict[str, Any] | None:
        return self._objects.get(tk, {}).get(key)

    def _resource_for(self, tk: TypeKey) -> ResourceType | None:
        return self._types.get(tk)

    def _put(self, tk: TypeKey, new: dict[str, Any], prev: dict[str, Any] | None) -> None:
        """Commit a created or modified object (caller holds the lock; `new` becomes owned)."""
        rv = self._rv + 1
        new["metadata"]["resourceVersion"] = str(rv)
        key = obj_key(new)
        if self._db is not None:
            self._db.put((*tk, *key), rv, json.dumps(new, separators=(",", ":")))
        self._rv = rv
        self._objects.setdefault(tk, {})[key] = new
        self._owners.update(tk, key, prev, new)
        if tk == gc.EVENTS:
            self._event_expiry.touched(key)
        self._record(ChangeEvent(rv, tk, "MODIFIED" if prev else "ADDED", new, prev))

    def _remove(
        self, tk: TypeKey, last: dict[str, Any], prev: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Remove an object for good: DELETED event with a new RV, then GC of dependents."""
        key = obj_key(last)
        prev = prev if prev is not None else self._objects[tk][key]
        rv = self._rv + 1
        final = {**last, "metadata": {**last["metadata"], "resourceVersion": str(rv)}}
        if self._db is not None:
            self._db.remove((*tk, *key), rv)
        self._rv = rv
        del self._objects[tk][key]
        self._owners.update(tk, key, prev, None)
        if tk == gc.EVENTS:
            self._event_expiry.forget(key)
        self._record(ChangeEvent(rv, tk, "DELETED", final, prev))
        gc.after_remove(self, tk, final)
        return final

    def _record(self, event: ChangeEvent) -> None:
        if len(self._history) >= self._history_size:
            self._base_rv = self._history.popleft().rv
        self._history.append(event)
        for watcher in list(self._watchers):
            if not watcher.offer(event):
                self._watchers.remove(watcher)
