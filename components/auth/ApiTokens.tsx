"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { formatDateTime } from "../format";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { ConfirmDialog } from "../ui/ConfirmDialog";
import { EmptyState } from "../ui/EmptyState";
import { ErrorMessage, QueryError } from "../ui/ErrorMessage";
import { Field, inputClasses } from "../ui/Field";
import { RelativeTime } from "../ui/RelativeTime";
import { Skeleton } from "../ui/Spinner";
import { describeError } from "../errors";
import { Notice } from "../ui/Notice";

type Token = RouterOutputs["account"]["apiTokens"][number];
type Created = RouterOutputs["account"]["createApiToken"];

const th = "px-3 py-2 text-left font-semibold whitespace-nowrap";

/** The new token, shown once, with a copy button. */
function NewToken({ created, onDone }: { created: Created; onDone: () => void }) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);

  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied("yes");
    } catch {
      inputRef.current?.select();
      setCopied("failed");
    }
  }

  return (
    <div className="rounded-md border border-amber-300 bg-amber-50 p-4">
      <p className="text-sm font-semibold text-amber-900">Your new token “{created.name}”</p>
      <p id={`${id}-warning`} className="mt-1 text-sm text-amber-900">
        <strong>Copy it now: it will not be shown again.</strong> Fleetlens keeps only a fingerprint of it.
      </p>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-token`} className="sr-only">
          API token
        </label>
        <input
          id={`${id}-token`}
          ref={inputRef}
          readOnly
          value={created.token}
          aria-describedby={`${id}-warning`}
          onFocus={(event) => event.currentTarget.select()}
          className={`${inputClasses} min-w-0 flex-1 font-mono text-xs`}
        />
        <Button variant="primary" onClick={copy}>
          {copied === "yes" ? "Copied" : "Copy"}
        </Button>
        <Button onClick={onDone}>Done</Button>
      </div>
      <p role="status" className="mt-2 text-xs text-amber-900">
        {copied === "yes" && "Copied to the clipboard."}
        {copied === "failed" && "The browser did not allow copying: the token is selected, copy it with Ctrl+C or ⌘C."}
      </p>
      <p className="mt-1 text-xs text-amber-900">
        Send it as <code className="font-mono">Authorization: Bearer {created.prefix}…</code>; it acts as you, with your
        role and customers, until you revoke it.
      </p>
    </div>
  );
}

/** Your API tokens: list, create (shown once), revoke. */
export function ApiTokens() {
  const id = useId();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.account.apiTokens.queryOptions());
  const [name, setName] = useState("");
  const [created, setCreated] = useState<Created | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = () => queryClient.invalidateQueries(trpc.account.apiTokens.queryFilter());
  const create = useMutation(
    trpc.account.createApiToken.mutationOptions({
      onSuccess: async (token) => {
        setCreated(token);
        setName("");
        setNotice(null);
        await refresh();
      },
    }),
  );
  const revoke = useMutation(
    trpc.account.revokeApiToken.mutationOptions({
      onSuccess: async () => {
        if (revoking) setNotice(`Revoked the token “${revoking.name}”: scripts using it are refused from now on.`);
        setRevoking(null);
        await refresh();
      },
    }),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    create.reset();
    create.mutate({ name: name.trim() });
  }

  const list = tokens.data;
  return (
    <Card as="section" className="overflow-hidden">
      <div className="p-4">
        <h2 className="text-base font-semibold">API tokens</h2>
        <p className="mt-1 text-sm text-slate-600">
          For scripts and integrations that read Fleetlens&apos;s API. A token acts as you, with your role and
          customers. Revoke a token you no longer use.
        </p>

        {created ? (
          <div className="mt-4">
            <NewToken created={created} onDone={() => setCreated(null)} />
          </div>
        ) : (
          <form onSubmit={submit} className="mt-4 flex flex-wrap items-end gap-2">
            <Field label="Name of a new token" htmlFor={`${id}-name`} hint="What uses it, e.g. “CMDB sync”." className="w-72">
              <input
                id={`${id}-name`}
                required
                maxLength={100}
                value={name}
                onChange={(event) => setName(event.target.value)}
                className={inputClasses}
              />
            </Field>
            <Button type="submit" variant="primary" busy={create.isPending} className="mb-5">
              Create token
            </Button>
          </form>
        )}
        {create.error && (
          <ErrorMessage className="mt-3" title="The token was not created" error={describeError(create.error)} />
        )}
        {notice && (
          <Notice tone="success" className="mt-3">
            {notice}
          </Notice>
        )}
      </div>

      {list && list.length === 0 ? (
        <EmptyState title="No API tokens" className="border-t border-slate-200">
          Create one above when a script needs to read Fleetlens.
        </EmptyState>
      ) : (
        <div className="relative overflow-x-auto border-t border-slate-200">
          <table className="w-full border-collapse text-sm" aria-label="Your API tokens">
            <thead className="bg-slate-50 text-xs text-slate-600">
              <tr className="border-b border-slate-200">
                <th scope="col" className={th}>Name</th>
                <th scope="col" className={th}>Token</th>
                <th scope="col" className={th}>Created</th>
                <th scope="col" className={th}>Last used</th>
                <th scope="col" className={th}>Status</th>
                <th scope="col" className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {tokens.isPending ? (
                <tr>
                  {Array.from({ length: 6 }, (_, i) => (
                    <td key={i} className="px-3 py-2.5">
                      <Skeleton className="h-4 w-20" />
                    </td>
                  ))}
                </tr>
              ) : tokens.error ? (
                <tr>
                  <td colSpan={6} className="p-4">
                    <QueryError title="Could not load your tokens" query={tokens} />
                  </td>
                </tr>
              ) : (
                list?.map((token) => (
                  <tr key={token.id} className={token.revokedAt ? "text-slate-500" : undefined}>
                    <td className="px-3 py-2 font-medium">{token.name}</td>
                    <td className="px-3 py-2 font-mono text-xs">{token.prefix}…</td>
                    <td className="px-3 py-2 whitespace-nowrap" title={formatDateTime(token.createdAt)}>
                      <RelativeTime date={token.createdAt} />
                    </td>
                    <td className="px-3 py-2 whitespace-nowrap">
                      <RelativeTime date={token.lastUsedAt} never="Never" />
                    </td>
                    <td className="px-3 py-2 whitespace-nowrap">
                      {token.revokedAt ? (
                        <Badge tone="neutral" title={`Revoked ${formatDateTime(token.revokedAt)}`}>
                          Revoked {formatDateTime(token.revokedAt)}
                        </Badge>
                      ) : (
                        <Badge tone="green" dot>
                          Active
                        </Badge>
                      )}
                    </td>
                    <td className="px-3 py-2 text-right">
                      {!token.revokedAt && (
                        <Button
                          size="sm"
                          variant="danger"
                          onClick={() => {
                            revoke.reset();
                            setNotice(null);
                            setRevoking(token);
                          }}
                        >
                          Revoke<span className="sr-only"> {token.name}</span>
                        </Button>
                      )}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      )}

      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the token “${revoking?.name ?? ""}”?`}
        confirmLabel="Revoke token"
        destructive
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
        onCancel={() => setRevoking(null)}
      >
        Scripts that use it ({revoking?.prefix}…) are refused from then on. This cannot be undone: create a new token if
        you need one again.
      </ConfirmDialog>
    </Card>
  );
}
