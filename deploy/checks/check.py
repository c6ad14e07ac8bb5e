#!/usr/bin/env python3
"""Checks rendered Kubernetes manifests and deploy/Dockerfile against each other and the code.

    kubectl kustomize deploy/k8s/overlays/prod > prod.yaml
    python3 deploy/checks/check.py prod.yaml [more.yaml ...]

Prints one line per problem, `FILE: Kind/name: message`, and exits 1 if there is any. The TREATY_*
names come from crates/runtime/src/config.rs and who calls whom from README.md's Services table.
A file may also hold cert-manager Certificates (an overlay's render followed by that of
deploy/k8s/optional/cert-manager/<overlay>): they are then checked against the pods that mount
their Secrets (URI SAN, DNS names, usages).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from treatycheck import SourceError, call_graph, check_dockerfile, check_manifests, treaty_variables  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]


def load(path: pathlib.Path) -> list[dict]:
    """The YAML documents of a rendered file, without empty ones."""
    with path.open() as f:
        return [d for d in yaml.safe_load_all(f) if d]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rendered", nargs="*", type=pathlib.Path, help="output of `kubectl kustomize`")
    parser.add_argument("--config-rs", type=pathlib.Path, default=REPO / "crates/runtime/src/config.rs")
    parser.add_argument("--readme", type=pathlib.Path, default=REPO / "README.md")
    parser.add_argument("--dockerfile", type=pathlib.Path, default=REPO / "deploy/Dockerfile")
    args = parser.parse_args(argv)
    try:
        variables = treaty_variables(args.config_rs.read_text())
        graph = call_graph(args.readme.read_text())
    except (OSError, SourceError) as e:
        print(f"check: {e}")
        return 2
    print(f"check: {len(variables)} TREATY_* variables from {args.config_rs.name}; calls: "
          + "; ".join(f"{s} -> {', '.join(sorted(c)) or '-'}" for s, c in sorted(graph.items())))
    problems = 0
    targets = [(args.dockerfile, None)] + [(p, p) for p in args.rendered]
    for path, rendered in targets:
        try:
            errors = check_manifests(load(path), variables, graph) if rendered else check_dockerfile(path.read_text(), variables)
        except (OSError, yaml.YAMLError) as e:
            errors = [f"cannot read: {e}"]
        for e in errors:
            print(f"{path}: {e}")
        print(f"{'ok  ' if not errors else 'FAIL'} {path}" + (f" ({len(errors)} problems)" if errors else ""))
        problems += len(errors)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
