"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useState, type FormEvent } from "react";
import { authClient } from "@/lib/auth-client";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { QueryError } from "../ui/ErrorMessage";
import { Field, inputClasses } from "../ui/Field";
import { LoadingBlock } from "../ui/Spinner";
import { describeSignInError } from "./auth-errors";
import { PasswordFields, passwordProblem } from "./PasswordFields";
import { describeError } from "../errors";
import { Notice } from "../ui/Notice";

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
    const invalid = passwordProblem(password, confirm);
    if (invalid) {
      setProblem(invalid);
      return;
    }
    let address: string;
    try {
      ({ email: address } = await createFirstAdmin.mutateAsync({ name: name.trim(), email: email.trim(), password }));
    } catch (error) {
      setProblem(describeError(error));
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
      <QueryError className="mx-auto max-w-lg" title="Could not check whether Fleetlens is set up" query={status} />
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
          <Notice tone="error" className="mt-4">
            <p className="whitespace-pre-line">{problem}</p>
            {created && (
              <p className="mt-1">
                <Link href="/login" className="font-medium underline underline-offset-2">
                  Go to the sign-in page
                </Link>
              </p>
            )}
          </Notice>
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
          <PasswordFields
            id={id}
            password={password}
            confirm={confirm}
            onPasswordChange={setPassword}
            onConfirmChange={setConfirm}
            requireMinLength
            disabled={created}
          />
          <Button type="submit" variant="primary" className="w-full" busy={busy} disabled={created && !busy}>
            {signingIn ? "Signing in…" : "Create the administrator"}
          </Button>
        </form>
      </Card>
    </div>
  );
}
