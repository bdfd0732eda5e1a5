/**
 * The V8 flags the web process (serve.ts) runs with: scripts/start.ts starts it with them, and so
 * does bench/app.ts, so that what is measured is what runs.
 *
 * A young generation of 64 MiB semi-spaces instead of Node's 16: the API's answers are short-lived
 * garbage, and with 16 MiB a busy process collected it every 20–25 ms; once it also holds a large
 * customer's whole analysis (about 2 GB for 550,000 workloads, which the verdict and finding tables
 * page through), each of those collections cost 10–15 ms and pushed objects into the old
 * generation, whose full collections then took 2.5 s each. Measured with 20 clients calling
 * analysis.customer with that analysis held (bench fleet, production build): 20 → 14.5 ms of the
 * process per call, the slowest calls 3.3 s → 0.8 s.
 */
export const WEB_PROCESS_FLAGS: readonly string[] = ["--max-semi-space-size=64"];
