"""The Kubernetes backend: a Pod per sandbox (see backend.py)."""

from hutchd.backends.kubernetes.backend import KubernetesBackend
from hutchd.backends.kubernetes.manifests import PodSettings

__all__ = ["KubernetesBackend", "PodSettings"]
