/**
 * What each audited action is called in the audit page, in a sysadmin's words: the tRPC path
 * (`vms.power`) is what the log stores; this is what people read and choose from. An action
 * missing here (added after this table) still reads as words, from its path. Client-safe: no imports.
 * The audit page shows these through its catalog (audit.actions, keyed by the path with "_" for "."):
 * this English table is what the catalog test holds it to.
 */
export const ACTION_LABELS: Readonly<Record<string, string>> = {
  "auth.login": "Sign in",
  "auth.logout": "Sign out",
  "auth.changePassword": "Change own password",
  "auth.setLocale": "Change own language",
  "auth.endSession": "End a session",
  "auth.signOutEverywhere": "Sign out everywhere",
  "refused.signedOut": "Refused: not signed in",
  "setup.createAdmin": "Create the first admin",
  "users.create": "Add a user",
  "users.update": "Change a user's role or grants",
  "users.setDisabled": "Disable or enable a user",
  "users.delete": "Delete a user",
  "users.resetPassword": "Reset a user's password",
  "vms.power": "VM power (start, shut down, reboot, force off…)",
  "vms.delete": "Delete a VM",
  "vms.setAutostart": "VM start with host",
  "vms.rename": "Rename a VM",
  "vms.setResources": "Change a VM's vCPUs or memory",
  "vms.setCpu": "Change a VM's processor model",
  "vms.setDescription": "Change a VM's title or description",
  "vms.setTags": "Change a VM's tags",
  "vms.create": "Create a VM",
  "vms.clone": "Clone a VM",
  "vms.batch": "Act on several VMs at once",
  "vms.importXml": "Import a VM from XML",
  "vms.addAgentChannels": "Add guest agent channels",
  "nics.add": "Add a network card to a VM",
  "nics.remove": "Remove a network card from a VM",
  "nics.setSource": "Move a VM's network card to another network or bridge",
  "nics.setLink": "Plug or unplug a VM's network cable (link up/down)",
  "storage.definePool": "Add a storage pool",
  "storage.buildPool": "Build a storage pool",
  "storage.startPool": "Start a storage pool",
  "storage.stopPool": "Stop a storage pool",
  "storage.refreshPool": "Refresh a storage pool",
  "storage.setPoolAutostart": "Storage pool start at boot",
  "storage.deletePool": "Delete a storage pool",
  "storage.createVolume": "Create a volume",
  "storage.deleteVolume": "Delete a volume",
  "storage.resizeVolume": "Resize a volume",
  "storage.attachDisk": "Attach a disk to a VM",
  "storage.detachDisk": "Detach a disk from a VM",
  "storage.attachNewDisk": "Create a volume and attach it to a VM",
  "storage.growDisk": "Grow a VM's disk",
  "storage.changeMedia": "Insert or eject a VM's CD-ROM",
  "storage.setBootOrder": "Change a VM's boot order",
  "storage.startUpload": "Start an upload into a storage pool",
  "storage.downloadFromUrl": "Download an image from a URL into a storage pool",
  "storage.cancelTransfer": "Cancel an upload or download",
  "networks.create": "Add a network",
  "networks.start": "Start a network",
  "networks.stop": "Stop a network",
  "networks.setAutostart": "Network start at boot",
  "networks.delete": "Delete a network",
  "snapshots.create": "Take a snapshot",
  "snapshots.revert": "Revert to a snapshot",
  "snapshots.delete": "Delete a snapshot",
  "guest.exec": "Run a command in a guest",
  "guest.fileRead": "Read a file in a guest",
  "guest.fileWrite": "Write a file in a guest",
  "guest.fileRename": "Rename a file in a guest (an upload put in place)",
  "guest.fileRemove": "Remove a file in a guest",
  "guest.qgaFileRead": "Read a file in a guest through qemu-guest-agent",
  "guest.qgaFileWrite": "Write a file in a guest through qemu-guest-agent",
  "guest.shutdown": "Shut down through the guest agent",
  "guest.reboot": "Reboot through the guest agent",
  "consoles.ticket": "Open a VM console",
  "consoles.open": "Connect to a VM console",
  "consoles.addVnc": "Add a VNC display to a VM",
  "metrics.setRetention": "Change how long metrics history is kept",
  "alerts.createRule": "Add an alert rule",
  "alerts.updateRule": "Change an alert rule",
  "alerts.enableRule": "Enable or disable an alert rule",
  "alerts.deleteRule": "Delete an alert rule",
  "alerts.acknowledge": "Acknowledge an alert",
  "alerts.silence": "Silence alerts",
  "alerts.endSilence": "End an alert silence",
  "insights.recompute": "Recompute the insights",
  "metricsTokens.create": "Create a Prometheus scrape token",
  "metricsTokens.revoke": "Revoke a Prometheus scrape token",
  "tasks.cancel": "Cancel a task",
  "notifications.createWebhook": "Add a webhook for alerts",
  "notifications.updateWebhook": "Change a webhook for alerts",
  "notifications.createEmailList": "Add an e-mail list for alerts",
  "notifications.updateEmailList": "Change an e-mail list for alerts",
  "notifications.deleteChannel": "Delete an alert webhook or e-mail list",
  "notifications.setRuleChannels": "Choose where an alert rule notifies",
  "notifications.setSmtp": "Change the SMTP settings for alert e-mail",
  "notifications.testEmail": "Send a test e-mail",
  "backups.setTarget": "Mark a pool as a backup target",
  "backups.removeTarget": "Stop using a pool as a backup target",
  "backups.create": "Back up a VM",
  "backups.verify": "Verify a backup",
  "backups.restore": "Restore a backup as a new VM",
  "backups.restoreOver": "Restore a backup over its VM",
  "backups.delete": "Delete a backup",
  "schedules.create": "Create a schedule",
  "schedules.update": "Change a schedule",
  "schedules.delete": "Delete a schedule",
  "schedules.runNow": "Run a schedule now",
  "schedules.setHostConcurrency": "Change how many VMs of a host schedules act on at once",
};

/** The areas an action path starts with, for "any action on …" choices. */
export const ACTION_AREAS: Readonly<Record<string, string>> = {
  auth: "Sign-in and sessions",
  users: "Users",
  vms: "VMs",
  nics: "VM network cards",
  storage: "Storage",
  networks: "Networks",
  snapshots: "Snapshots",
  guest: "Inside guests",
  consoles: "Consoles",
  metrics: "Metrics",
  alerts: "Alerts",
  metricsTokens: "Prometheus scrape tokens",
  tasks: "Tasks",
  notifications: "Alert notifications",
  backups: "Backups",
  schedules: "Schedules",
};

/** An audited action in words: from the table, else from its path ("storage.uploadVolume" → "Storage: upload volume"). */
export function actionLabel(action: string): string {
  const known = ACTION_LABELS[action];
  if (known) return known;
  const [area = "", ...rest] = action.split(".");
  const verb = rest
    .join(" ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
  const areaWords = ACTION_AREAS[area] ?? area;
  return verb ? `${areaWords}: ${verb}` : areaWords || action;
}

/** An action filter the audit page accepts: an action path, or an area followed by a dot (every action in it). */
export const ACTION_FILTER_PATTERN = /^[a-z][A-Za-z]*(\.[A-Za-z]+)?\.?$/;
