"""E2B's code interpreter flavour of the sandbox (``hutch.code_interpreter``, as ``e2b_code_interpreter``).

The same sandbox with E2B's ``run_code`` semantics: a run that reaches its ``timeout`` raises
``TimeoutException`` (hutch's own ``run_code`` returns it as the ``error``, hopx's shape), the
default timeout is E2B's 300 s, and sandboxes come from the ``code-interpreter`` template by default
(typescript, r and java besides python, javascript and bash; its python kernel is started at boot).
"""

from __future__ import annotations

from typing import Self, Unpack

from hutch._features.sandboxes import CreateOptions
from hutch.sandbox_async import sandbox
from hutch.sandbox_async.code import AsyncCode
from hutch.sandbox_async.sandbox import AsyncSandboxCreation
from hutch.sandbox_async.transport import AsyncApiClient
from hutch.types import SandboxInfo

DEFAULT_TEMPLATE = "code-interpreter"


class AsyncCodeInterpreterCode(AsyncCode):
    """``sbx.code`` of :class:`AsyncSandbox`: E2B's ``run_code`` semantics."""

    e2b = True


class AsyncSandbox(sandbox.AsyncSandbox):
    """A sandbox whose ``run_code`` behaves as E2B code interpreter's (see the module)."""

    code: AsyncCodeInterpreterCode
    default_template = DEFAULT_TEMPLATE

    def __init__(self, info: SandboxInfo, api: AsyncApiClient, owned: bool = False) -> None:
        super().__init__(info, api, owned)
        self.code = AsyncCodeInterpreterCode(self._sandbox_id, api)

    @classmethod
    def create(
        cls, template: str | None = None, timeout: int | None = None, **opts: Unpack[CreateOptions]
    ) -> AsyncSandboxCreation[Self]:
        """As :meth:`hutch.AsyncSandbox.create`, from the ``code-interpreter`` template by default."""
        if template is None and opts.get("template_id") is None:
            template = DEFAULT_TEMPLATE
        return super().create(template, timeout, **opts)
