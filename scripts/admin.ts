/**
 * npm run --silent admin -- unlock <email>
 * npm run --silent admin -- reset-password <email>     (password from FLEETLENS_NEW_PASSWORD or stdin)
 *
 * Account rescue when nobody can sign in: see server/auth/admin-cli.ts.
 * Exit codes: 0 done, 1 not done (no database, no such user, a password too short), 2 wrong usage.
 */
import { AdminUsageError, runAdminCli } from "../server/auth/admin-cli";

/** One line typed on the terminal without echo. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (result: string | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (result === null) reject(new Error("cancelled"));
      else resolve(result);
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === "\r" || character === "\n") return finish(value);
        if (character === "\u0003" || character === "\u0004") return finish(null);
        if (character === "\u007f" || character === "\b") value = value.slice(0, -1);
        else value += character;
      }
    };
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

/** Everything piped in, without the final line break. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return readStdin();
  const first = await promptHidden(prompt);
  const second = await promptHidden("The same password again: ");
  if (first !== second) throw new Error("the two passwords differ; nothing was changed");
  return first;
}

runAdminCli(process.argv.slice(2), { env: process.env, readPassword }).then(
  (output) => process.stdout.write(output, () => process.exit(0)),
  (error: Error) => {
    console.error(error instanceof AdminUsageError && error.message.startsWith("usage:") ? error.message : `admin: ${error.message}`);
    process.exit(error instanceof AdminUsageError ? 2 : 1);
  },
);
