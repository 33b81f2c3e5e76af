"""Contains all the data models used in inputs/outputs"""

from .audit_entry import AuditEntry
from .audit_finding import AuditFinding
from .audit_log import AuditLog
from .audit_policy import AuditPolicy
from .code_context import CodeContext
from .code_context_envs import CodeContextEnvs
from .code_done_event import CodeDoneEvent
from .code_error_event import CodeErrorEvent
from .code_result_event import CodeResultEvent
from .code_result_event_chart import CodeResultEventChart
from .code_result_event_data import CodeResultEventData
from .code_run_request import CodeRunRequest
from .code_run_request_envs import CodeRunRequestEnvs
from .code_stderr_event import CodeStderrEvent
from .code_stdout_event import CodeStdoutEvent
from .command_exit_event import CommandExitEvent
from .command_exit_event_reason import CommandExitEventReason
from .command_request import CommandRequest
from .command_request_envs import CommandRequestEnvs
from .command_start_event import CommandStartEvent
from .command_stderr_event import CommandStderrEvent
from .command_stdout_event import CommandStdoutEvent
from .connect_request import ConnectRequest
from .entry_info import EntryInfo
from .env_masking_policy import EnvMaskingPolicy
from .env_var import EnvVar
from .env_var_value import EnvVarValue
from .env_vars import EnvVars
from .env_vars_patch import EnvVarsPatch
from .env_vars_replacement import EnvVarsReplacement
from .error import Error
from .filesystem_event import FilesystemEvent
from .fork_request import ForkRequest
from .fork_result import ForkResult
from .get_audit_log_decision import GetAuditLogDecision
from .health import Health
from .host_features import HostFeatures
from .injection_defense_policy import InjectionDefensePolicy
from .injection_defense_policy_action import InjectionDefensePolicyAction
from .injection_defense_policy_sensitivity import InjectionDefensePolicySensitivity
from .list_sandboxes_order import ListSandboxesOrder
from .make_dir_request import MakeDirRequest
from .network_update import NetworkUpdate
from .new_code_context import NewCodeContext
from .new_code_context_envs import NewCodeContextEnvs
from .new_sandbox import NewSandbox
from .new_sandbox_envs import NewSandboxEnvs
from .new_sandbox_metadata import NewSandboxMetadata
from .new_sandbox_secrets import NewSandboxSecrets
from .new_snapshot import NewSnapshot
from .new_volume import NewVolume
from .output_dropped_event import OutputDroppedEvent
from .pii_policy import PIIPolicy
from .pii_policy_action import PIIPolicyAction
from .pii_policy_types_item import PIIPolicyTypesItem
from .process_info import ProcessInfo
from .process_info_envs import ProcessInfoEnvs
from .pty_data_event import PtyDataEvent
from .pty_exit_event import PtyExitEvent
from .pty_exit_event_reason import PtyExitEventReason
from .pty_request import PtyRequest
from .pty_request_envs import PtyRequestEnvs
from .pty_size import PtySize
from .rename_request import RenameRequest
from .restore_request import RestoreRequest
from .sandbox_detail import SandboxDetail
from .sandbox_detail_metadata import SandboxDetailMetadata
from .sandbox_lifecycle import SandboxLifecycle
from .sandbox_lifecycle_info import SandboxLifecycleInfo
from .sandbox_lifecycle_on_timeout import SandboxLifecycleOnTimeout
from .sandbox_list import SandboxList
from .sandbox_metric import SandboxMetric
from .sandbox_network import SandboxNetwork
from .sandbox_network_info import SandboxNetworkInfo
from .sandbox_resources import SandboxResources
from .sandbox_secret import SandboxSecret
from .sandbox_volume_mount import SandboxVolumeMount
from .security_policy import SecurityPolicy
from .signal_request import SignalRequest
from .snapshot import Snapshot
from .template import Template
from .template_alias import TemplateAlias
from .template_build import TemplateBuild
from .template_build_reason import TemplateBuildReason
from .template_build_request import TemplateBuildRequest
from .template_build_started import TemplateBuildStarted
from .template_build_status import TemplateBuildStatus
from .template_copy_step import TemplateCopyStep
from .template_env_step import TemplateEnvStep
from .template_env_step_envs import TemplateEnvStepEnvs
from .template_files import TemplateFiles
from .template_gcp_registry import TemplateGcpRegistry
from .template_log_entry import TemplateLogEntry
from .template_log_entry_level import TemplateLogEntryLevel
from .template_registry_login import TemplateRegistryLogin
from .template_run_step import TemplateRunStep
from .template_user_step import TemplateUserStep
from .template_workdir_step import TemplateWorkdirStep
from .timeout_request import TimeoutRequest
from .transformation_rule import TransformationRule
from .transformation_rule_direction import TransformationRuleDirection
from .upload_signed_file_files_body import UploadSignedFileFilesBody
from .volume import Volume
from .volume_entry import VolumeEntry
from .volume_mount import VolumeMount
from .write_files_upload import WriteFilesUpload
from .write_info import WriteInfo

