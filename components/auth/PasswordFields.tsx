"use client";
import type { ReactNode } from "react";
import { Field, inputClasses } from "../ui/Field";
import { MIN_PASSWORD_LENGTH } from "./auth-errors";

/**
 * A new password and its confirmation (first-run setup, your own password change, an
 * administrator setting a user's password). Two fields side by side or stacked, as the parent
 * lays them out; check them with passwordProblem before sending.
 */
export function PasswordFields({
  id,
  label = "Password",
  confirmLabel = "Confirm the password",
  hint = `At least ${MIN_PASSWORD_LENGTH} characters.`,
  password,
  confirm,
  onPasswordChange,
  onConfirmChange,
  requireMinLength = false,
  disabled,
}: {
  /** Prefix of the fields' ids (useId()). */
  id: string;
  label?: string;
  confirmLabel?: string;
  hint?: ReactNode;
  password: string;
  confirm: string;
  onPasswordChange: (value: string) => void;
  onConfirmChange: (value: string) => void;
  /** Let the browser refuse a short password too (minLength). */
  requireMinLength?: boolean;
  disabled?: boolean;
}) {
  return (
    <>
      <Field label={label} htmlFor={`${id}-password`} hint={hint} hintId={`${id}-password-hint`}>
        <input
          id={`${id}-password`}
          type="password"
          required
          minLength={requireMinLength ? MIN_PASSWORD_LENGTH : undefined}
          maxLength={256}
          autoComplete="new-password"
          aria-describedby={`${id}-password-hint`}
          value={password}
          onChange={(event) => onPasswordChange(event.target.value)}
          className={inputClasses}
          disabled={disabled}
        />
      </Field>
      <Field label={confirmLabel} htmlFor={`${id}-confirm`}>
        <input
          id={`${id}-confirm`}
          type="password"
          required
          autoComplete="new-password"
          value={confirm}
          onChange={(event) => onConfirmChange(event.target.value)}
          className={inputClasses}
          disabled={disabled}
        />
      </Field>
    </>
  );
}

/**
 * Why a new password and its confirmation cannot be sent, or null. `what` names it in the
 * message: "password" (the default) or e.g. "new password".
 */
export function passwordProblem(password: string, confirm: string, what = "password"): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `The ${what} needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password !== confirm) {
    return `${what === "password" ? "The two passwords differ" : `The ${what} and its confirmation differ`}. Type the same password in both fields.`;
  }
  return null;
}
