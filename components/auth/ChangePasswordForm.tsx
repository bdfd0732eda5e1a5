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
import { PasswordFields, passwordProblem } from "./PasswordFields";
import { Notice } from "../ui/Notice";

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
    const invalid = passwordProblem(next, confirm, "new password");
    if (invalid) {
      setError(invalid);
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
        <Notice tone="error" className="mt-3">
          {error}
        </Notice>
      )}
      {done && (
        <Notice tone="success" className="mt-3">
          Your password was changed. Your other sessions were signed out and your API tokens revoked.
        </Notice>
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
        <PasswordFields
          id={id}
          label="New password"
          confirmLabel="Confirm the new password"
          password={next}
          confirm={confirm}
          onPasswordChange={setNext}
          onConfirmChange={setConfirm}
        />
        <div>
          <Button type="submit" variant="primary" busy={busy}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}
