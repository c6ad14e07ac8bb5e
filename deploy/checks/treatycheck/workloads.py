"""Checks of one pod template: what an API server, a kubelet or the treaty binary would refuse or
trip over at run time, and the project's hardening rules."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .kube import parse_quantity, selector_matches

PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
DEFAULT_GRACE_SECONDS = 30  # Kubernetes' default terminationGracePeriodSeconds
DEFAULT_DRAIN_SECONDS = 10  # treaty's default TREATY_DRAIN_SECONDS (crates/runtime/src/config.rs)
FLUSH_MARGIN_SECONDS = 5  # time after the drain for the ledgers to make their queues durable


@dataclass
class Workload:
    """A StatefulSet or Deployment and what its pods will run."""

    doc: dict
    kind: str
    name: str
    namespace: str
    labels: dict
    pod: dict
    serves: bool = False  # whether it runs `treaty serve`
    role: str | None = None  # the service of `treaty serve <name>`; None for the all-in-one
    env: dict = field(default_factory=dict)  # the effective TREATY_* of its treaty container
    health: int | None = None  # the port of TREATY_HEALTH_ADDR, the plaintext health-only listener

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    def containers(self) -> list[dict]:
        return list(self.pod.get("containers") or [])

    def ports(self) -> dict:
        """{port name or "": [(number, protocol)]} over all containers."""
        out: dict = {}
        for c in self.containers():
            for p in c.get("ports") or []:
                out.setdefault(p.get("name", ""), []).append((p.get("containerPort"), p.get("protocol", "TCP")))
        return out


def _port_list(container: dict) -> str:
    ports = container.get("ports") or []
    return ", ".join(f"{p.get('name', '(unnamed)')}={p.get('containerPort')}" for p in ports) or "none"


def _container_port(container: dict, port: object) -> dict | None:
    for p in container.get("ports") or []:
        if (isinstance(port, str) and p.get("name") == port) or (isinstance(port, int) and not isinstance(port, bool) and p.get("containerPort") == port):
            return p
    return None


def check_selector(w: Workload, err) -> None:
    selector = (w.doc.get("spec") or {}).get("selector")
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        err(w.ref, "spec.selector is empty; it must select the pod template's labels")
    elif not selector_matches(selector, w.labels):
        err(w.ref, f"spec.selector {selector.get('matchLabels') or selector} does not match the pod template's labels {w.labels}")
    for i, spread in enumerate(w.pod.get("topologySpreadConstraints") or []):
        if not selector_matches(spread.get("labelSelector"), w.labels):
            err(w.ref, f"topologySpreadConstraints[{i}].labelSelector {spread.get('labelSelector')} does not select the pod's own labels {w.labels}, so it spreads nothing")


def health_port(container: dict, env: dict, err=None, where: str = "") -> int | None:
    """The port of TREATY_HEALTH_ADDR, the plaintext listener that serves grpc.health.v1 only;
    reports (with `err`) what keeps the kubelet's probes from reaching it."""
    raw = (env.get("TREATY_HEALTH_ADDR") or (None,))[0]
    if not raw:
        if err:
            err(where, "TREATY_HEALTH_ADDR is not set: the kubelet's gRPC probes speak no TLS, so they need treaty's plaintext health-only port")
        return None
    host, _, port = raw.rpartition(":")
    if not port.isdigit():
        if err:
            err(where, f"TREATY_HEALTH_ADDR={raw} is not IP:PORT")
        return None
    number = int(port)
    if err:
        if host not in ("0.0.0.0", "[::]"):
            err(where, f"TREATY_HEALTH_ADDR={raw} listens on {host} only; the kubelet probes the pod's IP, so use 0.0.0.0")
        grpc = _container_port(container, "grpc")
        listen = (env.get("TREATY_LISTEN_ADDR") or ("",))[0].rpartition(":")[2]
        if (grpc is not None and grpc.get("containerPort") == number) or listen == port:
            err(where, f"TREATY_HEALTH_ADDR={raw} is the gRPC port; health needs a port of its own (the gRPC port speaks TLS)")
        elif _container_port(container, number) is None:
            err(where, f"TREATY_HEALTH_ADDR={raw}: port {number} is not a port of container {container.get('name')} (its ports: {_port_list(container)}); declare it, e.g. as `health`")
    return number


