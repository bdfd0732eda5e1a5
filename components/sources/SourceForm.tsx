"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type ChangeEvent, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterInputs, RouterOutputs } from "../api-types";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { ErrorMessage } from "../ui/ErrorMessage";
import { checkboxClasses, Field, inputClasses, selectClasses } from "../ui/Field";
import { kindLabel, mergeOptions } from "./kinds";

type Source = RouterOutputs["sources"]["list"][number];
/** A source as administrators get it: with its endpoint, username and options. */
type EditableSource = Source & { connection: NonNullable<Source["connection"]> };
type Kind = RouterInputs["sources"]["create"]["kind"];

const NEW_CUSTOMER = "__new__";
const MAX_INTERVAL_MINUTES = 30 * 24 * 60;

/**
 * Add a source (with an existing or new customer) or edit one. Secrets are write-only: the form
 * never shows a stored secret, it can only replace or clear it.
 */
export function SourceForm({
  source,
  defaultCustomerId,
  onDone,
  onCancel,
}: {
  /** The source to edit; without it the form adds one. */
  source?: EditableSource;
  defaultCustomerId?: string;
  onDone: (result: { id: string; name: string; kind?: string }) => void;
  onCancel?: () => void;
}) {
  const editing = source !== undefined;
  const id = useId();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const customers = useQuery({ ...trpc.customers.list.queryOptions(), enabled: !editing });
  const kinds = useQuery(trpc.sources.kinds.queryOptions());

  const [customerChoice, setCustomerChoice] = useState<string | null>(defaultCustomerId ?? null);
  const [newCustomerName, setNewCustomerName] = useState("");
  const [kindChoice, setKindChoice] = useState<Kind | null>(null);
  const [name, setName] = useState(source?.name ?? "");
  const [endpoint, setEndpoint] = useState(source?.connection.endpoint ?? "");
  const [username, setUsername] = useState(source?.connection.username ?? "");
  const [secret, setSecret] = useState("");
  const [clearSecret, setClearSecret] = useState(false);
  const [intervalMinutes, setIntervalMinutes] = useState(String(Math.round((source?.intervalSeconds ?? 3600) / 60)));
  const [enabled, setEnabled] = useState(source?.enabled ?? true);
  const [optionValues, setOptionValues] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(
      Object.entries(source?.connection.options ?? {}).filter(
        (entry): entry is [string, string | boolean] => typeof entry[1] === "string" || typeof entry[1] === "boolean",
      ),
    ),
  );
  const [error, setError] = useState<unknown>(null);

  // Until the user picks, the first customer (or "new customer" when there is none) and the first kind.
  const customerId = customerChoice ?? customers.data?.[0]?.id ?? (customers.data ? NEW_CUSTOMER : "");
  const kind = (editing ? source.kind : (kindChoice ?? kinds.data?.[0]?.kind ?? "")) as Kind | "";
  const kindInfo = kinds.data?.find((k) => k.kind === kind);
  const example = kindInfo?.example;
  const optionFields = kindInfo?.fields ?? [];
  const secretKeyHint = kindInfo?.secret.kind === "private-key" ? kindInfo.secret.hint : undefined;

  const secretProps = {
    id: `${id}-secret`,
    value: secret,
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => setSecret(e.target.value),
    maxLength: 8192,
    disabled: clearSecret,
    "aria-describedby": `${id}-secret-hint`,
  };

  const createCustomer = useMutation(trpc.customers.create.mutationOptions());
  const createSource = useMutation(trpc.sources.create.mutationOptions());
  const updateSource = useMutation(trpc.sources.update.mutationOptions());
  const saving = createCustomer.isPending || createSource.isPending || updateSource.isPending;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const minutes = Number(intervalMinutes);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_INTERVAL_MINUTES) {
      setError(`The interval must be a whole number of minutes between 1 and ${MAX_INTERVAL_MINUTES.toLocaleString("en-US")} (30 days).`);
      return;
    }
    const fields = {
      name: name.trim(),
      endpoint: endpoint.trim(),
      username: username.trim() || null,
      intervalSeconds: minutes * 60,
      enabled,
      options: mergeOptions(source?.connection.options ?? {}, optionFields, optionValues),
    };
    try {
      if (editing) {
        await updateSource.mutateAsync({
          id: source.id,
          ...fields,
          // Absent keeps the stored secret, null clears it, a string replaces it.
          ...(clearSecret ? { secret: null } : secret !== "" ? { secret } : {}),
        });
        onDone({ id: source.id, name: fields.name });
        return;
      }
      if (!kind) {
        setError("Choose the kind of source.");
        return;
      }
      let targetCustomerId = customerId;
      if (customerId === NEW_CUSTOMER) {
        if (!newCustomerName.trim()) {
          setError("Enter the name of the new customer.");
          return;
        }
        const created = await createCustomer.mutateAsync({ name: newCustomerName.trim() });
        targetCustomerId = created.id;
        // If adding the source fails now, a retry uses the customer just created.
        setCustomerChoice(created.id);
        setNewCustomerName("");
        await queryClient.invalidateQueries(trpc.customers.list.queryFilter());
      }
      const created = await createSource.mutateAsync({
        customerId: targetCustomerId,
        kind,
        ...fields,
        secret: secret === "" ? null : secret,
      });
      if (!created) throw new Error("The source was not saved.");
      onDone({ id: created.id, name: fields.name, kind });
    } catch (caught) {
      setError(caught);
    }
  };

  const errorId = `${id}-error`;

  return (
    <form onSubmit={submit} aria-describedby={error ? errorId : undefined} className="space-y-4">
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {editing ? (
          <>
            <div>
              <p className="mb-1 text-xs font-medium text-slate-700 dark:text-slate-300">Customer</p>
              <p className="py-1.5 text-sm text-slate-900 dark:text-slate-100">{source.customerName}</p>
            </div>
            <div>
              <p className="mb-1 text-xs font-medium text-slate-700 dark:text-slate-300">Kind</p>
              <p className="py-1.5 text-sm text-slate-900 dark:text-slate-100">{kindLabel(kinds.data, source.kind)}</p>
            </div>
          </>
        ) : (
          <>
            <Field label="Customer" htmlFor={`${id}-customer`}>
              <select
                id={`${id}-customer`}
                value={customerId}
                onChange={(e) => setCustomerChoice(e.target.value)}
                className={selectClasses}
                disabled={customers.isPending}
                required
              >
                {customers.isPending && <option value="">Loading customers…</option>}
                {customers.data?.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                    {c.isDemo ? " (demo)" : ""}
                  </option>
                ))}
                <option value={NEW_CUSTOMER}>New customer…</option>
              </select>
            </Field>
            {customerId === NEW_CUSTOMER && (
              <Field label="New customer name" htmlFor={`${id}-new-customer`}>
                <input
                  id={`${id}-new-customer`}
                  value={newCustomerName}
                  onChange={(e) => setNewCustomerName(e.target.value)}
                  className={inputClasses}
                  placeholder="e.g. Contoso Ltd"
                  maxLength={200}
                  required
                  autoComplete="organization"
                />
              </Field>
            )}
            <Field label="Kind" htmlFor={`${id}-kind`}>
              <select
                id={`${id}-kind`}
                value={kind}
                onChange={(e) => setKindChoice(e.target.value as Kind)}
                className={selectClasses}
                disabled={kinds.isPending}
                required
              >
                {kinds.isPending && <option value="">Loading…</option>}
                {kinds.data?.map((k) => (
                  <option key={k.kind} value={k.kind}>
                    {k.label}
                  </option>
                ))}
              </select>
            </Field>
          </>
        )}
        <Field label="Source name" htmlFor={`${id}-name`} hint="Unique per customer, e.g. “vCenter Frankfurt”.">
          <input
            id={`${id}-name`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            className={inputClasses}
            maxLength={200}
            required
            autoComplete="off"
          />
        </Field>
        <Field
          label="Endpoint"
          htmlFor={`${id}-endpoint`}
          className="sm:col-span-2"
          hint={example ? `For example: ${example}` : undefined}
        >
          <input
            id={`${id}-endpoint`}
            value={endpoint}
            onChange={(e) => setEndpoint(e.target.value)}
            className={`${inputClasses} font-mono`}
            placeholder={example}
            maxLength={2048}
            required
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
        <Field label="Username" htmlFor={`${id}-username`} hint="Optional; a read-only account is enough.">
          <input
            id={`${id}-username`}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            className={inputClasses}
            maxLength={512}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
        <div>
          <div className="mb-1 flex items-center justify-between gap-2">
            <label htmlFor={`${id}-secret`} className="text-xs font-medium text-slate-700 dark:text-slate-300">
              Password or token
            </label>
            {editing && source.hasSecret && <Badge tone="green">Secret stored</Badge>}
          </div>
          {secretKeyHint ? (
            // A private key is several lines of PEM: a one-line password field would join them.
            <textarea
              {...secretProps}
              className={`${inputClasses} font-mono text-xs`}
              rows={3}
              autoComplete="off"
              spellCheck={false}
            />
          ) : (
            <input {...secretProps} type="password" className={inputClasses} autoComplete="new-password" />
          )}
          <p id={`${id}-secret-hint`} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
            {secretKeyHint ? `${secretKeyHint} ` : ""}
            {editing
              ? "Leave empty to keep the stored secret."
              : "Optional. Stored encrypted and never shown again."}
          </p>
          {editing && source.hasSecret && (
            <label className="mt-1.5 flex items-center gap-2 text-xs text-slate-700 dark:text-slate-300">
              <input
                type="checkbox"
                checked={clearSecret}
                onChange={(e) => {
                  setClearSecret(e.target.checked);
                  if (e.target.checked) setSecret("");
                }}
                className={checkboxClasses}
              />
              Clear stored secret
            </label>
          )}
        </div>
        {optionFields.map((field) =>
          field.type === "checkbox" ? (
            <div key={field.key}>
              <label className="flex items-center gap-2 text-sm text-slate-800 dark:text-slate-200">
                <input
                  type="checkbox"
                  className={checkboxClasses}
                  checked={optionValues[field.key] === true}
                  onChange={(e) => setOptionValues((v) => ({ ...v, [field.key]: e.target.checked }))}
                />
                {field.label}
              </label>
              <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">{field.hint}</p>
            </div>
          ) : (
            <Field key={field.key} label={field.label} htmlFor={`${id}-option-${field.key}`} hint={field.hint}>
              <input
                id={`${id}-option-${field.key}`}
                value={typeof optionValues[field.key] === "string" ? (optionValues[field.key] as string) : ""}
                onChange={(e) => setOptionValues((v) => ({ ...v, [field.key]: e.target.value }))}
                className={inputClasses}
                maxLength={16384}
                autoComplete="off"
                spellCheck={false}
              />
            </Field>
          ),
        )}
        <Field label="Collect every (minutes)" htmlFor={`${id}-interval`} hint="From 1 minute to 30 days (43,200).">
          <input
            id={`${id}-interval`}
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_INTERVAL_MINUTES}
            step={1}
            value={intervalMinutes}
            onChange={(e) => setIntervalMinutes(e.target.value)}
            className={`${inputClasses} tabular-nums`}
            required
          />
        </Field>
        <div className="flex items-start pt-6">
          <label className="flex items-center gap-2 text-sm text-slate-800 dark:text-slate-200">
            <input
              type="checkbox"
              checked={enabled}
              onChange={(e) => setEnabled(e.target.checked)}
              className={checkboxClasses}
            />
            Enabled (collect on schedule)
          </label>
        </div>
      </div>

      {error != null && (
        <div id={errorId}>
          <ErrorMessage title={editing ? "Could not save the source" : "Could not add the source"} error={error} />
        </div>
      )}

      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" busy={saving}>
          {editing ? "Save changes" : "Add source"}
        </Button>
        {onCancel && (
          <Button onClick={onCancel} disabled={saving}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