__all__ = (
    "AuditEntry",
    "AuditFinding",
    "AuditLog",
    "AuditPolicy",
    "CodeContext",
    "CodeContextEnvs",
    "CodeDoneEvent",
    "CodeErrorEvent",
    "CodeResultEvent",
    "CodeResultEventChart",
    "CodeResultEventData",
    "CodeRunRequest",
    "CodeRunRequestEnvs",
    "CodeStderrEvent",
    "CodeStdoutEvent",
    "CommandExitEvent",
    "CommandExitEventReason",
    "CommandRequest",
    "CommandRequestEnvs",
    "CommandStartEvent",
    "CommandStderrEvent",
    "CommandStdoutEvent",
    "ConnectRequest",
    "EntryInfo",
    "EnvMaskingPolicy",
    "EnvVar",
    "EnvVarValue",
    "EnvVars",
    "EnvVarsPatch",
    "EnvVarsReplacement",
    "Error",
    "FilesystemEvent",
    "ForkRequest",
    "ForkResult",
    "GetAuditLogDecision",
    "Health",
    "HostFeatures",
    "InjectionDefensePolicy",
    "InjectionDefensePolicyAction",
    "InjectionDefensePolicySensitivity",
    "ListSandboxesOrder",
    "MakeDirRequest",
    "NetworkUpdate",
    "NewCodeContext",
    "NewCodeContextEnvs",
    "NewSandbox",
    "NewSandboxEnvs",
    "NewSandboxMetadata",
    "NewSandboxSecrets",
    "NewSnapshot",
    "NewVolume",
    "OutputDroppedEvent",
    "PIIPolicy",
    "PIIPolicyAction",
    "PIIPolicyTypesItem",
    "ProcessInfo",
    "ProcessInfoEnvs",
    "PtyDataEvent",
    "PtyExitEvent",
    "PtyExitEventReason",
    "PtyRequest",
    "PtyRequestEnvs",
    "PtySize",
    "RenameRequest",
    "RestoreRequest",
    "SandboxDetail",
    "SandboxDetailMetadata",
    "SandboxLifecycle",
    "SandboxLifecycleInfo",
    "SandboxLifecycleOnTimeout",
    "SandboxList",
    "SandboxMetric",
    "SandboxNetwork",
    "SandboxNetworkInfo",
    "SandboxResources",
    "SandboxSecret",
    "SandboxVolumeMount",
    "SecurityPolicy",
    "SignalRequest",
    "Snapshot",
    "Template",
    "TemplateAlias",
    "TemplateBuild",
    "TemplateBuildReason",
    "TemplateBuildRequest",
    "TemplateBuildStarted",
    "TemplateBuildStatus",
    "TemplateCopyStep",
    "TemplateEnvStep",
    "TemplateEnvStepEnvs",
    "TemplateFiles",
    "TemplateGcpRegistry",
    "TemplateLogEntry",
    "TemplateLogEntryLevel",
    "TemplateRegistryLogin",
    "TemplateRunStep",
    "TemplateUserStep",
    "TemplateWorkdirStep",
    "TimeoutRequest",
    "TransformationRule",
    "TransformationRuleDirection",
    "UploadSignedFileFilesBody",
    "Volume",
    "VolumeEntry",
    "VolumeMount",
    "WriteFilesUpload",
    "WriteInfo",
)
