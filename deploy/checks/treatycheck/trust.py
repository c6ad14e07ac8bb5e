"""Checks of a treaty pod's side of the trust boundary (DESIGN.md §3): TLS on every listener off
loopback, mTLS between the services, bearer-token issuers, and where the files come from.

Every file setting names a file under the mountPath of a volume that is mounted `readOnly` and backed
by a Secret — or, for public material (certificates, CA bundles, issuers' public keys), a Secret, a
ConfigMap or a ClusterTrustBundle. A private key (`TREATY_TLS_KEY`, the keys in
`TREATY_TLS_IDENTITY_DIR`) comes from a Secret only. The names below are checked against `VARIABLES`
in `crates/runtime/src/config.rs`, so a rename there fails here loudly instead of silently
checking nothing.
"""

from __future__ import annotations

import ipaddress
import posixpath

__all__ = ["check_trust", "TRUST_VARIABLES", "is_loopback", "split_addr"]

TLS_CERT, TLS_KEY = "TREATY_TLS_CERT", "TREATY_TLS_KEY"
TLS_CLIENT_CA, TLS_CA = "TREATY_TLS_CLIENT_CA", "TREATY_TLS_CA"
TLS_IDENTITY_DIR, ISSUER_KEYS = "TREATY_TLS_IDENTITY_DIR", "TREATY_AUTH_ISSUER_KEYS"
LISTEN_ADDR = "TREATY_LISTEN_ADDR"
AUDIT_LOG_KEY, AUDIT_WITNESSES = "TREATY_AUDIT_LOG_KEY", "TREATY_AUDIT_WITNESSES"
# {variable: whether what it names is private}; ISSUER_KEYS and AUDIT_WITNESSES are
# comma-separated lists of files.
FILES = {TLS_CERT: False, TLS_KEY: True, TLS_CLIENT_CA: False, TLS_CA: False, ISSUER_KEYS: False,
         AUDIT_LOG_KEY: True, AUDIT_WITNESSES: False}
LISTS = {ISSUER_KEYS, AUDIT_WITNESSES}
# The Secret the manifests mount the log's signing key from (README "Deploy on Kubernetes").
AUDIT_LOG_KEY_SECRET = "treaty-audit-log-key"
TRUST_VARIABLES = frozenset(FILES) | {TLS_IDENTITY_DIR, LISTEN_ADDR}

PUBLIC_SOURCES = {"Secret", "ConfigMap", "ClusterTrustBundle"}
# Volume source keys, as they appear in a pod's `volumes` and in a projected volume's `sources`.
_SOURCE_KINDS = {"secret": "Secret", "configMap": "ConfigMap", "clusterTrustBundle": "ClusterTrustBundle"}


def split_addr(addr: str) -> tuple[str, str]:
    """(host, port) of `IP:PORT` or `[IPv6]:PORT`."""
    host, _, port = addr.rpartition(":")
    return host.strip("[]"), port


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _volume_files(volume: dict) -> tuple[set[str], dict[str, str] | None]:
    """What a volume is backed by, and {file path: backing kind} when its items name every file
    (None when some source projects all of its keys, which are not known here)."""
    if "projected" in volume:
        sources = (volume.get("projected") or {}).get("sources") or []
    else:
        sources = [{k: v} for k, v in volume.items() if k != "name"]
    kinds: set[str] = set()
    files: dict[str, str] | None = {}
    for source in sources:
        for key, spec in source.items():
            kind = _SOURCE_KINDS.get(key, key)
            kinds.add(kind)
            items = (spec or {}).get("items") if isinstance(spec, dict) else None
            if key in ("secret", "configMap") and items:
                if files is not None:
                    files.update({posixpath.normpath(i.get("path", "")): kind for i in items})
            elif key == "clusterTrustBundle" and (spec or {}).get("path"):
                if files is not None:
                    files[posixpath.normpath(spec["path"])] = kind
            else:
                files = None
    return kinds, files


