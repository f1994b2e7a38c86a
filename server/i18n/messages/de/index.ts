// One file per area of the dashboard, so each area's words are edited beside each other; the
// namespaces are the files' names (useTranslations("vmDisks")).
import common from "./common.json";
import auth from "./auth.json";
import dashboard from "./dashboard.json";
import errors from "./errors.json";
import vmList from "./vmList.json";
import vmCreate from "./vmCreate.json";
import vm from "./vm.json";
import vmSettings from "./vmSettings.json";
import vmGuest from "./vmGuest.json";
import vmSnapshots from "./vmSnapshots.json";
import vmConsole from "./vmConsole.json";
import vmFiles from "./vmFiles.json";
import vmDisks from "./vmDisks.json";
import vmNetwork from "./vmNetwork.json";
import storage from "./storage.json";
import networks from "./networks.json";
import users from "./users.json";
import audit from "./audit.json";
import settings from "./settings.json";

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
};
