/** Helpers shared by the integration tests' procedure calls. */

/** What the caller of a refused call reads, or null when it was not refused. */
export async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string } | null> {
  try {
    await call;
    return null;
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { code: e.code ?? "?", message: e.message };
  }
}
