"""Checks of cert-manager `Certificate` objects against the pods that mount their Secrets, when both
are in one input (CI passes an overlay's render followed by its optional/cert-manager render).

What the binary would otherwise find out only at the first call: a service's certificate must carry
exactly one URI SAN, `spiffe://treaty/<service>` (its identity towards its peers) and the client auth
usage; a listener's certificate must name the Service names its peers and clients dial and carry
server auth; the all-in-one's listener must also name 127.0.0.1, where its services call each other.
"""

from __future__ import annotations

from .kube import selector_matches
from .trust import TLS_CERT, TLS_IDENTITY_DIR, secret_key_of

__all__ = ["check_certificates"]

TREATY_LISTENER = "its listener certificate (TREATY_TLS_CERT)"


def _certificate(certs: dict, w, secret: str | None, what: str, err):
    if secret is None:
        return None
    cert = certs.get((w.namespace, secret))
    if cert is None:
        err(w.ref, f"mounts Secret {secret} for {what}, but no Certificate in the manifests issues it (spec.secretName)")
    return cert


def _usages(cert: dict) -> set[str]:
    return set((cert.get("spec") or {}).get("usages") or [])


def _check_identity(cert: dict, service: str, err) -> None:
    spec = cert.get("spec") or {}
    ref = f"Certificate/{cert['metadata']['name']}"
    want = f"spiffe://treaty/{service}"
    uris = list(spec.get("uris") or [])
    if uris != [want]:
        err(ref, f"is {service}'s client identity (Secret {spec.get('secretName')}), so its uris must be exactly [{want}], not {uris}")
    if "client auth" not in _usages(cert):
        err(ref, f"is {service}'s client identity, but its usages {sorted(_usages(cert))} lack `client auth`")


def check_certificates(certificates: list[dict], issuers: list[dict], services: dict, workloads: list, graph: dict, err) -> None:
    certs = {((c.get("metadata") or {}).get("namespace", "default"), (c.get("spec") or {}).get("secretName")): c for c in certificates}
    issuer_names = {((i.get("metadata") or {}).get("namespace", "default"), i["metadata"]["name"]) for i in issuers if i.get("kind") == "Issuer"}
    for c in certificates:
        ref = (c.get("spec") or {}).get("issuerRef") or {}
        ns = (c.get("metadata") or {}).get("namespace", "default")
        if ref.get("kind", "Issuer") == "Issuer" and (ns, ref.get("name")) not in issuer_names:
            err(f"Certificate/{c['metadata']['name']}", f"issuerRef names Issuer {ref.get('name')!r}, which is not in the manifests (namespace {ns})")
    for w in workloads:
        if not w.serves:
            continue
        container = w.containers()[0]
        cert_path = (w.env.get(TLS_CERT) or (None,))[0]
        if not cert_path:
            continue
        listener = _certificate(certs, w, (secret_key_of(w, container, cert_path) or (None,))[0], TREATY_LISTENER, err)
        if listener is not None:
            spec = listener.get("spec") or {}
            ref = f"Certificate/{listener['metadata']['name']}"
            names = set(spec.get("dnsNames") or [])
            for svc in services.values():
                svc_ns = (svc.get("metadata") or {}).get("namespace", "default")
                selector = (svc.get("spec") or {}).get("selector")
                if svc_ns != w.namespace or not selector or not selector_matches({"matchLabels": selector}, w.labels):
                    continue
                name = svc["metadata"]["name"]
                missing = [n for n in (name, f"{name}.{svc_ns}.svc") if n not in names]
                if missing:
                    err(ref, f"is {w.ref}'s listener certificate, but its dnsNames lack {', '.join(missing)}, the name peers and clients dial (Service {name})")
            if "server auth" not in _usages(listener):
                err(ref, f"is {w.ref}'s listener certificate, but its usages {sorted(_usages(listener))} lack `server auth`")
            if w.role is None and "127.0.0.1" not in (spec.get("ipAddresses") or []):
                err(ref, f"is the all-in-one {w.ref}'s listener certificate, but its ipAddresses lack 127.0.0.1, where its four services call each other")
            if w.role is not None:
                _check_identity(listener, w.role, err)
        identities = (w.env.get(TLS_IDENTITY_DIR) or (None,))[0]
        if w.role is None and identities:
            for service in sorted(graph):
                found = secret_key_of(w, container, f"{identities.rstrip('/')}/{service}.crt")
                cert = _certificate(certs, w, found[0] if found else None, f"{service}'s identity", err)
                if cert is not None:
                    _check_identity(cert, service, err)

