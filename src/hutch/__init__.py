"""hutch: disposable, isolated Linux sandboxes for AI agents.

.. code-block:: python

    from hutch import Sandbox

    with Sandbox.create() as sbx:
        print(sbx.commands.run("echo hello").stdout)

``AsyncSandbox`` is the same API with ``async``/``await``. The raw generated client is
``hutch_api``.
"""

from hutch._features.code import CodeContextOptions as CodeContextOptions
from hutch._features.code import CodeOptions as CodeOptions
from hutch._features.code import RunCodeOptions as RunCodeOptions
from hutch._features.commands import RunOptions as RunOptions
from hutch._features.git import GitBranches as GitBranches
from hutch._features.git import GitFileStatus as GitFileStatus
from hutch._features.git import GitOptions as GitOptions
from hutch._features.git import GitResetMode as GitResetMode
from hutch._features.git import GitStatus as GitStatus
from hutch._features.network import ALL_TRAFFIC as ALL_TRAFFIC
from hutch._features.pty import PtyOptions as PtyOptions
from hutch._features.sandboxes import CreateOptions as CreateOptions
from hutch._features.signed import get_signature as get_signature
from hutch._version import __version__ as __version__
from hutch.config import ConnectionConfig as ConnectionConfig
from hutch.config import ConnectionOpts as ConnectionOpts
from hutch.config import RetryPolicy as RetryPolicy
from hutch.exceptions import AuthenticationException as AuthenticationException
from hutch.exceptions import CommandExitException as CommandExitException
from hutch.exceptions import CommandTimeoutException as CommandTimeoutException
from hutch.exceptions import ConflictException as ConflictException
from hutch.exceptions import FileNotFoundException as FileNotFoundException
from hutch.exceptions import GitAuthException as GitAuthException
from hutch.exceptions import GitUpstreamException as GitUpstreamException
from hutch.exceptions import GuestUnresponsiveException as GuestUnresponsiveException
from hutch.exceptions import InvalidArgumentException as InvalidArgumentException
from hutch.exceptions import NotEnoughSpaceException as NotEnoughSpaceException
from hutch.exceptions import NotFoundException as NotFoundException
from hutch.exceptions import PermissionDeniedException as PermissionDeniedException
from hutch.exceptions import RateLimitException as RateLimitException
from hutch.exceptions import SandboxError as SandboxError
from hutch.exceptions import SandboxException as SandboxException
from hutch.exceptions import SandboxNotFoundException as SandboxNotFoundException
from hutch.exceptions import SandboxNotRunningException as SandboxNotRunningException
from hutch.exceptions import SandboxUnreachableException as SandboxUnreachableException
from hutch.exceptions import ServiceBusyException as ServiceBusyException
from hutch.exceptions import ServiceUnavailableException as ServiceUnavailableException
from hutch.exceptions import SnapshotNotFoundException as SnapshotNotFoundException
from hutch.exceptions import TemplateException as TemplateException
from hutch.exceptions import TimeoutException as TimeoutException
from hutch.exceptions import VolumeException as VolumeException
from hutch.exceptions import VolumeNotFoundException as VolumeNotFoundException
from hutch.exceptions import VolumePathNotFoundException as VolumePathNotFoundException
from hutch.sandbox_async.cache import AsyncCache as AsyncCache
from hutch.sandbox_async.code import AsyncCode as AsyncCode
from hutch.sandbox_async.commands import AsyncCommands as AsyncCommands
from hutch.sandbox_async.env import AsyncEnvironmentVariables as AsyncEnvironmentVariables
from hutch.sandbox_async.files import AsyncFiles as AsyncFiles
from hutch.sandbox_async.git import AsyncGit as AsyncGit
from hutch.sandbox_async.handles import AsyncCommandHandle as AsyncCommandHandle
from hutch.sandbox_async.handles import AsyncFileStream as AsyncFileStream
from hutch.sandbox_async.handles import AsyncPtyHandle as AsyncPtyHandle
from hutch.sandbox_async.handles import AsyncWatchHandle as AsyncWatchHandle
from hutch.sandbox_async.pty import AsyncPty as AsyncPty
from hutch.sandbox_async.sandbox import AsyncSandbox as AsyncSandbox
from hutch.sandbox_async.sandbox import AsyncSandboxCreation as AsyncSandboxCreation
from hutch.sandbox_async.volume import AsyncVolume as AsyncVolume
from hutch.sandbox_sync.cache import Cache as Cache
from hutch.sandbox_sync.code import Code as Code
from hutch.sandbox_sync.commands import Commands as Commands
from hutch.sandbox_sync.env import EnvironmentVariables as EnvironmentVariables
from hutch.sandbox_sync.files import Files as Files
from hutch.sandbox_sync.git import Git as Git
from hutch.sandbox_sync.handles import CommandHandle as CommandHandle
from hutch.sandbox_sync.handles import FileStream as FileStream
from hutch.sandbox_sync.handles import PtyHandle as PtyHandle
from hutch.sandbox_sync.handles import WatchHandle as WatchHandle
from hutch.sandbox_sync.pty import Pty as Pty
from hutch.sandbox_sync.sandbox import Sandbox as Sandbox
from hutch.sandbox_sync.volume import Volume as Volume
from hutch.types import CodeContext as CodeContext
from hutch.types import CommandResult as CommandResult
from hutch.types import EntryInfo as EntryInfo
from hutch.types import ExecutionError as ExecutionError
from hutch.types import ExecutionResult as ExecutionResult
from hutch.types import FilesystemEvent as FilesystemEvent
from hutch.types import FilesystemEventType as FilesystemEventType
from hutch.types import FileType as FileType
from hutch.types import ProcessInfo as ProcessInfo
from hutch.types import PtySize as PtySize
from hutch.types import Result as Result
from hutch.types import SandboxInfo as SandboxInfo
from hutch.types import SandboxLifecycle as SandboxLifecycle
from hutch.types import SandboxList as SandboxList
from hutch.types import SandboxMetrics as SandboxMetrics
from hutch.types import SandboxNetworkOpts as SandboxNetworkOpts
from hutch.types import SandboxQuery as SandboxQuery
from hutch.types import SandboxResources as SandboxResources
from hutch.types import SandboxState as SandboxState
from hutch.types import Snapshot as Snapshot
from hutch.types import SnapshotInfo as SnapshotInfo
from hutch.types import VolumeEntryStat as VolumeEntryStat
from hutch.types import VolumeInfo as VolumeInfo
from hutch.types import WriteEntry as WriteEntry
from hutch.types import WriteInfo as WriteInfo
