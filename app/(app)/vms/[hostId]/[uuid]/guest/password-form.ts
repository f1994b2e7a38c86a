import { linuxUserName, PASSWORD_MAX_CHARS } from "@/agent/protocol/schemas/admin";

/**
 * The Reset password dialog's own checks, the same rules the server's guest.setPassword input
 * holds (server/api/routers/guest.ts), so a typo is named next to its field before anything is sent.
 */

export interface PasswordForm {
  user: string;
  password: string;
  confirm: string;
}

/** Keys of the guestAdmin.password.errors catalog, by field. */
export interface PasswordFormProblems {
  user?: "userEmpty" | "userInvalid";
  password?: "passwordEmpty" | "passwordTooLong" | "passwordChars";
  confirm?: "confirmMismatch";
}

export function passwordFormProblems(form: PasswordForm): PasswordFormProblems {
  const problems: PasswordFormProblems = {};
  if (!form.user.trim()) problems.user = "userEmpty";
  else if (!linuxUserName.safeParse(form.user.trim()).success) problems.user = "userInvalid";
  if (!form.password) problems.password = "passwordEmpty";
  else if (form.password.length > PASSWORD_MAX_CHARS) problems.password = "passwordTooLong";
  // chpasswd and guest-set-user-password read `user:password` lines.
  else if (/[:\r\n\0]/.test(form.password)) problems.password = "passwordChars";
  if (form.password && form.confirm !== form.password) problems.confirm = "confirmMismatch";
  return problems;
}

export { PASSWORD_MAX_CHARS };
