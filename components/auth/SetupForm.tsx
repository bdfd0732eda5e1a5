"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useState, type FormEvent } from "react";
import { authClient } from "@/lib/auth-client";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Field, inputClasses } from "../ui/Field";
import { LoadingBlock } from "../ui/Spinner";
import { describeSignInError, MIN_PASSWORD_LENGTH } from "./auth-errors";
import { describeFormError } from "./form-errors";

/** First run: create the first administrator, then sign in as them. */
export function SetupForm() {
  const id = useId();
  const trpc = useTRPC();
  const router = useRouter();
  const status = useQuery(trpc.setup.status.queryOptions());
  const createFirstAdmin = useMutation(trpc.setup.createFirstAdmin.mutationOptions());
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [signingIn, setSigningIn] = useState(false);
  const [created, setCreated] = useState(false);

  const setUpAlready = status.data?.needsSetup === false && !created;
  useEffect(() => {
    if (setUpAlready) router.replace("/login");
  }, [setUpAlready, router]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    if (password.length < MIN_PASSWORD_LENGTH) {
      setProblem(`The password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
      return;
    }
    if (password !== confirm) {
      setProblem("The two passwords differ. Type the same password in both fields.");
      return;
    }
    let address: string;
    try {
      ({ email: address } = await createFirstAdmin.mutateAsync({ name: name.trim(), email: email.trim(), password }));
    } catch (error) {
      setProblem(describeFormError(error));
      return;
    }
    setCreated(true);
    setSigningIn(true);
    const result = await authClient.signIn.email({ email: address, password }).catch((error: unknown) => ({
      error: { message: error instanceof Error ? error.message : String(error) },
    }));
    if (result.error) {
      setSigningIn(false);
      setProblem(`Your administrator account was created, but signing in failed: ${describeSignInError(result.error)}`);
      return;
    }
    // A full load: the client router may hold the proxy's redirects from before the sign-in.
    // eslint-disable-next-line @next/next/no-location-assign-relative-destination -- see above
    window.location.assign("/");
  }

  if (status.isPending) return <LoadingBlock label="Checking whether Fleetlens is set up…" />;
  if (status.error) {
    return (
      <ErrorMessage
        className="mx-auto max-w-lg"
        title="Could not check whether Fleetlens is set up"
        error={status.error}
        onRetry={() => void status.refetch()}
        retrying={status.isFetching}
      />
    );
  }
  if (setUpAlready) return <LoadingBlock label="Fleetlens is set up already: going to the sign-in page…" />;

  const busy = createFirstAdmin.isPending || signingIn;
  return (
    <div className="mx-auto mt-8 max-w-md">
      <Card as="section" className="p-6">
        <h1 className="text-xl font-semibold tracking-tight text-slate-900">Set up Fleetlens</h1>
        <p className="mt-1 text-sm text-slate-600">
          Nobody has an account yet. This creates the first administrator: you. Administrators add sources and
          customers and create the accounts of everyone else.
        </p>

        {problem && (
          <div role="alert" className="mt-4 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">
            <p className="whitespace-pre-line">{problem}</p>
            {created && (
              <p className="mt-1">
                <Link href="/login" className="font-medium underline underline-offset-2">
                  Go to the sign-in page
                </Link>
              </p>
            )}
          </div>
        )}

        <form onSubmit={submit} className="mt-5 space-y-4">
          <Field label="Your name" htmlFor={`${id}-name`}>
            <input
              id={`${id}-name`}
              required
              autoFocus
              autoComplete="name"
              maxLength={200}
              value={name}
              onChange={(event) => setName(event.target.value)}
              className={inputClasses}
              disabled={created}
            />
          </Field>
          <Field label="Email" htmlFor={`${id}-email`} hint="You sign in with it.">
            <input
              id={`${id}-email`}
              type="email"
              required
              autoComplete="username"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              className={inputClasses}
              disabled={created}
            />
          </Field>
          <Field
            label="Password"
            htmlFor={`${id}-password`}
            hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
            hintId={`${id}-password-hint`}
          >
            <input
              id={`${id}-password`}
              type="password"
              required
              minLength={MIN_PASSWORD_LENGTH}
              maxLength={256}
              autoComplete="new-password"
              aria-describedby={`${id}-password-hint`}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              className={inputClasses}
              disabled={created}
            />
          </Field>
          <Field label="Confirm the password" htmlFor={`${id}-confirm`}>
            <input
              id={`${id}-confirm`}
              type="password"
              required
              autoComplete="new-password"
              value={confirm}
              onChange={(event) => setConfirm(event.target.value)}
              className={inputClasses}
              disabled={created}
            />
          </Field>
          <Button type="submit" variant="primary" className="w-full" busy={busy} disabled={created && !busy}>
            {signingIn ? "Signing in…" : "Create the administrator"}
          </Button>
        </form>
      </Card>
    </div>
  );
}