def _mount_of(container: dict, path: str) -> tuple[dict | None, str]:
    """The volumeMount that holds `path` (the deepest one), and the path inside the volume."""
    best, rel = None, ""
    norm = posixpath.normpath(path)
    for m in container.get("volumeMounts") or []:
        mount = posixpath.normpath(m.get("mountPath") or "/")
        if m.get("subPath"):
            if norm == mount and (best is None or len(mount) > len(posixpath.normpath(best["mountPath"]))):
                best, rel = m, posixpath.normpath(m["subPath"])
        elif norm.startswith(mount.rstrip("/") + "/") or norm == mount:
            if best is None or len(mount) > len(posixpath.normpath(best["mountPath"])):
                best, rel = m, posixpath.relpath(norm, mount)
    return best, rel


def _check_source(w, container: dict, var: str, path: str, private: bool, directory: bool, err) -> dict[str, str] | None:
    """Checks that `path` (a file, or a directory when `directory`) comes from a read-only Secret
    (or, when not `private`, ConfigMap) volume. Returns the volume's known files under `path`."""
    where = f"{w.ref}: container {container.get('name')}"
    want = "a Secret" if private else "a Secret (or a ConfigMap, for public certificates and keys)"
    if not posixpath.isabs(path):
        err(where, f"{var}={path} is relative; name the file in its read-only {want} volume by its absolute path")
        return None
    mount, rel = _mount_of(container, path)
    if mount is None:
        mounts = ", ".join(m.get("mountPath", "?") for m in container.get("volumeMounts") or []) or "none"
        err(where, f"{var}={path} is on no mounted volume (mounts: {mounts}); it would be read from the image: mount {want} read-only there")
        return None
    if rel == "." and not directory:
        err(where, f"{var}={path} is the mountPath of volume {mount.get('name')!r}, a directory; name the file in it")
        return None
    volumes = {v.get("name"): v for v in w.pod.get("volumes") or []}
    volume = volumes.get(mount.get("name"))
    if volume is None:
        claims = {(t.get("metadata") or {}).get("name") for t in (w.doc.get("spec") or {}).get("volumeClaimTemplates") or []}
        kind = "a PersistentVolumeClaim" if mount.get("name") in claims else "no volume"
        err(where, f"{var}={path} is on volume {mount.get('name')!r}, which is {kind}; it must be {want}")
        return None
    if mount.get("readOnly") is not True:
        err(where, f"{var}={path} is on volume {mount.get('name')!r}, which is not mounted readOnly: true")
    kinds, files = _volume_files(volume)
    if files is not None and not directory:
        kind = files.get(rel)
        if kind is None:
            err(where, f"{var}={path}: volume {mount.get('name')!r} holds only {', '.join(sorted(files)) or 'nothing'}, not {rel}")
            return None
        kinds = {kind}
    allowed = {"Secret"} if private else PUBLIC_SOURCES
    if not kinds <= allowed:
        what = ", ".join(sorted(kinds)) or "nothing"
        err(where, f"{var}={path} is on volume {mount.get('name')!r}, backed by {what}; {'a private key' if private else 'it'} must come from {want}")
    if files is None:
        return None
    prefix = "" if rel == "." else rel.rstrip("/") + "/"
    return {p[len(prefix):]: k for p, k in files.items() if p.startswith(prefix)} if directory else files


