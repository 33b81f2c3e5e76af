"""``AsyncTemplate``: E2B's Template builder plus the calls that build templates and manage them."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Unpack

from hutch._features import templates
from hutch._features.templates import (
    BuildInfo,
    BuildOptions,
    LogEntry,
    LogEntryEnd,
    LogEntryStart,
    TemplateBase,
    TemplateBuildStatus,
    TemplateBuildStatusResponse,
    TemplateClass,
    TemplateInfo,
)
from hutch.config import ConnectionOpts, split_connection_opts
from hutch.exceptions import BuildException
from hutch.sandbox_async import _backend
from hutch.sandbox_async.transport import AsyncApiClient

LOGS_REFRESH = 0.2  # seconds between two looks at a running build


class AsyncTemplate(TemplateBase):
    """A template to build (``AsyncTemplate().from_template("base").pip_install("httpx")``) and the calls
    that build and manage templates: ``await AsyncTemplate.build(template, alias="my-env")``."""

    @classmethod
    async def build(
        cls,
        template: TemplateClass,
        name: str | None = None,
        *,
        on_build_logs: Callable[[LogEntry], Any] | None = None,
        **opts: Unpack[BuildOptions],
    ) -> BuildInfo:
        """Build the template on the server and wait for it; ``on_build_logs`` gets each log entry as
        it comes. A failed step raises ``BuildException`` with the step, its exit code and the tail
        of its output."""
        if on_build_logs is not None:
            await _backend.fire([(on_build_logs, LogEntryStart(datetime.now(UTC), "debug", "Build started"))])
        try:
            async with AsyncApiClient.from_opts(split_connection_opts(dict(opts))) as api:
                info = await cls._start(api, template, name, opts)
                await cls._follow(api, info, on_build_logs)
                return info
        finally:
            if on_build_logs is not None:
                await _backend.fire([(on_build_logs, LogEntryEnd(datetime.now(UTC), "debug", "Build finished"))])

    @classmethod
    async def build_in_background(
        cls, template: TemplateClass, name: str | None = None, **opts: Unpack[BuildOptions]
    ) -> BuildInfo:
        """Start the build and return at once; follow it with :meth:`get_build_status`."""
        async with AsyncApiClient.from_opts(split_connection_opts(dict(opts))) as api:
            return await cls._start(api, template, name, opts)

    @staticmethod
    async def _start(api: AsyncApiClient, template: TemplateClass, name: str | None, opts: BuildOptions) -> BuildInfo:
        body, uploads = templates.serialize(template, name, opts)
        for files in uploads:
            await api.call(templates.upload(files))
        info = await api.call(templates.start_build(body))
        info.tags = list(opts.get("tags") or [])
        return info

    @staticmethod
    async def _follow(
        api: AsyncApiClient, info: BuildInfo, on_build_logs: Callable[[LogEntry], Any] | None
    ) -> TemplateBuildStatusResponse:
        offset = 0
        while True:
            status = await api.call(templates.build_status(info.template_id, info.build_id, offset))
            offset += len(status.log_entries)
            if on_build_logs is not None:
                await _backend.fire([(on_build_logs, entry) for entry in status.log_entries])
            if status.status == TemplateBuildStatus.READY:
                return status
            if status.status == TemplateBuildStatus.ERROR:
                reason = status.reason.message if status.reason else "the build failed"
                raise BuildException(reason, status.reason)
            await _backend.sleep(LOGS_REFRESH)

    @staticmethod
    async def get_build_status(
        build_info: BuildInfo, logs_offset: int | None = None, **conn: Unpack[ConnectionOpts]
    ) -> TemplateBuildStatusResponse:
        """The build's status, progress (``steps_done`` of ``steps_total``) and log entries from ``logs_offset``."""
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(templates.build_status(build_info.template_id, build_info.build_id, logs_offset))

    @staticmethod
    async def exists(name: str, **conn: Unpack[ConnectionOpts]) -> bool:
        """Whether one of your templates (or a built-in one) has this alias."""
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(templates.alias_exists(name))

    alias_exists = exists

    @staticmethod
    async def list(**conn: Unpack[ConnectionOpts]) -> builtins.list[TemplateInfo]:
        """The built-in templates and yours."""
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(templates.list_all())

    @staticmethod
    async def get(template_id: str, **conn: Unpack[ConnectionOpts]) -> TemplateInfo:
        """One template, by ID or alias (``NotFoundException`` if you have none such)."""
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(templates.get(template_id))

    @staticmethod
    async def delete(template_id: str, **conn: Unpack[ConnectionOpts]) -> bool:
        """Delete one of your templates (by ID or alias); False if there was none such."""
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(templates.delete(template_id))
