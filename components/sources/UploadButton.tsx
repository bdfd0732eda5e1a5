"use client";
import { useRef, useState } from "react";
import { Button } from "../ui/Button";

export interface UploadResult {
  runId: string;
  name: string;
  bytes: number;
}

/**
 * Sends a file to a source collected from uploads (an RVTools export): the file goes as the raw
 * request body, streamed by the browser, to /api/sources/<id>/upload; the server queues a run that
 * imports it. The server's refusal (too large, not an export, not allowed) is shown as it said it.
 */
export function UploadButton({
  sourceId,
  sourceName,
  accept,
  hint,
  disabled,
  onUploaded,
  onError,
}: {
  sourceId: string;
  sourceName: string;
  accept: string;
  hint: string;
  disabled?: boolean;
  onUploaded: (result: UploadResult) => void;
  onError: (message: string) => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);

  const send = async (file: File) => {
    setBusy(true);
    try {
      const response = await fetch(`/api/sources/${sourceId}/upload?name=${encodeURIComponent(file.name)}`, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: file,
      });
      if (!response.ok) {
        const message = (await response.text()).trim();
        onError(message || `the upload failed (HTTP ${response.status})`);
        return;
      }
      onUploaded((await response.json()) as UploadResult);
    } catch (error) {
      onError(`the upload did not reach the server: ${(error as Error).message}`);
    } finally {
      setBusy(false);
      if (input.current) input.current.value = "";
    }
  };

  return (
    <>
      <input
        ref={input}
        type="file"
        accept={accept}
        className="sr-only"
        tabIndex={-1}
        aria-label={`RVTools export for ${sourceName}`}
        data-testid={`upload-${sourceId}`}
        onChange={(event) => {
          const file = event.target.files?.[0];
          if (file) void send(file);
        }}
      />
      <Button size="sm" busy={busy} disabled={disabled || busy} title={`Upload ${hint}`} onClick={() => input.current?.click()}>
        {busy ? "Uploading…" : "Upload export"}
      </Button>
    </>
  );
}
