/**
 * Calls in one batched tRPC request. The browser's batch link uses the same number
 * (app/_components/trpc.tsx); a page never needs more than a handful at once.
 */
export const MAX_BATCH_SIZE = 20;
