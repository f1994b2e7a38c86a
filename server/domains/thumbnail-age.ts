/**
 * How old a VM's screen thumbnail may be: the server takes at most one screenshot per VM in this
 * time however many viewers ask, and a visible thumbnail asks again after it. Client-safe.
 */
export const THUMBNAIL_MAX_AGE_MS = 10_000;
