"""The project's own checks of its Kubernetes manifests and Dockerfile: what an API server, a kubelet
or the `treaty` binary would only find out at deploy or run time (see deploy/checks/README.md)."""

from .dockerfile import check_dockerfile
from .manifests import check_manifests
from .sources import SourceError, call_graph, treaty_variables

__all__ = ["check_dockerfile", "check_manifests", "call_graph", "treaty_variables", "SourceError"]