def check_probes(w: Workload, container: dict, env: dict, err) -> None:
    """Every probe is native gRPC on the health-only port (TREATY_HEALTH_ADDR), never on the TLS
    gRPC port, which the kubelet's probe cannot speak to."""
    where = f"{w.ref}: container {container.get('name')}"
    health = health_port(container, env, err, where)
    grpc = _container_port(container, "grpc")
    for kind in PROBES:
        probe = container.get(kind)
        if probe is None:
            if kind != "startupProbe":
                err(where, f"has no {kind}")
            continue
        handlers = [h for h in HANDLERS if h in probe]
        if len(handlers) != 1:
            err(where, f"{kind} has {len(handlers)} handlers ({', '.join(handlers) or 'none'}); exactly one is allowed")
            continue
        handler = handlers[0]
        if handler != "grpc":
            err(where, f"{kind} uses {handler}; treaty pods are probed with native gRPC on grpc.health.v1")
        if handler == "exec":
            continue
        port = probe[handler].get("port")
        if handler == "grpc" and not (isinstance(port, int) and not isinstance(port, bool)):
            err(where, f"{kind}: grpc port {port!r} must be a number (named ports are not allowed for gRPC probes)")
        elif _container_port(container, port) is None:
            err(where, f"{kind}: {handler} port {port!r} is not a port of container {container.get('name')} (its ports: {_port_list(container)})")
        elif grpc is not None and _container_port(container, port) is grpc:
            err(where, f"{kind}: {handler} port {port!r} is the TLS gRPC port, which the kubelet's probes cannot speak to; probe the health port{f' {health}' if health else ''} (TREATY_HEALTH_ADDR)")
        elif health is not None and _container_port(container, port).get("containerPort") != health:
            err(where, f"{kind}: {handler} port {port!r} is not the health port {health} (TREATY_HEALTH_ADDR), the only one that serves plaintext grpc.health.v1")
        if handler == "grpc" and probe["grpc"].get("service") not in (None, ""):
            err(where, f"{kind} asks for health of service {probe['grpc']['service']!r}; treaty reports the whole server as \"\"")


def check_resources(w: Workload, container: dict, err) -> None:
    where = f"{w.ref}: container {container.get('name')}"
    resources = container.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    for name in ("cpu", "memory"):
        for what, values in (("requests", requests), ("limits", limits)):
            if name not in values:
                err(where, f"resources.{what}.{name} is not set")
    for name, request in requests.items():
        if name not in limits:
            continue
        try:
            if parse_quantity(request) > parse_quantity(limits[name]):
                err(where, f"resources.requests.{name} {request} is more than resources.limits.{name} {limits[name]}")
        except ValueError as e:
            err(where, f"resources.{name}: {e}")


