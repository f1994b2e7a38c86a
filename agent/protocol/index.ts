/** The agent protocol, shared by the guest agent and the host's guest channel hub. */
export { base64Length, clip, LIST_MAX, MAX_EXEC_OUTPUT_BYTES, MAX_FILE_CHUNK_BYTES, TEXT_MAX } from "./bounds";
export { AgentClient, UNSOLICITED_LINE_MAX } from "./client";
export type { AgentClientEvents, AgentClientOptions, CallOptions, SyncOptions } from "./client";
export { ErrorCode, errorCodeMeanings, RpcError } from "./errors";
export type { ErrorCodeName, ErrorCodeValue } from "./errors";
export { encodeLine, LineDecoder, lineText, MAX_LINE_BYTES } from "./framing";
export type { DecodedItem } from "./framing";
export * from "./jsonrpc";
export { capabilities, isMethodName, methodNames, methods } from "./methods";
export type { Capability, MethodName, MethodParams, MethodResult, MethodSpec } from "./methods";
export { isNotificationName, notifications } from "./notifications";
export type { NotificationName, NotificationParams, NotificationSpec } from "./notifications";
export type { AgentInfo } from "./schemas/core";
export type { ExecParams, ExecResult } from "./schemas/exec";
export { FREEZE_TIMEOUT_S } from "./schemas/freeze";
// Password and clock (issue 15 item 4).
export { linuxUserName, PASSWORD_HASH_MAX_CHARS, PASSWORD_MAX_CHARS, SYNC_TIME_MAX_MS, SYNC_TIME_MIN_MS } from "./schemas/admin";
export { SERVICE_NAME_PATTERN, serviceActions } from "./schemas/services";
export type { PackageEntry, PackageList, ServiceActionName, ServiceActionResult, ServiceEntry, ServiceList } from "./schemas/services";
export type { DiskUsage, Metrics, NetworkInfo, ProcessEntry, ProcessList, SystemInfo, Telemetry, TelemetryFilesystem, UserSession } from "./schemas/system";
// Self-update (issue 15 item 5).
export { agentVersion, UPDATE_BUNDLE_MAX_BYTES, UPDATE_TRIAL_MS, updateManifest } from "./schemas/update";
export type { AgentUpdateStatus, UpdateManifest } from "./schemas/update";
export { bundleVersion, compareVersions, signedUpdateMessage } from "./update";
export { AGENT_PORT_NAME, PROTOCOL_VERSION } from "./version";
