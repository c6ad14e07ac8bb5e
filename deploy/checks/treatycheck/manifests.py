"""The checks over a whole rendered overlay: objects that must agree with each other (selectors and
labels, Services and container ports, policies and the call graph) and with the code."""

from __future__ import annotations

from .certificates import check_certificates
from .kube import DNS_1123_LABEL, Pod, connection_allowed, policy_types, selector_matches
from .trust import check_trust
from .workloads import (
    Workload,
    check_peers,
    check_probes,
    check_resources,
    check_runtime_config,
    check_security,
    check_selector,
    check_volumes,
    health_port,
    resolve_env,
    service_role,
)

__all__ = ["check_manifests"]

WORKLOAD_KINDS = ("StatefulSet", "Deployment")
CLIENT_LABEL = ("treaty-client", "true")
# The IANA service name of HTTP over TLS (h2 by ALPN): what gRPC over TLS is to a proxy or a mesh.
# Kubernetes' own names are only kubernetes.io/h2c (cleartext), kubernetes.io/ws and kubernetes.io/wss.
TLS_APP_PROTOCOL = "https"
# Namespaces the policy model adds to the manifests' own: clients elsewhere, and cluster DNS.
CLIENT_NS, OTHER_NS, DNS_NS = "clients.example", "elsewhere.example", "kube-system"


def _ns(doc: dict) -> str:
    return (doc.get("metadata") or {}).get("namespace", "default")


def _ref(doc: dict) -> str:
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"