def _numeric_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_security(w: Workload, container: dict, err) -> None:
    where = f"{w.ref}: container {container.get('name')}"
    pod_sc, sc = w.pod.get("securityContext") or {}, container.get("securityContext") or {}
    for key in ("runAsUser", "runAsGroup"):
        for label, ctx in (("pod", pod_sc), ("container", sc)):
            if key in ctx and not _numeric_id(ctx[key]):
                err(where, f"{label} securityContext.{key} is {ctx[key]!r}; it must be a numeric id (the image has no /etc/passwd)")
    user = sc.get("runAsUser", pod_sc.get("runAsUser"))
    if user is None:
        err(where, "runAsUser is not set; set a numeric non-root user such as 65532")
    elif _numeric_id(user) and user == 0:
        err(where, "runAsUser is 0 (root)")
    if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
        err(where, "runAsNonRoot is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        err(where, "securityContext.allowPrivilegeEscalation is not false")
    if sc.get("readOnlyRootFilesystem") is not True:
        err(where, "securityContext.readOnlyRootFilesystem is not true")
    if sc.get("privileged") is True:
        err(where, "securityContext.privileged is true")
    caps = sc.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        err(where, "securityContext.capabilities.drop does not contain ALL")
    if caps.get("add"):
        err(where, f"securityContext.capabilities.add {caps['add']} gives capabilities back")
    seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        err(where, f"seccompProfile.type is {seccomp!r}; it must be RuntimeDefault")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if w.pod.get(key):
            err(w.ref, f"spec.template.spec.{key} is true")
    if w.pod.get("automountServiceAccountToken") is not False:
        err(w.ref, "spec.template.spec.automountServiceAccountToken is not false; treaty never calls the Kubernetes API")


def check_volumes(w: Workload, container: dict, err) -> None:
    names = {v.get("name") for v in w.pod.get("volumes") or []}
    names |= {(t.get("metadata") or {}).get("name") for t in (w.doc.get("spec") or {}).get("volumeClaimTemplates") or []}
    for m in container.get("volumeMounts") or []:
        if m.get("name") not in names:
            err(f"{w.ref}: container {container.get('name')}", f"volumeMount {m.get('name')!r} at {m.get('mountPath')} names no volume or volumeClaimTemplate (have: {', '.join(sorted(n for n in names if n)) or 'none'})")


def resolve_env(w: Workload, container: dict, configmaps: dict, err) -> dict:
    """Returns the container's environment as {name: (value, where it comes from)}."""
    where = f"{w.ref}: container {container.get('name')}"
    env: dict = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref is None:
            continue
        cm = configmaps.get((w.namespace, ref.get("name")))
        if cm is None:
            if not ref.get("optional"):
                err(where, f"envFrom names ConfigMap {ref.get('name')!r}, which is not in the manifests")
            continue
        prefix = source.get("prefix", "")
        for key, value in (cm.get("data") or {}).items():
            env[prefix + key] = (str(value), f"ConfigMap/{ref.get('name')}")
    for item in container.get("env") or []:
        name = item.get("name")
        if "value" in item:
            env[name] = (str(item["value"]), "env")
        elif ref := (item.get("valueFrom") or {}).get("configMapKeyRef"):
            cm = configmaps.get((w.namespace, ref.get("name")))
            if cm is None or ref.get("key") not in (cm.get("data") or {}):
                if not ref.get("optional"):
                    err(where, f"env {name} reads key {ref.get('key')!r} of ConfigMap {ref.get('name')!r}, which does not exist")
            else:
                env[name] = (str(cm["data"][ref["key"]]), f"ConfigMap/{ref.get('name')}")
        else:
            env[name] = (None, "env")
    return env


def check_runtime_config(w: Workload, container: dict, env: dict, variables: frozenset, err) -> None:
    """Checks the TREATY_* environment against the code and against the pod it runs in."""
    where = f"{w.ref}: container {container.get('name')}"
    for name, (_, source) in sorted(env.items()):
        if name.startswith("TREATY_") and name not in variables:
            err(where, f"{name} (from {source}) is not a variable the code reads (crates/runtime/src/config.rs VARIABLES)")

    listen = (env.get("TREATY_LISTEN_ADDR") or (None,))[0]
    grpc_port = _container_port(container, "grpc")
    if grpc_port is None:
        err(where, f"has no container port named grpc (its ports: {_port_list(container)})")
    if not listen:
        err(where, "TREATY_LISTEN_ADDR is not set: treaty would listen on 127.0.0.1:50051, out of reach of probes and peers")
    else:
        host, _, port = listen.rpartition(":")
        if host not in ("0.0.0.0", "[::]"):
            err(where, f"TREATY_LISTEN_ADDR={listen} listens on {host} only; probes and peers need 0.0.0.0")
        if grpc_port is not None and port != str(grpc_port.get("containerPort")):
            err(where, f"TREATY_LISTEN_ADDR={listen} listens on port {port}, but the grpc container port is {grpc_port.get('containerPort')}")

    data = (env.get("TREATY_DATA_DIR") or (None,))[0]
    mounts = [m for m in container.get("volumeMounts") or [] if not m.get("readOnly")]
    if not data:
        err(where, "TREATY_DATA_DIR is not set: treaty would write ./data on the read-only root filesystem")
    elif not posixpath.isabs(data):
        err(where, f"TREATY_DATA_DIR={data} is relative; use the absolute path of the data volume")
    else:
        norm = posixpath.normpath(data)
        if not any(norm == posixpath.normpath(m.get("mountPath", "")) or norm.startswith(posixpath.normpath(m.get("mountPath", "")).rstrip("/") + "/") for m in mounts):
            err(where, f"TREATY_DATA_DIR={data} is not on a writable volume (writable mounts: {', '.join(m.get('mountPath') for m in mounts) or 'none'}); the root filesystem is read-only")

    drain_raw = (env.get("TREATY_DRAIN_SECONDS") or (None,))[0]
    try:
        drain = int(drain_raw) if drain_raw not in (None, "") else DEFAULT_DRAIN_SECONDS
    except ValueError:
        err(where, f"TREATY_DRAIN_SECONDS={drain_raw} is not a whole number of seconds")
        drain = DEFAULT_DRAIN_SECONDS
    grace = w.pod.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
    if not isinstance(grace, int) or grace < drain + FLUSH_MARGIN_SECONDS:
        err(w.ref, f"terminationGracePeriodSeconds {grace} is not above TREATY_DRAIN_SECONDS {drain} + {FLUSH_MARGIN_SECONDS}s to flush storage: the kubelet would SIGKILL a draining pod")


def service_role(w: Workload, container: dict, graph: dict, err) -> tuple[bool, str | None]:
    """Reads `treaty serve [<name>]` from the container's arguments: (is serve, role or None)."""
    argv = list(container.get("command") or []) + list(container.get("args") or [])
    if argv[:1] in (["/treaty"], ["treaty"]):
        argv = argv[1:]
    if not argv or argv[0] != "serve":
        err(f"{w.ref}: container {container.get('name')}", f"runs {argv!r}, not `treaty serve [service]`")
        return False, None
    rest = argv[1:]
    if not rest:
        return True, None
    if len(rest) != 1 or rest[0] not in graph:
        err(f"{w.ref}: container {container.get('name')}", f"`treaty serve {' '.join(rest)}` names no service (services: {', '.join(sorted(graph))})")
        return False, None
    return True, rest[0]


def check_peers(w: Workload, env: dict, graph: dict, services: dict, workloads: list[Workload], err) -> None:
    """In microservices mode a service must have exactly the TREATY_<PEER>_ADDR of the peers it calls,
    each naming a Service in the manifests that leads to that peer's pods."""
    peer_vars = {f"TREATY_{name.upper()}_ADDR": name for name in graph}
    set_vars = {name for name, (value, _) in env.items() if name in peer_vars and value}
    if w.role is None:
        for var in sorted(set_vars):
            err(w.ref, f"runs every service in one process, so {var} would be ignored; remove it")
        return
    for peer in sorted(graph[w.role]):
        var = f"TREATY_{peer.upper()}_ADDR"
        if var not in set_vars:
            err(w.ref, f"{w.role} calls {peer} (README Services table), but {var} is not set: `treaty serve {w.role}` would refuse to start")
    for var in sorted(set_vars):
        peer = peer_vars[var]
        if peer not in graph[w.role]:
            err(w.ref, f"{var} is set, but {w.role} does not call {peer} (README Services table)")
            continue
        url = env[var][0]
        parts = urlsplit(url)
        host = (parts.hostname or "").split(".")
        svc = services.get((host[1] if len(host) > 1 and host[1] != "svc" else w.namespace, host[0]))
        if parts.scheme != "https" or svc is None:
            err(w.ref, f"{var}={url} is not https://<Service>:<port> of a Service in the manifests" + (
                " (peers speak TLS; plaintext http:// is refused off loopback)" if parts.scheme == "http" else ""))
            continue
        port = parts.port or 443
        sports = [p for p in (svc.get("spec") or {}).get("ports") or [] if p.get("port") == port]
        if not sports:
            err(w.ref, f"{var}={url}: Service {host[0]} has no port {port}")
        svc_selector = (svc.get("spec") or {}).get("selector")
        targets = [
            t for t in workloads
            if svc_selector and selector_matches({"matchLabels": svc_selector}, t.labels)
            and t.namespace == (svc.get("metadata") or {}).get("namespace", "default")
        ]
        if not any(t.role == peer for t in targets):
            err(w.ref, f"{var}={url}: Service {host[0]} does not lead to pods running `treaty serve {peer}`")
