"""The emulated kubelet's images (cluster.py): an image it was given a local template for (`--image`)
is that template; any other is pulled from its registry as a kubelet would, with skopeo and umoci
(hutchd.runtime.images, as the local backend pulls) and the credentials of the pod's
imagePullSecrets, into a local template it runs the agent in, once per image (removed when the
cluster stops). A pod whose imagePullPolicy is Always has the registry asked again, with its own
credentials, whether it may have a cached image (a manifest lookup).

A failed pull is reported as a real kubelet does: the container waits with ErrImagePull and the
registry's words. An image without python3 cannot run the agent (the container's command): the pod
fails with StartError and the runtime's "executable file not found" message.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client

from hutchd.runtime import TemplateBuildError, TemplateStore, images


class ContainerTrouble(Exception):
    """Why the pod's container cannot run, as the pod's status says it."""

    def __init__(self, phase: str, state: dict[str, Any]) -> None:
        super().__init__(json.dumps(state))
        self.phase = phase
        self.state = state


class Images:
    def __init__(self, core: client.CoreV1Api, templates: TemplateStore, namespace: str, given: dict[str, str],
                 work: Path) -> None:  # fmt: skip
        self.core = core
        self.templates = templates
        self.namespace = namespace
        self.given = given
        self.work = work
        self.pulled: dict[str, str] = {}  # image -> local template
        self.locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def template(self, pod: Any) -> tuple[str, dict[str, str]]:
        """The local template the pod's container runs in, and its image's ENV."""
        container = pod.spec.containers[0]
        image = container.image
        if image in self.given:
            return self.given[image], {}
        login = await self._login(pod, images.registry_of(image))
        async with self.locks[image]:
            if image not in self.pulled:
                self.pulled[image] = await self._pull(image, login)
            elif container.image_pull_policy == "Always":
                await self._check_access(image, login)
        template_id = self.pulled[image]
        env = self.templates.meta(template_id).get("env")
        return template_id, dict(env) if isinstance(env, dict) else {}

    async def _login(self, pod: Any, registry: str) -> images.Login | None:
        for ref in pod.spec.image_pull_secrets or []:
            secret = await self.core.read_namespaced_secret(ref.name, self.namespace)
            config = json.loads(base64.b64decode(secret.data[".dockerconfigjson"]))
            entry = config.get("auths", {}).get(registry)
            if entry is not None:
                return images.Login(entry["username"], entry["password"])
        return None

    async def _pull(self, image: str, login: images.Login | None) -> str:
        template_id = "kubelet-" + hashlib.sha256(image.encode()).hexdigest()[:24]
        work = images.scratch_dir(self.work)
        try:
            rootfs = await asyncio.to_thread(images.pull, image, work, lambda line: None, login)
            env = images.image_env(work)
            with contextlib.suppress(Exception):  # a pull of another run of this image, left behind
                await asyncio.to_thread(self.templates.delete, template_id)
            await asyncio.to_thread(self.templates.add_rootfs, template_id, rootfs, {"image": image, "env": env})
        except TemplateBuildError as e:
            if "has no python3" in str(e):
                raise ContainerTrouble("Failed", {"terminated": {
                    "reason": "StartError", "exitCode": 128,
                    "message": 'failed to create containerd task: exec: "python3": executable file not found in $PATH',
                }}) from None  # fmt: skip
            raise ContainerTrouble("Pending", {"waiting": {"reason": "ErrImagePull", "message": str(e)}}) from None
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)
        return template_id

    async def _check_access(self, image: str, login: images.Login | None) -> None:
        argv = ["skopeo", "inspect", "--raw"]
        work = images.scratch_dir(self.work)
        try:
            if images.is_loopback(images.registry_of(image)):
                argv.append("--tls-verify=false")
            if login is not None:
                argv.append(f"--authfile={images.auth_file(work, images.registry_of(image), login)}")
            proc = await asyncio.create_subprocess_exec(
                *argv, f"docker://{image}", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            _, err = await proc.communicate()
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)
        if proc.returncode != 0:
            message = err.decode(errors="replace").strip()[-500:]
            raise ContainerTrouble("Pending", {"waiting": {"reason": "ErrImagePull", "message": message}})

    def remove_all(self) -> None:
        for template_id in self.pulled.values():
            with contextlib.suppress(Exception):
                self.templates.delete(template_id)
        self.pulled.clear()
