"use client";
import { useMutation } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import { MIN_PASSWORD_LENGTH } from "../auth/auth-errors";
import { describeFormError } from "../auth/form-errors";
import { pluralize } from "../format";
import { Button } from "../ui/Button";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Field, inputClasses } from "../ui/Field";
import type { User } from "./UserForm";

/** An administrator sets a new password for a user, who is signed out everywhere and loses their API tokens. */
export function SetPasswordForm({
  user,
  onDone,
  onCancel,
}: {
  user: User;
  onDone: (message: string) => Promise<void> | void;
  onCancel: () => void;
}) {
  const id = useId();
  const trpc = useTRPC();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const setPasswordMutation = useMutation(trpc.users.setPassword.mutationOptions());

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    setPasswordMutation.reset();
    if (password.length < MIN_PASSWORD_LENGTH) {
      setProblem(`The password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
      return;
    }
    if (password !== confirm) {
      setProblem("The two passwords differ. Type the same password in both fields.");
      return;
    }
    try {
      const { sessionsEnded, tokensRevoked } = await setPasswordMutation.mutateAsync({ id: user.id, password });
      onDone(
        `Set a new password for ${user.email}. They were signed out everywhere (${pluralize(sessionsEnded, "session")} ended), ` +
          `${pluralize(tokensRevoked, "API token")} revoked, and they sign in with the new password.`,
      );
    } catch {
      // Shown from the mutation's error below.
    }
  }

  const error = problem ?? (setPasswordMutation.error ? describeFormError(setPasswordMutation.error) : null);
  return (
    <form onSubmit={submit} className="space-y-4">
      <p className="text-sm text-slate-600">
        {user.name || user.email} is signed out everywhere, their API tokens are revoked (scripts need a new one), and
        they sign in with this password from now on.
        {user.accounts.some((a) => a.providerId !== "credential") && " Single sign-on keeps working for them."}
      </p>
      <input type="text" name="username" autoComplete="off" hidden readOnly value={user.email} />
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="New password" htmlFor={`${id}-password`} hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}>
          <input
            id={`${id}-password`}
            type="password"
            required
            maxLength={256}
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            className={inputClasses}
          />
        </Field>
        <Field label="Confirm the new password" htmlFor={`${id}-confirm`}>
          <input
            id={`${id}-confirm`}
            type="password"
            required
            autoComplete="new-password"
            value={confirm}
            onChange={(event) => setConfirm(event.target.value)}
            className={inputClasses}
          />
        </Field>
      </div>
      {error && <ErrorMessage title="The password was not set" error={error} />}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" busy={setPasswordMutation.isPending}>
          Set password
        </Button>
        <Button onClick={onCancel} disabled={setPasswordMutation.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
