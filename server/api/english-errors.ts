import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";

/**
 * The "errors" catalog in English, for what the server words itself: the message of a refused
 * input (server/api/trpc.ts) and the explanation text sent beside its key (failure-explanations.ts),
 * for clients that show only the message. Pages translate the same words from the keys.
 */
export const englishErrors = createTranslator({ locale: "en", messages: MESSAGES.en, namespace: "errors" });
