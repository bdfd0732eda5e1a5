"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { authClient } from "@/lib/auth-client";
import { useTRPC } from "@/lib/trpc";
import { describeError } from "../errors";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { Field, inputClasses } from "../ui/Field";
import { describePasswordChangeError, MIN_PASSWORD_LENGTH } from "./auth-errors";

/** Change your own password; every other session of yours is signed out and your API tokens are revoked. */
export function ChangePasswordForm({ email }: { email?: string }) {
  const id = useId();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setDone(false);
    if (next.length < MIN_PASSWORD_LENGTH) {
      setError(`The new password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
      return;
    }
    if (next !== confirm) {
      setError("The new password and its confirmation differ. Type the same password in both fields.");
      return;
    }
    if (next === current) {
      setError("The new password is the same as the current one. Choose another.");
      return;
    }
    setBusy(true);
    try {
      const result = await authClient.changePassword({
        currentPassword: current,
        newPassword: next,
        revokeOtherSessions: true,
      });
      if (result.error) {
        setError(describePasswordChangeError(result.error, MIN_PASSWORD_LENGTH));
        return;
      }
      // The server revoked the API tokens: the list shows it.
      void queryClient.invalidateQueries(trpc.account.apiTokens.queryFilter());
      setCurrent("");
      setNext("");
      setConfirm("");
      setDone(true);
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card as="section" className="p-4">
      <h2 className="text-base font-semibold">Change your password</h2>
      <p className="mt-1 text-sm text-slate-600">
        You stay signed in here; everywhere else you are signed out and must sign in with the new password. Your API
        tokens are revoked too: create new ones for your scripts.
      </p>
      {error && (
        <p role="alert" className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {done && (
        <p role="status" className="mt-3 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
          Your password was changed. Your other sessions were signed out and your API tokens revoked.
        </p>
      )}
      <form onSubmit={submit} className="mt-4 grid max-w-md gap-4">
        {/* Lets password managers tie the new password to the account. */}
        <input type="text" name="username" autoComplete="username" hidden readOnly value={email ?? ""} />
        <Field label="Current password" htmlFor={`${id}-current`}>
          <input
            id={`${id}-current`}
            type="password"
            required
            autoComplete="current-password"
            value={current}
            onChange={(event) => setCurrent(event.target.value)}
            className={inputClasses}
          />
        </Field>
        <Field
          label="New password"
          htmlFor={`${id}-new`}
          hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
          hintId={`${id}-new-hint`}
        >
          <input
            id={`${id}-new`}
            type="password"
            required
            maxLength={256}
            autoComplete="new-password"
            aria-describedby={`${id}-new-hint`}
            value={next}
            onChange={(event) => setNext(event.target.value)}
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
        <div>
          <Button type="submit" variant="primary" busy={busy}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}
