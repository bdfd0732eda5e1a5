"use client";
import { useMutation } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import { PasswordFields, passwordProblem } from "../auth/PasswordFields";
import { describeError } from "../errors";
import { pluralize } from "../format";
import { Button } from "../ui/Button";
import { ErrorMessage } from "../ui/ErrorMessage";
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
    const invalid = passwordProblem(password, confirm);
    if (invalid) {
      setProblem(invalid);
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

  const error = problem ?? (setPasswordMutation.error ? describeError(setPasswordMutation.error) : null);
  return (
    <form onSubmit={submit} className="space-y-4">
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {user.name || user.email} is signed out everywhere, their API tokens are revoked (scripts need a new one), and
        they sign in with this password from now on.
        {user.accounts.some((a) => a.providerId !== "credential") && " Single sign-on keeps working for them."}
      </p>
      <input type="text" name="username" autoComplete="off" hidden readOnly value={user.email} />
      <div className="grid gap-4 sm:grid-cols-2">
        <PasswordFields
          id={id}
          label="New password"
          confirmLabel="Confirm the new password"
          password={password}
          confirm={confirm}
          onPasswordChange={setPassword}
          onConfirmChange={setConfirm}
        />
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