def check_manifests(docs: list[dict], variables: frozenset, graph: dict) -> list[str]:
    """Returns one message per problem found in the rendered objects `docs` (empty when all is well)."""
    errors: list[str] = []

    def err(where: str, message: str) -> None:
        errors.append(f"{where}: {message}")

    by_kind: dict[str, list[dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc.get("kind", "?"), []).append(doc)
        name = (doc.get("metadata") or {}).get("name", "")
        if not DNS_1123_LABEL.match(name or ""):
            err(_ref(doc), f"name {name!r} is not a DNS-1123 label (lower-case letters, digits, '-', at most 63)")
    configmaps = {(_ns(d), d["metadata"]["name"]): d for d in by_kind.get("ConfigMap", [])}
    services = {(_ns(d), d["metadata"]["name"]): d for d in by_kind.get("Service", [])}
    accounts = {(_ns(d), d["metadata"]["name"]) for d in by_kind.get("ServiceAccount", [])}

    for (_, name), cm in configmaps.items():
        for key in cm.get("data") or {}:
            if key.startswith("TREATY_") and key not in variables:
                err(f"ConfigMap/{name}", f"{key} is not a variable the code reads (crates/runtime/src/config.rs VARIABLES)")

    workloads = _workloads(by_kind, err)
    images = set()
    for w in workloads:
        check_selector(w, err)
        account = w.pod.get("serviceAccountName")
        if account and (w.namespace, account) not in accounts:
            err(w.ref, f"serviceAccountName {account!r} is not a ServiceAccount in the manifests")
        containers = w.containers()
        if len(containers) != 1:
            err(w.ref, f"has {len(containers)} containers; a treaty pod runs exactly one, `treaty serve`")
        for c in containers:
            images.add(c.get("image"))
            env = resolve_env(w, c, configmaps, err)
            check_probes(w, c, env, err)
            check_resources(w, c, err)
            check_security(w, c, err)
            check_volumes(w, c, err)
            check_runtime_config(w, c, env, variables, err)
            w.serves, w.role = service_role(w, c, graph, err)
            w.env = env
            w.health = health_port(c, env)
            if w.serves:
                check_trust(w, c, env, graph, variables, err)
                expected = w.role or "treaty"
                for what, value in (("name", w.name), ("label app.kubernetes.io/name", w.labels.get("app.kubernetes.io/name"))):
                    if value != expected:
                        err(w.ref, f"{what} is {value!r}, but it runs `treaty serve{' ' + w.role if w.role else ''}`: use the one short name {expected!r} everywhere")
        if w.kind == "StatefulSet":
            _check_statefulset(w, services, err)
    if len(images) > 1:
        err("images", f"the pods run {len(images)} different images ({', '.join(sorted(map(str, images)))}); treaty ships one")
    for w in workloads:
        if w.serves:
            check_peers(w, w.env, graph, services, workloads, err)

    for svc in services.values():
        _check_service(svc, workloads, err)
    for pdb in by_kind.get("PodDisruptionBudget", []):
        _check_selects(pdb, (pdb.get("spec") or {}).get("selector"), workloads, err)
    _check_network(by_kind.get("NetworkPolicy", []), by_kind.get("Namespace", []), workloads, graph, err)
    certificates = [d for d in by_kind.get("Certificate", []) if str(d.get("apiVersion", "")).startswith("cert-manager.io/")]
    if certificates:
        issuers = by_kind.get("Issuer", []) + by_kind.get("ClusterIssuer", [])
        check_certificates(certificates, issuers, services, workloads, graph, err)
    return errors


def _workloads(by_kind: dict, err) -> list[Workload]:
    out = []
    for kind in WORKLOAD_KINDS:
        for doc in by_kind.get(kind, []):
            template = (doc.get("spec") or {}).get("template") or {}
            out.append(Workload(
                doc=doc, kind=kind, name=doc["metadata"]["name"], namespace=_ns(doc),
                labels=(template.get("metadata") or {}).get("labels") or {}, pod=template.get("spec") or {},
            ))
    if not out:
        err("manifests", "contain no StatefulSet or Deployment")
    return out


def _check_statefulset(w: Workload, services: dict, err) -> None:
    spec = w.doc.get("spec") or {}
    if spec.get("replicas", 1) != 1:
        err(w.ref, f"replicas is {spec.get('replicas')}; sled is single-writer, so each treaty StatefulSet runs exactly 1")
    svc = services.get((w.namespace, spec.get("serviceName")))
    if svc is None:
        err(w.ref, f"serviceName {spec.get('serviceName')!r} is not a Service in the manifests")
    elif not selector_matches({"matchLabels": (svc.get("spec") or {}).get("selector") or {}}, w.labels) or not (svc.get("spec") or {}).get("selector"):
        err(w.ref, f"serviceName {spec.get('serviceName')!r} is a Service that does not select this StatefulSet's pods")


def _check_selects(doc: dict, selector: dict | None, workloads: list[Workload], err) -> list[Workload]:
    chosen = [w for w in workloads if w.namespace == _ns(doc) and selector_matches(selector, w.labels)]
    if not chosen:
        err(_ref(doc), f"selector {selector} selects no pods (pod labels: {'; '.join(f'{w.name}: {w.labels}' for w in workloads)})")
    return chosen


def _check_service(svc: dict, workloads: list[Workload], err) -> None:
    spec = svc.get("spec") or {}
    selector = spec.get("selector")
    if not selector:
        err(_ref(svc), "has no selector")
        return
    for w in _check_selects(svc, {"matchLabels": selector}, workloads, err):
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            proto = port.get("protocol", "TCP")
            numbers = [n for n, p in w.ports().get(target, []) if p == proto] if isinstance(target, str) else [
                n for ports in w.ports().values() for n, p in ports if n == target and p == proto]
            name = port.get("name", port.get("port"))
            if not numbers:
                have = ", ".join(f"{name or '(unnamed)'}={n}/{p}" for name, ports in w.ports().items() for n, p in ports)
                err(_ref(svc), f"port {name}: targetPort {target!r} ({proto}) is not a container port of {w.ref} (its ports: {have or 'none'})")
                continue
            if w.health is not None and w.health in numbers:
                err(_ref(svc), f"port {name} leads to {w.ref}'s plaintext health port {w.health}, which serves the kubelet's probes only")
            grpc = {n for n, p in w.ports().get("grpc", []) if p == "TCP"}
            tls = (w.env.get("TREATY_TLS_CERT") or (None,))[0]
            if tls and grpc & set(numbers) and port.get("appProtocol") != TLS_APP_PROTOCOL:
                err(_ref(svc), f"port {name}: appProtocol is {port.get('appProtocol')!r}, but {w.ref} speaks gRPC over TLS there: use {TLS_APP_PROTOCOL!r} (kubernetes.io/h2c means cleartext)")


def _check_network(policies: list[dict], namespaces: list[dict], workloads: list[Workload], graph: dict, err) -> None:
    """Checks the NetworkPolicies against the call graph by asking, for each pair of pods, whether a
    connection to the gRPC port would be allowed, plus clients, strangers and DNS."""
    for policy in policies:
        _check_selects(policy, (policy.get("spec") or {}).get("podSelector"), workloads, err)
    ns_labels = {(d.get("metadata") or {}).get("name"): dict((d.get("metadata") or {}).get("labels") or {}) for d in namespaces}
    for w in workloads:
        ns_labels.setdefault(w.namespace, {})
    for name, labels in ns_labels.items():
        labels.setdefault("kubernetes.io/metadata.name", name)
    ns_labels[CLIENT_NS] = {"kubernetes.io/metadata.name": CLIENT_NS, CLIENT_LABEL[0]: CLIENT_LABEL[1]}
    ns_labels[OTHER_NS] = {"kubernetes.io/metadata.name": OTHER_NS}
    ns_labels[DNS_NS] = {"kubernetes.io/metadata.name": DNS_NS}

    pods = {w.ref: Pod(w.name, w.namespace, w.labels, w.ports()) for w in workloads}
    dns = Pod("kube-dns", DNS_NS, {"k8s-app": "kube-dns"}, {"dns": [(53, "UDP"), (53, "TCP")]})
    for w in workloads:
        me = pods[w.ref]
        grpc = next((n for n, p in me.ports.get("grpc", []) if p == "TCP"), None)
        if grpc is None:
            continue
        isolated = set().union(*(
            policy_types(p) for p in policies
            if (p.get("metadata") or {}).get("namespace", "default") == w.namespace
            and selector_matches((p.get("spec") or {}).get("podSelector", {}), w.labels)
        ))
        for direction in ("Ingress", "Egress"):
            if direction not in isolated:
                err(w.ref, f"no NetworkPolicy restricts its {direction.lower()}")
        callers = {
            "a client pod (treaty-client=true)": (Pod("client", w.namespace, {CLIENT_LABEL[0]: CLIENT_LABEL[1]}), True),
            f"a pod in a namespace labelled {CLIENT_LABEL[0]}=true": (Pod("ingress", CLIENT_NS, {}), True),
            "an unlabelled pod in its namespace": (Pod("stranger", w.namespace, {}), False),
            "a pod in another namespace": (Pod("outsider", OTHER_NS, {}), False),
        }
        for other in workloads:
            if other is not w and other.namespace == w.namespace and other.role and w.role:
                callers[f"{other.role}"] = (pods[other.ref], w.role in graph.get(other.role, ()))
        for who, (pod, _) in callers.items():
            if w.health is not None and w.health != grpc and connection_allowed(policies, pod, me, w.health, "TCP", ns_labels):
                err(w.ref, f"NetworkPolicies let {who} reach the plaintext health port {w.health}; it serves the kubelet's probes only (which NetworkPolicy does not restrict), so admit no pod")
        for who, (pod, expected) in callers.items():
            allowed = connection_allowed(policies, pod, me, grpc, "TCP", ns_labels)
            if allowed and not expected:
                err(w.ref, f"NetworkPolicies let {who} call it on port {grpc}, but " + (
                    f"{who} does not call {w.role} (README Services table)" if who in graph else "only its callers and clients may"))
            elif expected and not allowed:
                err(w.ref, f"NetworkPolicies block {who} from calling it on port {grpc}" + (
                    f", but {who} calls {w.role} (README Services table)" if who in graph else ""))
        peers = graph.get(w.role, frozenset()) if w.role else frozenset()
        if peers and not connection_allowed(policies, me, dns, 53, "UDP", ns_labels):
            err(w.ref, "NetworkPolicies block its DNS lookups (UDP 53 to kube-dns in kube-system), so it cannot find its peers")
        if connection_allowed(policies, me, Pod("anywhere", OTHER_NS, {}, {"": [(grpc, "TCP")]}), grpc, "TCP", ns_labels):
            err(w.ref, "NetworkPolicies let it connect to pods in other namespaces; its egress must be only its peers and DNS")
