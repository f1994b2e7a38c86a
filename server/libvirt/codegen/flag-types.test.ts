// The flag types the generator derives from the installed libvirt's API
// reference, checked on calls whose enums are known.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { flagTypes, type FlagType } from "./flag-types";
import { loadProtocol } from "./generate";
import { defaultProtocolDir } from "./protocol-dir";

const protocolDir = process.env.KVMM_LIBVIRT_PROTOCOL_DIR || defaultProtocolDir();
const skip =
  protocolDir && existsSync(protocolDir)
    ? false
    : `libvirt protocol files not found (${protocolDir ?? "libvirt0 not installed"}); run scripts/fetch-libvirt-protocol.sh`;

const enums = (...names: string[]): FlagType => ({ kind: "enums", enums: names });
const ZERO: FlagType = { kind: "zero" };

test("each flag parameter takes the enum libvirt documents for it, or only 0", { skip }, async () => {
  const { model, docs } = await loadProtocol(protocolDir!);
  const types = flagTypes(model, docs);
  const typeOf = (param: string) => types.get(`REMOTE_PROC_${param}`) ?? types.get(param);
  // Named after the call ("bitwise-OR of virDomainRebootFlagValues")…
  assert.deepEqual(typeOf("DOMAIN_REBOOT.flags"), enums("virDomainRebootFlagValues"));
  assert.deepEqual(typeOf("DOMAIN_SHUTDOWN_FLAGS.flags"), enums("virDomainShutdownFlagValues"));
  assert.deepEqual(typeOf("DOMAIN_UNDEFINE_FLAGS.flags"), enums("virDomainUndefineFlagsValues"));
  assert.deepEqual(typeOf("CONNECT_LIST_ALL_DOMAINS.flags"), enums("virConnectListAllDomainsFlags"));
  // …or not: the reference is what says it.
  assert.deepEqual(typeOf("DOMAIN_GET_XML_DESC.flags"), enums("virDomainXMLFlags"));
  assert.deepEqual(typeOf("DOMAIN_DEFINE_XML_FLAGS.flags"), enums("virDomainDefineFlags"));
  assert.deepEqual(typeOf("STORAGE_VOL_CREATE_XML_FROM.flags"), enums("virStorageVolCreateFlags"));
  // Two enums documented ("bitwise-OR of virDomainModificationImpact and virTypedParameterFlags").
  assert.deepEqual(typeOf("DOMAIN_GET_MEMORY_PARAMETERS.flags"), enums("virDomainModificationImpact", "virTypedParameterFlags"));
  // An enum restating all of virDomainModificationImpact takes VIR_DOMAIN_AFFECT_* too.
  assert.deepEqual(typeOf("DOMAIN_ATTACH_DEVICE_FLAGS.flags"), enums("virDomainDeviceModifyFlags", "virDomainModificationImpact"));
  assert.deepEqual(typeOf("DOMAIN_SET_VCPUS_FLAGS.flags"), enums("virDomainVcpuFlags", "virDomainModificationImpact"));
  // One restating only some of virDomainXMLFlags (VIR_DOMAIN_SNAPSHOT_XML_SECURE) does not.
  assert.deepEqual(typeOf("DOMAIN_SNAPSHOT_GET_XML_DESC.flags"), enums("virDomainSnapshotXMLFlags"));
  // "extra flags; not used yet, so callers should always pass 0" and its variants.
  for (const param of [
    "DOMAIN_RESET.flags",
    "DOMAIN_GET_STATE.flags",
    "NETWORK_GET_DHCP_LEASES.flags",
    "DOMAIN_INTERFACE_ADDRESSES.flags",
    "NODE_GET_SEV_INFO.flags",
  ]) {
    assert.deepEqual(typeOf(param), ZERO, param);
  }
  // Parameters besides `flags` documented as an OR of an enum.
  assert.deepEqual(typeOf("CONNECT_GET_ALL_DOMAIN_STATS.stats"), enums("virDomainStatsTypes"));
  assert.deepEqual(typeOf("DOMAIN_GET_GUEST_INFO.types"), enums("virDomainGuestInfoTypes"));
  assert.equal(typeOf("DOMAIN_SET_VCPUS_FLAGS.nvcpus"), undefined);
  // From FLAG_TABLE, where the reference is silent or vague.
  assert.deepEqual(typeOf("CONNECT_OPEN.flags"), enums("virConnectFlags"));
  assert.deepEqual(typeOf("QEMU_PROC_DOMAIN_AGENT_COMMAND.flags"), ZERO);
  assert.deepEqual(typeOf("QEMU_PROC_DOMAIN_MONITOR_COMMAND.flags"), enums("virDomainQemuMonitorCommandFlags"));
});