def check_trust(w, container: dict, env: dict, graph: dict, variables: frozenset, err) -> None:
    """The trust-boundary settings of a `treaty serve [service]` container (`w.role` None: all four)."""
    where = f"{w.ref}: container {container.get('name')}"
    unknown = sorted(TRUST_VARIABLES - variables)
    if unknown:
        err("checker", f"deploy/checks knows {', '.join(unknown)}, which crates/runtime/src/config.rs VARIABLES no longer lists: update deploy/checks/treatycheck/trust.py")
        return
    value = {name: v for name, (v, _) in env.items() if v not in (None, "")}
    listen = value.get(LISTEN_ADDR, "127.0.0.1:50051")
    host, _ = split_addr(listen)
    cert, key = value.get(TLS_CERT), value.get(TLS_KEY)
    if bool(cert) != bool(key):
        err(where, f"{TLS_CERT} and {TLS_KEY} go together, but only {TLS_CERT if cert else TLS_KEY} is set: `treaty serve` refuses to start")
    elif not cert and not is_loopback(host):
        err(where, f"{LISTEN_ADDR}={listen} is not a loopback address, but {TLS_CERT} and {TLS_KEY} are not set: `treaty serve` refuses plaintext off loopback")

    for var, private in FILES.items():
        if var not in value:
            continue
        paths = [p.strip() for p in value[var].split(",")] if var in LISTS else [value[var]]
        for path in paths:
            if not path:
                err(where, f"{var}={value[var]} lists an empty path")
                continue
            _check_source(w, container, var, path, private, False, err)

    runs_audit = w.role in (None, "audit")
    if not runs_audit:
        if AUDIT_LOG_KEY in value:
            err(where, f"{AUDIT_LOG_KEY} is set in a pod that runs {w.role}, not the audit service: only the audit pod may hold the log's signing key (set it in that pod's env, not in the shared ConfigMap)")
        for v in w.pod.get("volumes") or []:
            sources = (v.get("projected") or {}).get("sources") or [] if "projected" in v else [v]
            for source in sources:
                secret = source.get("secret") if isinstance(source, dict) else None
                if isinstance(secret, dict) and secret.get("secretName", secret.get("name")) == AUDIT_LOG_KEY_SECRET:
                    err(where, f"volume {v.get('name')!r} mounts the Secret {AUDIT_LOG_KEY_SECRET} in a pod that runs {w.role}: only the audit pod may hold the log's signing key")

    if not cert or is_loopback(host):
        return
    if runs_audit and AUDIT_LOG_KEY not in value:
        err(where, f"{AUDIT_LOG_KEY} is not set: off loopback `treaty serve` makes no development log key, so the audit service refuses to start; mount the Secret {AUDIT_LOG_KEY_SECRET} (`treaty log keygen`) and name its file")
    callers = sorted(s for s, callees in graph.items() if w.role in callees) if w.role else sorted(graph)
    callees = sorted(graph.get(w.role, ())) if w.role else sorted(graph)
    if callers and TLS_CLIENT_CA not in value:
        err(where, f"{TLS_CLIENT_CA} is not set: no client certificate is trusted, so {', '.join(callers)} cannot authenticate to it as services (mTLS)")
    if callees and TLS_CA not in value:
        reason = (f"it cannot verify the certificates of {', '.join(callees)} (https:// peers)" if w.role else
                  "its four services cannot call each other over TLS, and plaintext is refused off loopback")
        err(where, f"{TLS_CA} is not set: {reason}")
    if ISSUER_KEYS not in value:
        err(where, f"{ISSUER_KEYS} is not set: no bearer token is trusted, so no person or system can record anything")
    if w.role is None:
        identities = value.get(TLS_IDENTITY_DIR)
        if not identities:
            err(where, f"{TLS_IDENTITY_DIR} is not set: one process runs every service, and one certificate ({TLS_CERT}) can name only one of them (spiffe://treaty/<service>)")
            return
        files = _check_source(w, container, TLS_IDENTITY_DIR, identities, True, True, err)
        if files is not None:
            missing = [f"{s}.{ext}" for s in sorted(graph) for ext in ("crt", "key") if f"{s}.{ext}" not in files]
            if missing:
                err(where, f"{TLS_IDENTITY_DIR}={identities} lacks {', '.join(missing)}: each service presents <service>.crt and <service>.key")


def secret_key_of(w, container: dict, path: str) -> tuple[str, str] | None:
    """(Secret name, key) that the file `path` of the container comes from, when that is known:
    a Secret volume (or projected Secret source) with `items`, or a Secret volume without them."""
    mount, rel = _mount_of(container, path)
    if mount is None:
        return None
    volume = {v.get("name"): v for v in w.pod.get("volumes") or []}.get(mount.get("name"))
    if volume is None:
        return None
    sources = (volume.get("projected") or {}).get("sources") or [] if "projected" in volume else [volume]
    for source in sources:
        secret = source.get("secret")
        if not isinstance(secret, dict):
            continue
        name = secret.get("secretName", secret.get("name"))
        items = secret.get("items")
        if not items:
            if "projected" not in volume or len(sources) == 1:
                return name, rel
            continue
        for item in items:
            if posixpath.normpath(item.get("path", "")) == rel:
                return name, item.get("key")
    return None
