"""Checks of deploy/Dockerfile: the two runnable stages (`host-binary`, built offline in CI, and the
final one users build from source) must produce the same image, as a numeric non-root user, with
only TREATY_* variables the code reads."""

from __future__ import annotations

import json
import re
import shlex

__all__ = ["check_dockerfile", "HOST_STAGE"]

HOST_STAGE = "host-binary"
RUNTIME_BASES = ("scratch", "gcr.io/distroless/static")
# Instructions that only build; everything else is part of what the image is.
_BUILD_ONLY = {"RUN", "ARG", "SHELL", "COPY", "ADD"}


def _instructions(text: str) -> list[tuple[str, str]]:
    """Returns (INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), " ".join(rest.split())))
        buf = ""
    return out


def _stages(text: str) -> list[dict]:
    stages = []
    for word, args in _instructions(text):
        if word == "FROM":
            m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$", args, re.IGNORECASE)
            stages.append({"base": m[1] if m else args, "name": (m[2] if m else None) or str(len(stages)), "body": []})
        elif stages:
            stages[-1]["body"].append((word, args))
    return stages


def _copy_destinations(body: list) -> list[tuple[str, str]]:
    """(destination, --chown) of each COPY: what the image contains, whatever the source."""
    out = []
    for word, args in body:
        if word == "COPY":
            parts = shlex.split(args)
            chown = next((p.split("=", 1)[1] for p in parts if p.startswith("--chown=")), "")
            out.append((parts[-1].rstrip("/") or "/", chown))
    return out


def _env_names(args: str) -> list[str]:
    parts = shlex.split(args)
    if len(parts) >= 2 and "=" not in parts[0]:
        return [parts[0]]  # legacy `ENV NAME value`
    return [p.split("=", 1)[0] for p in parts]


def check_dockerfile(text: str, variables: frozenset) -> list[str]:
    """Returns one message per problem in the Dockerfile's text (empty when all is well)."""
    errors = []
    stages = _stages(text)
    if not stages:
        return ["Dockerfile: no FROM"]
    by_name = {s["name"]: s for s in stages}
    final = stages[-1]
    runnable = [final] + ([by_name[HOST_STAGE]] if HOST_STAGE in by_name and by_name[HOST_STAGE] is not final else [])
    if HOST_STAGE not in by_name:
        errors.append(f"Dockerfile: no stage named {HOST_STAGE} (the offline build from a host binary)")
    for stage in runnable:
        where = f"Dockerfile stage {stage['name']}"
        if not stage["base"].startswith(RUNTIME_BASES):
            errors.append(f"{where}: FROM {stage['base']}; runnable stages start FROM scratch (or distroless static)")
        users = [args for word, args in stage["body"] if word == "USER"]
        if not users:
            errors.append(f"{where}: no USER; the image would run as root")
        else:
            user, _, group = users[-1].partition(":")
            if not user.isdigit() or (group and not group.isdigit()):
                errors.append(f"{where}: USER {users[-1]} is not numeric; the image has no /etc/passwd, and Kubernetes' runAsNonRoot needs a numeric user")
            elif int(user) == 0 or (group and int(group) == 0):
                errors.append(f"{where}: USER {users[-1]} is root")
        env = {}
        for word, args in stage["body"]:
            if word == "ENV":
                for name in _env_names(args):
                    if name.startswith("TREATY_") and name not in variables:
                        errors.append(f"{where}: ENV {name} is not a variable the code reads (crates/runtime/src/config.rs VARIABLES)")
                env.update(dict(p.split("=", 1) for p in shlex.split(args) if "=" in p))
            if word == "ENTRYPOINT":
                try:
                    json.loads(args)
                except ValueError:
                    errors.append(f"{where}: ENTRYPOINT {args} is not the exec (JSON) form; scratch has no shell")
        exposed = {a.split("/")[0] for word, args in stage["body"] if word == "EXPOSE" for a in args.split()}
        for var in ("TREATY_LISTEN_ADDR", "TREATY_HEALTH_ADDR"):
            port = env.get(var, "").rpartition(":")[2]
            if port and exposed and port not in exposed:
                errors.append(f"{where}: EXPOSE {', '.join(sorted(exposed))} but {var} listens on {port}")
        listen_port = env.get("TREATY_LISTEN_ADDR", "").rpartition(":")[2]
        if listen_port and listen_port == env.get("TREATY_HEALTH_ADDR", "").rpartition(":")[2]:
            errors.append(f"{where}: TREATY_HEALTH_ADDR and TREATY_LISTEN_ADDR share port {listen_port}; health needs a port of its own")
    if len(runnable) == 2:
        a, b = runnable
        image_a = [i for i in a["body"] if i[0] not in _BUILD_ONLY]
        image_b = [i for i in b["body"] if i[0] not in _BUILD_ONLY]
        if image_a != image_b:
            diff = [f"{w} {x}" for w, x in image_a if (w, x) not in image_b] + [f"{w} {x}" for w, x in image_b if (w, x) not in image_a]
            errors.append(f"Dockerfile: stages {a['name']} and {b['name']} differ in their image settings ({'; '.join(diff) or 'order'}); CI tests {HOST_STAGE}, users get {final['name']}")
        if _copy_destinations(a["body"]) != _copy_destinations(b["body"]):
            errors.append(f"Dockerfile: stages {a['name']} and {b['name']} copy different paths or owners: {_copy_destinations(a['body'])} vs {_copy_destinations(b['body'])}")
    return errors
