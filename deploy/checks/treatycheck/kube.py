"""The bits of Kubernetes semantics the checks need: quantities, label selectors, and which
connections a set of NetworkPolicies allows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

__all__ = ["Pod", "parse_quantity", "selector_matches", "connection_allowed", "policy_types", "DNS_1123_LABEL"]

DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": 1,
            "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_QUANTITY = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$")


def parse_quantity(value: object) -> Fraction:
    """Parses a Kubernetes resource quantity such as `100m`, `1`, `0.5`, `512Mi` or `1e3`."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a quantity")
    if isinstance(value, (int, float)):
        return Fraction(str(value))
    m = _QUANTITY.match(str(value).strip())
    if not m:
        raise ValueError(f"{value!r} is not a quantity")
    number = Fraction(m[1])
    if m[2]:
        return number * _BINARY.get(m[2], _DECIMAL.get(m[2], 1))
    if m[3]:
        return number * Fraction(10) ** int(m[3])
    return number


def selector_matches(selector: dict | None, labels: dict | None) -> bool:
    """Whether a LabelSelector (`matchLabels` + `matchExpressions`) selects `labels`.

    An empty selector selects everything; a missing one (None) selects nothing.
    """
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


@dataclass(frozen=True)
class Pod:
    """A pod as NetworkPolicies see it."""

    name: str
    namespace: str
    labels: dict = field(hash=False)
    ports: dict = field(hash=False, default_factory=dict)
    """Container ports: {name or "": [(number, protocol)]} for resolving named policy ports."""

    def has_port(self, port: object, protocol: str, end_port: int | None = None) -> bool:
        for name, numbered in self.ports.items():
            for number, proto in numbered:
                if proto != protocol:
                    continue
                if isinstance(port, str) and name == port:
                    return True
                if isinstance(port, int) and (number == port or (end_port is not None and port <= number <= end_port)):
                    return True
        return False


def _port_matches(rule_ports: list | None, dest: Pod, port: int, protocol: str) -> bool:
    if not rule_ports:
        return True
    for p in rule_ports:
        proto = p.get("protocol", "TCP")
        if proto != protocol:
            continue
        want = p.get("port")
        if want is None:
            return True
        if isinstance(want, int):
            end = p.get("endPort")
            if want == port or (end is not None and want <= port <= end):
                return True
        elif any(number == port and pr == protocol for number, pr in dest.ports.get(want, [])):
            return True
    return False


def _peer_matches(peers: list | None, policy_ns: str, other: Pod, namespaces: dict[str, dict]) -> bool:
    if peers is None or peers == []:
        return True
    for peer in peers:
        if "ipBlock" in peer:
            continue  # CIDRs are not pods; this model gives them no pod traffic.
        pod_sel, ns_sel = peer.get("podSelector"), peer.get("namespaceSelector")
        if ns_sel is None:
            ns_ok = other.namespace == policy_ns
        else:
            ns_ok = selector_matches(ns_sel, namespaces.get(other.namespace, {}))
        pod_ok = True if pod_sel is None else selector_matches(pod_sel, other.labels)
        if ns_ok and pod_ok:
            return True
    return False


def policy_types(policy: dict) -> set[str]:
    """The directions a NetworkPolicy isolates, with the API's defaulting of `policyTypes`."""
    spec = policy.get("spec") or {}
    types = spec.get("policyTypes")
    if types:
        return set(types)
    return {"Ingress"} | ({"Egress"} if "egress" in spec else set())


def _direction_allows(policies: list[dict], subject: Pod, other: Pod, dest: Pod, port: int, protocol: str,
                      direction: str, namespaces: dict[str, dict]) -> bool:
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [
        p for p in policies
        if (p.get("metadata") or {}).get("namespace", "default") == subject.namespace
        and selector_matches((p.get("spec") or {}).get("podSelector", {}), subject.labels)
        and direction in policy_types(p)
    ]
    if not selecting:
        return True  # not isolated in this direction
    for policy in selecting:
        ns = (policy.get("metadata") or {}).get("namespace", "default")
        for rule in (policy.get("spec") or {}).get(key) or []:
            if _peer_matches(rule.get(peers_key), ns, other, namespaces) and _port_matches(rule.get("ports"), dest, port, protocol):
                return True
    return False


def connection_allowed(policies: list[dict], src: Pod, dst: Pod, port: int, protocol: str,
                       namespaces: dict[str, dict]) -> bool:
    """Whether `src` may open a connection to `dst` on `port`: its egress and `dst`'s ingress allow it."""
    return _direction_allows(policies, src, dst, dst, port, protocol, "Egress", namespaces) and _direction_allows(
        policies, dst, src, dst, port, protocol, "Ingress", namespaces
    )
