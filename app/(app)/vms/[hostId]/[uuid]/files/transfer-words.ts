// The Files tab's problems in words: transfer-math.ts and transfers.ts say what went wrong as a
// catalog key and its arguments (they have no words of their own), and these put them into the
// page's language with its translator.
import type { useTranslations } from "next-intl";
import type { NameProblem } from "./transfer-math";
import type { TransferProblem } from "./transfers";

export type FilesTranslator = ReturnType<typeof useTranslations<"vmFiles">>;

export function nameProblemText(t: FilesTranslator, problem: NameProblem): string {
  switch (problem.key) {
    case "dots":
      return t("nameProblem.dots", { name: problem.name });
    case "tooLong":
      return t("nameProblem.tooLong", { max: problem.max });
    default:
      return t(`nameProblem.${problem.key}`);
  }
}

export function transferProblemText(t: FilesTranslator, problem: TransferProblem): string {
  const unknown = t("failed.unknownSha256");
  switch (problem.key) {
    case "cannotRename":
      return t("failed.cannotRename");
    case "uploadMismatch":
      return t("failed.uploadMismatch", { ...problem, receivedSha256: problem.receivedSha256 ?? unknown });
    case "tooMuch":
      return t("failed.tooMuch", problem);
    case "changedWhileRead":
      return t("failed.changedWhileRead", { ...problem, guestSha256: problem.guestSha256 ?? unknown });
  }
}
