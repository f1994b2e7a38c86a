import type { QuiesceFn } from "../guest/quiesce-types";

/**
 * The quiesce step the API's backups use. Until the guest quiesce (server/guest/quiesce.ts, fs_freeze
 * through our agent or qemu-ga) is merged into this tree, nothing is frozen and every backup of a
 * running VM is recorded as crash-consistent with this reason — the truth for this build.
 */
export const backupQuiesce: QuiesceFn = async () => ({
  method: "none",
  frozen: [],
  reason: "filesystems were not frozen: this build has no guest quiesce",
  thaw: async () => undefined,
});
