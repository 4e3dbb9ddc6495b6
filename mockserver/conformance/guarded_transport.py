"""Every request the schema phase makes passes the run's traffic policy, schemathesis' probes included.

schemathesis sends its cases through the session it is given, but some checks (``ignored_auth``,
``object_level_authorization``) send probes on a fresh session of their own, which would skip the
allow list, the rate limit and the count. The schema's transport here hands such a probe a guarded
session of its own instead: fresh, so no cookie of the run's leaks into it, and still policed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from schemathesis.transport.requests import ManagedCookiesSession

from .traffic import TrafficPolicy


class GuardedSession(ManagedCookiesSession):
    """The requests session schemathesis sends through; every request, redirects included, passes the policy."""

    def __init__(self, policy: TrafficPolicy, use_proxies: bool) -> None:
        super().__init__()
        self._policy = policy
        self.trust_env = use_proxies

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        send_once = super().send
        return self._policy.send(
            request.method or "GET",
            request.url or "",
            lambda: send_once(request, **kwargs),
            lambda answer: answer.status_code,
            lambda answer: answer.headers.get("retry-after"),
        )


class _ProbesThroughPolicy:
    """schemathesis' own transport, except that a request sent without a session gets a guarded one."""

    def __init__(self, inner: Any, new_session: Callable[[], requests.Session]) -> None:
        self._inner = inner
        self._new_session = new_session

    def send(self, case: Any, *, session: requests.Session | None = None, **kwargs: Any) -> Any:
        if session is not None:
            return self._inner.send(case, session=session, **kwargs)
        probe_session = self._new_session()
        try:
            return self._inner.send(case, session=probe_session, **kwargs)
        finally:
            probe_session.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def guard_every_request(schema: Any, policy: TrafficPolicy, use_proxies: bool) -> GuardedSession:
    """Route ``schema``'s probes through ``policy``; the session for its cases is returned."""
    transport = _ProbesThroughPolicy(schema.transport, lambda: GuardedSession(policy, use_proxies))
    # The transport is a property of the schema's class: this schema alone gets a subclass that overrides it.
    schema.__class__ = type("PolicedSchema", (type(schema),), {"transport": property(lambda _: transport)})
    return GuardedSession(policy, use_proxies)
