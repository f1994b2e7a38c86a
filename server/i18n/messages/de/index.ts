// One file per area of the dashboard, so each area's words are edited beside each other; the
// namespaces are the files' names (useTranslations("vmDisks")).
import common from "./common.json" with { type: "json" };
import auth from "./auth.json" with { type: "json" };
import dashboard from "./dashboard.json" with { type: "json" };
import errors from "./errors.json" with { type: "json" };
import vmList from "./vmList.json" with { type: "json" };
import vmCreate from "./vmCreate.json" with { type: "json" };
import vm from "./vm.json" with { type: "json" };
import vmSettings from "./vmSettings.json" with { type: "json" };
import vmGuest from "./vmGuest.json" with { type: "json" };
import guestAdmin from "./guestAdmin.json" with { type: "json" };
import vmSnapshots from "./vmSnapshots.json" with { type: "json" };
import vmConsole from "./vmConsole.json" with { type: "json" };
import vmFiles from "./vmFiles.json" with { type: "json" };
import vmDisks from "./vmDisks.json" with { type: "json" };
import vmNetwork from "./vmNetwork.json" with { type: "json" };
import storage from "./storage.json" with { type: "json" };
import networks from "./networks.json" with { type: "json" };
import users from "./users.json" with { type: "json" };
import audit from "./audit.json" with { type: "json" };
import settings from "./settings.json" with { type: "json" };
import metrics from "./metrics.json" with { type: "json" };
import alerts from "./alerts.json" with { type: "json" };
import insights from "./insights.json" with { type: "json" };
import tasks from "./tasks.json" with { type: "json" };
import notifications from "./notifications.json" with { type: "json" };
import backups from "./backups.json" with { type: "json" };
import schedules from "./schedules.json" with { type: "json" };
import templates from "./templates.json" with { type: "json" };
import hosts from "./hosts.json" with { type: "json" };
import vmMigrate from "./vmMigrate.json" with { type: "json" };

export default {
  common,
  auth,
  dashboard,
  errors,
  vmList,
  vmCreate,
  vm,
  vmSettings,
  vmGuest,
  guestAdmin,
  vmSnapshots,
  vmConsole,
  vmFiles,
  vmDisks,
  vmNetwork,
  storage,
  networks,
  users,
  audit,
  settings,
  metrics,
  alerts,
  insights,
  tasks,
  notifications,
  backups,
  schedules,
  templates,
  hosts,
  vmMigrate,
};
