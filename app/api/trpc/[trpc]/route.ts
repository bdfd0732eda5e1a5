// The production and development servers (server/http/serve.ts) answer /api/trpc themselves,
// without Next.js' request handling; this route is the same handler where Next.js serves it.
import { trpcHandler } from "@/server/api/http";

export const dynamic = "force-dynamic";

export { trpcHandler as GET, trpcHandler as POST };
