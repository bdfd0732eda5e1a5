/**
 * better-auth answers errors as `{ status, code?, message? }` (its client never throws by
 * default). These turn them into sentences for the sign-in and password forms.
 */
import { describeError } from "../errors";

export interface AuthError {
  status?: number;
  code?: string;
  message?: string;
  statusText?: string;
}

const TOO_MANY = "Too many sign-in attempts from this address. Wait a minute, then try again.";

/** Why a sign-in with email and password failed. */
export function describeSignInError(error: AuthError | null | undefined): string {
  if (!error) return "Signing in failed. Try again.";
  if (error.status === 429) return error.message?.trim() || TOO_MANY;
  if (error.status === 401 || error.code === "INVALID_EMAIL_OR_PASSWORD") return "Wrong email or password.";
  if (error.code === "INVALID_EMAIL" || error.code === "VALIDATION_ERROR") return "Enter a valid email address.";
  if (error.status === 403 && /origin/i.test(error.message ?? "")) {
    return "Sign-in was refused because this page is not on Fleetlens's configured address (FLEETLENS_URL). Open Fleetlens at that address.";
  }
  if (error.status !== undefined && error.status >= 500) return "The server could not sign you in. Try again in a moment.";
  return describeError(error.message || error.statusText || "Signing in failed. Try again.");
}

/** Why changing the password failed. */
export function describePasswordChangeError(error: AuthError | null | undefined, minLength: number): string {
  if (!error) return "The password was not changed. Try again.";
  switch (error.code) {
    case "INVALID_PASSWORD":
      return "The current password is wrong.";
    case "PASSWORD_TOO_SHORT":
      return `The new password needs at least ${minLength} characters.`;
    case "PASSWORD_TOO_LONG":
      return "The new password is too long (256 characters at most).";
    case "CREDENTIAL_ACCOUNT_NOT_FOUND":
      return "Your account signs in with single sign-on: it has no Fleetlens password to change.";
  }
  if (error.status === 429) return error.message?.trim() || "Too many attempts. Wait a minute, then try again.";
  if (error.status === 401) return "Your session has ended. Sign in again, then change your password.";
  return describeError(error.message || error.statusText || "The password was not changed. Try again.");
}

/** The shortest password the server accepts (MIN_PASSWORD_LENGTH in server/auth/users.ts). */
export const MIN_PASSWORD_LENGTH = 10;
