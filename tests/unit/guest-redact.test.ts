/**
 * Command-line redaction (server/collectors/guest/redact.ts), table-driven: what must go, and the
 * near misses that must stay (a path to a secret, a setting about a secret, the shell's PWD, a client
 * flag that is not a password).
 */
import { describe, expect, it } from "vitest";
import { GUEST_LIMITS } from "../../server/collectors/guest/facts";
import { redactCommandLine } from "../../server/collectors/guest/redact";

const REDACTED: readonly [string, string][] = [
  ["mysql -uroot -phunter2 shop", "mysql -uroot -p[redacted] shop"],
  ["/usr/bin/mysqldump -u backup -pS3cr3t --all-databases", "/usr/bin/mysqldump -u backup -p[redacted] --all-databases"],
  ["app --password=x --password y", "app --password=[redacted] --password [redacted]"],
  ["app --db-password=x --dbpass=y --admin-pass z", "app --db-password=[redacted] --dbpass=[redacted] --admin-pass [redacted]"],
  ["java -Djavax.net.ssl.keyStorePassword=changeit -jar a.jar", "java -Djavax.net.ssl.keyStorePassword=[redacted] -jar a.jar"],
  ["x -password=abc", "x -password=[redacted]"],
  ["docker run -e MYSQL_ROOT_PASSWORD=s3cret mysql:8", "docker run -e MYSQL_ROOT_PASSWORD=[redacted] mysql:8"],
  ["env AWS_SECRET_ACCESS_KEY=abc/def AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE x", "env AWS_SECRET_ACCESS_KEY=[redacted] AWS_ACCESS_KEY_ID=[redacted] x"],
  ["GITHUB_TOKEN=ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa run", "GITHUB_TOKEN=[redacted] run"],
  ["run ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "run [redacted]"],
  ["git clone https://bob:pw@git.example.com/x.git", "git clone https://bob:[redacted]@git.example.com/x.git"],
  ["celery --broker=amqp://guest:guest@rabbit:5672//", "celery --broker=amqp://guest:[redacted]@rabbit:5672//"],
  [
    "java -jar app.jar --spring.datasource.url=jdbc:mysql://db/shop?user=app&password=pw&useSSL=true",
    "java -jar app.jar --spring.datasource.url=jdbc:mysql://db/shop?user=app&password=[redacted]&useSSL=true",
  ],
  ["jdbc:sqlserver://h:1433;databaseName=x;user=sa;password=pw;", "jdbc:sqlserver://h:1433;databaseName=x;user=sa;password=[redacted];"],
  ["Driver={ODBC};Server=h;UID=sa;PWD=pw", "Driver={ODBC};Server=h;UID=sa;PWD=[redacted]"],
  ["jdbc:oracle:thin:scott/tiger@db:1521:orcl", "jdbc:oracle:thin:scott/[redacted]@db:1521:orcl"],
  ["curl -H Authorization: Bearer eyJhbGciOi.x.y https://api", "curl -H Authorization: Bearer [redacted] https://api"],
  ["curl -H 'Authorization: Basic Zm9vOmJhcg==' https://api", "curl -H 'Authorization: Basic [redacted]' https://api"],
  ["curl -u bob:pw https://x", "curl -u bob:[redacted] https://x"],
  ["curl -ubob:pw https://x", "curl -ubob:[redacted] https://x"],
  ["wget --user bob:pw --password pw2 https://x", "wget --user bob:[redacted] --password [redacted] https://x"],
  ["redis-cli -a pw -h cache ping", "redis-cli -a [redacted] -h cache ping"],
  ["sshpass -p pw ssh host", "sshpass -p [redacted] ssh host"],
  ["mongosh --host db -u admin -p pw", "mongosh --host db -u admin -p [redacted]"],
  ["app --api-key abc --apiKey=def --client-secret ghi", "app --api-key [redacted] --apiKey=[redacted] --client-secret [redacted]"],
  ["az storage blob list --sas-token sv=2020&sig=abc", "az storage blob list --sas-token [redacted]"],
  ["https://acct.blob.core.windows.net/c?sv=2020&sig=abcdef", "https://acct.blob.core.windows.net/c?sv=2020&sig=[redacted]"],
  ["vault login token=s.abcdef", "vault login token=[redacted]"],
  ["slack xoxb-1234567890-abcdefgh", "slack [redacted]"],
];

const KEPT: readonly [string, string][] = [
  ["mysql -p shop", "mysql asks for the password; shop is the database"],
  ["psql -h db -p 5432 -U app shop", "psql's -p is the port"],
  ["app --password-file=/run/secrets/db", "a path to a secret is evidence"],
  ["docker run -e MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db mysql:8", "the _FILE variant names a file"],
  ["app --token-path /var/run/token --secret-dir /etc/s --password-env DB_PW", "paths and variable names"],
  ["app --token-ttl=3600 --password-min-length=8 --token-timeout 30", "settings about a secret"],
  ["PWD=/root sh -c ls", "the shell's working directory"],
  ["rsync --bypass-cache=1 --passwordless=true a b", "words containing 'pass' that are not a password"],
  ["nginx -c /etc/nginx/nginx.conf --key=/etc/ssl/k.pem", "a bare key flag is a path"],
  ["mongod --auth --dbpath /var/lib/mongodb", "a flag without a value keeps the next flag"],
  ["mysql --password --verbose", "mysql prompts: --verbose is not a password"],
  ["postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf", "no secret"],
  ["curl https://example.com/path?page=2&sort=asc", "query without secrets"],
  ["tokenizer --tokens 5", "'token' inside a longer word"],
];

describe("redactCommandLine", () => {
  it.each(REDACTED)("%s", (input, expected) => {
    expect(redactCommandLine(input)).toBe(expected);
  });

  it.each(KEPT)("keeps %s (%s)", (input) => {
    expect(redactCommandLine(input)).toBe(input);
  });

  it("replaces control characters and cuts long lines after redacting", () => {
    expect(redactCommandLine("a\u0000b\u0007c\td")).toBe("a?b?c\td");
    const long = `app --password=${"s".repeat(5000)} ${"x".repeat(5000)}`;
    const out = redactCommandLine(long);
    expect(out.length).toBeLessThanOrEqual(GUEST_LIMITS.commandChars);
    expect(out.startsWith("app --password=[redacted] xxx")).toBe(true);
    expect(out.endsWith("…")).toBe(true);
  });

  it("a command line of 1 MB is read in a moment and bounded", () => {
    const started = performance.now();
    const out = redactCommandLine(`${"a ".repeat(500_000)}--password=x`);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out.length).toBeLessThanOrEqual(GUEST_LIMITS.commandChars);
  });
});
