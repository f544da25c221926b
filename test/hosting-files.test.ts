/**
 * Every file in docs/hosting is checked by the program that will read it,
 * at the version Debian 12 ships (nginx 1.22, Caddy 2.6, HAProxy 2.6,
 * systemd 252, PostgreSQL 15): `nginx -t`, `caddy validate`, `haproxy -c`,
 * `systemd-analyze verify`, and a PostgreSQL server started on the
 * settings, which reports what it could not apply. Each check also runs on a deliberately broken
 * copy, which must fail, so a wrapper that hid the file from its tool could
 * not pass. Warnings count as failures: an operator copies these files as
 * they are.
 *
 * A tool missing on the machine fails the test in CI (CI=true; .ci/run
 * installs them) and skips it, with a notice, elsewhere.
 */
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, type TestContext } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;
const HOSTING = join(ROOT, "docs", "hosting");
const hostingFile = (name: string) => join(HOSTING, name);
const read = (name: string) => readFileSync(hostingFile(name), "utf8");

const scratch = mkdtempSync(join(tmpdir(), "grove-hosting-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const tempDir = () => mkdtempSync(join(scratch, "check-"));

/** Where each tool lives on Debian, and the package that has it. */
const TOOLS = {
  nginx: { paths: ["/usr/sbin/nginx"], pkg: "nginx" },
  caddy: { paths: ["/usr/bin/caddy"], pkg: "caddy" },
  haproxy: { paths: ["/usr/sbin/haproxy"], pkg: "haproxy" },
  "systemd-analyze": { paths: ["/usr/bin/systemd-analyze"], pkg: "systemd" },
  openssl: { paths: ["/usr/bin/openssl"], pkg: "openssl" },
  pg_ctl: { paths: postgresBinaries("pg_ctl"), pkg: "postgresql" },
} as const;

/** Debian installs PostgreSQL off PATH, one directory per major version: newest first. */
function postgresBinaries(name: string): string[] {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(base, version, "bin", name));
}
type Tool = keyof typeof TOOLS;

function locate(tool: Tool): string | undefined {
  const onPath = (process.env.PATH ?? "").split(":").map((dir) => join(dir, tool));
  return [...TOOLS[tool].paths, ...onPath].find((p) => existsSync(p));
}

/** The tools' paths, or (outside CI) a skip with a notice saying what to install. */
function need(ctx: TestContext, ...tools: Tool[]): Record<Tool, string> {
  const found = {} as Record<Tool, string>;
  const missing: Tool[] = [];
  for (const tool of tools) {
    const path = locate(tool);
    if (path) found[tool] = path;
    else missing.push(tool);
  }
  if (missing.length > 0) {
    const packages = missing.map((t) => TOOLS[t].pkg).join(" ");
    const note = `${missing.join(", ")} not installed (Debian: apt-get install ${packages}); hosting file not checked`;
    if (process.env.CI === "true") throw new Error(`${note}. CI must check it: see .ci/run.`);
    console.warn(`hosting-files: SKIPPED: ${note}`);
    ctx.skip(note);
  }
  return found;
}

interface Run {
  status: number | null;
  output: string;
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  user: { uid?: number; gid?: number } = {},
): Run {
  const result = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000, env, ...user });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** The first line of a tool's version output, shown in the report beside the result. */
async function noteVersion(ctx: TestContext, cmd: string, args: string[]): Promise<void> {
  const line = run(cmd, args).output.split("\n")[0] ?? "";
  await ctx.annotate(`checked with ${line}`);
}

/** A self-signed certificate and key for configurations that load them at check time. */
function selfSigned(openssl: string, dir: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const made = run(openssl, [
    "req",
    ...["-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ...["-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=relay.example.com"],
  ]);
  expect(made.status, made.output).toBe(0);
  return { cert, key };
}

/** `text` with `from` replaced by `to`, which must occur exactly `times` times. */
function substitute(text: string, from: string, to: string, times: number): string {
  expect(text.split(from).length - 1, `"${from}" in the file`).toBe(times);
  return text.split(from).join(to);
}

const BROKEN_LINE = "grove_no_such_directive on;";

describe("docs/hosting", () => {
  it("has a check below for every file but the prose", () => {
    const checked = [
      "nginx.conf",
      "Caddyfile",
      "Caddyfile.cluster",
      "haproxy.cfg",
      "grove-relay.service",
      "grove-relay@.service",
      "postgresql.conf",
      "pg_hba.conf",
    ];
    const files = readdirSync(HOSTING).filter((f) => !f.endsWith(".md"));
    expect(files.sort()).toEqual(checked.sort());
  });
});

describe("nginx.conf under nginx -t", () => {
  /** nginx -t on the site file included in `http {}`, as sites-enabled is; certificates swapped for test ones. */
  function check(nginx: string, openssl: string, site: string): Run {
    const dir = tempDir();
    const { cert, key } = selfSigned(openssl, dir);
    let text = substitute(site, "/etc/letsencrypt/live/relay.example.com/fullchain.pem", cert, 1);
    text = substitute(text, "/etc/letsencrypt/live/relay.example.com/privkey.pem", key, 1);
    writeFileSync(join(dir, "site.conf"), text);
    // Everything nginx would write goes to the temp dir, so the check needs no root.
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
      .map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`)
      .join("\n");
    writeFileSync(
      join(dir, "nginx.conf"),
      `error_log stderr;\npid ${join(dir, "nginx.pid")};\nevents {}\nhttp {\n  access_log off;\n${temp}\n  include ${join(dir, "site.conf")};\n}\n`,
    );
    return run(nginx, ["-t", "-q", "-p", dir, "-e", "stderr", "-c", join(dir, "nginx.conf")]);
  }

  it("passes, with no warnings", async (ctx) => {
    const { nginx, openssl } = need(ctx, "nginx", "openssl");
    await noteVersion(ctx, nginx, ["-v"]);
    const result = check(nginx, openssl, read("nginx.conf"));
    expect(result.status, result.output).toBe(0);
    expect(result.output).toBe("");
  });

  it("fails the same file with an unknown directive in its server block", (ctx) => {
    const { nginx, openssl } = need(ctx, "nginx", "openssl");
    const broken = substitute(
      read("nginx.conf"),
      "client_max_body_size",
      `${BROKEN_LINE}\n    client_max_body_size`,
      1,
    );
    const result = check(nginx, openssl, broken);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("grove_no_such_directive");
  });
});

describe("Caddyfiles under caddy validate", () => {
  function check(caddy: string, text: string): Run {
    const dir = tempDir();
    const file = join(dir, "Caddyfile");
    writeFileSync(file, text);
    // Caddy keeps state under $HOME / XDG dirs: point them at the temp dir.
    const env = {
      ...process.env,
      HOME: dir,
      XDG_DATA_HOME: join(dir, "data"),
      XDG_CONFIG_HOME: join(dir, "config"),
    };
    return run(caddy, ["validate", "--config", file, "--adapter", "caddyfile"], env);
  }
  /** Caddy logs JSON lines; anything at warn or above (e.g. "input is not formatted") counts. */
  const complaints = (output: string) =>
    output.split("\n").filter((line) => /"level":"(warn|error|fatal)"/.test(line));

  for (const name of ["Caddyfile", "Caddyfile.cluster"]) {
    it(`${name} passes, formatted, with no warnings`, async (ctx) => {
      const { caddy } = need(ctx, "caddy");
      await noteVersion(ctx, caddy, ["version"]);
      const result = check(caddy, read(name));
      expect(result.status, result.output).toBe(0);
      expect(result.output).toContain("Valid configuration");
      expect(complaints(result.output)).toEqual([]);
    });
  }

  it("fails a Caddyfile with an unknown directive in the site block", (ctx) => {
    const { caddy } = need(ctx, "caddy");
    const broken = substitute(
      read("Caddyfile.cluster"),
      "\t\tlb_policy",
      `\t\t${BROKEN_LINE}\n\t\tlb_policy`,
      1,
    );
    const result = check(caddy, broken);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("grove_no_such_directive");
  });
});

describe("haproxy.cfg under haproxy -c", () => {
  function check(haproxy: string, openssl: string, text: string): Run {
    const dir = tempDir();
    const { cert, key } = selfSigned(openssl, dir);
    // HAProxy wants chain and key in one PEM.
    const pem = join(dir, "relay.pem");
    writeFileSync(pem, readFileSync(cert, "utf8") + readFileSync(key, "utf8"));
    const file = join(dir, "haproxy.cfg");
    writeFileSync(file, substitute(text, "/etc/haproxy/certs/relay.example.com.pem", pem, 1));
    return run(haproxy, ["-c", "-f", file]);
  }

  it("passes, with no warnings", async (ctx) => {
    const { haproxy, openssl } = need(ctx, "haproxy", "openssl");
    await noteVersion(ctx, haproxy, ["-v"]);
    const result = check(haproxy, openssl, read("haproxy.cfg"));
    expect(result.status, result.output).toBe(0);
    expect(result.output).not.toMatch(/\[(WARNING|ALERT)\]/);
  });

  it("routes to the relay nodes with /healthz checks and WebSocket-length tunnels", () => {
    const cfg = read("haproxy.cfg");
    expect(cfg).toMatch(/http-check send meth GET uri \/healthz/);
    expect(cfg).toMatch(/http-check expect status 200/);
    expect(cfg).toMatch(/timeout tunnel 1h/);
    expect(cfg).toMatch(/option forwardfor/);
    expect(cfg.match(/^\s+server \S+ \S+:8787 check$/gm)?.length).toBeGreaterThanOrEqual(2);
  });

  it("fails the same file with an unknown keyword in the backend", (ctx) => {
    const { haproxy, openssl } = need(ctx, "haproxy", "openssl");
    const broken = substitute(
      read("haproxy.cfg"),
      "    balance leastconn",
      `    ${BROKEN_LINE}\n    balance leastconn`,
      1,
    );
    const result = check(haproxy, openssl, broken);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("grove_no_such_directive");
  });
});

describe("systemd units under systemd-analyze verify", () => {
  /**
   * The units name /usr/bin/node; verify checks that the binary exists, so
   * where this machine's node lives elsewhere the copy names that one.
   */
  function check(analyze: string, name: string, text: string): Run {
    const dir = tempDir();
    const file = join(dir, name);
    const node = existsSync("/usr/bin/node") ? "/usr/bin/node" : process.execPath;
    writeFileSync(file, substitute(text, "ExecStart=/usr/bin/node ", `ExecStart=${node} `, 1));
    return run(analyze, ["verify", file]);
  }

  for (const name of ["grove-relay.service", "grove-relay@.service"]) {
    it(`${name} passes with no messages and runs the built relay with node`, async (ctx) => {
      const { "systemd-analyze": analyze } = need(ctx, "systemd-analyze");
      await noteVersion(ctx, analyze, ["--version"]);
      const text = read(name);
      const result = check(analyze, name, text);
      expect(result.status, result.output).toBe(0);
      expect(result.output).toBe("");
      // Production runs the output of `npm run build:relay`, not TypeScript through tsx.
      expect(text).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/grove\/dist\/relay\/main\.js$/m);
    });
  }

  it("reports a unit with an unknown key", (ctx) => {
    const { "systemd-analyze": analyze } = need(ctx, "systemd-analyze");
    const broken = substitute(
      read("grove-relay@.service"),
      "[Service]\n",
      "[Service]\nGroveNoSuchKey=1\n",
      1,
    );
    const result = check(analyze, "grove-relay@.service", broken);
    expect(result.output).toContain("GroveNoSuchKey");
  });

  it("the cluster unit reads the store and bus from its environment files, not its command line", () => {
    const text = read("grove-relay@.service");
    expect(text).toMatch(/^EnvironmentFile=\/etc\/grove-relay\/cluster\.env$/m);
    expect(text).toMatch(/GROVE_RELAY_STORE=postgres:\/\//);
    expect(text).toMatch(/GROVE_RELAY_BUS=redis:\/\//);
    expect(text).not.toMatch(/^ExecStart=.*--(store|bus)/m);
  });
});

describe("PostgreSQL settings under PostgreSQL itself", () => {
  /**
   * One throwaway cluster (initdb once), restarted per check on the files as
   * an operator installs them: postgresql.conf included from the main file,
   * pg_hba.conf's lines appended. Loopback is off (a socket in the temp dir
   * only) and TLS uses a test certificate, since the hba lines are hostssl.
   */
  let cluster: { dir: string; bin: string; user: { uid?: number; gid?: number } } | undefined;

  /** PostgreSQL refuses to run as root: as root, the server runs as nobody. */
  function unprivileged(): { uid?: number; gid?: number } {
    if (process.getuid?.() !== 0) return {};
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("nobody:"));
    const [, , uid, gid] = line?.split(":") ?? [];
    if (uid === undefined || gid === undefined)
      throw new Error("no user nobody to run PostgreSQL as");
    return { uid: Number(uid), gid: Number(gid) };
  }

  function initCluster(pgCtl: string, openssl: string) {
    if (cluster) return cluster;
    const bin = join(pgCtl, "..");
    const user = unprivileged();
    const dir = mkdtempSync(join(tmpdir(), "grove-hosting-pg-"));
    const { cert, key } = selfSigned(openssl, dir);
    chmodSync(key, 0o600);
    if (user.uid !== undefined) {
      for (const p of [dir, cert, key]) chownSync(p, user.uid, user.gid!);
    }
    const made = run(
      join(bin, "initdb"),
      ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"],
      process.env,
      user,
    );
    expect(made.status, made.output).toBe(0);
    copyFileSync(join(dir, "data", "pg_hba.conf"), join(dir, "pg_hba.base"));
    appendFileSync(
      join(dir, "data", "postgresql.conf"),
      `\ninclude '${join(dir, "grove.conf")}'\n`,
    );
    cluster = { dir, bin, user };
    return cluster;
  }
  afterAll(() => {
    if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
  });

  /** Starts the server on the given files; returns whether it started and every setting or hba line it rejected. */
  function check(
    pgCtl: string,
    openssl: string,
    conf: string,
    hba: string,
  ): { started: boolean; rejected: string[]; log: string } {
    const { dir, bin, user } = initCluster(pgCtl, openssl);
    const data = join(dir, "data");
    writeFileSync(join(dir, "grove.conf"), conf);
    writeFileSync(join(data, "pg_hba.conf"), readFileSync(join(dir, "pg_hba.base"), "utf8") + hba);
    if (user.uid !== undefined) {
      for (const f of [join(dir, "grove.conf"), join(data, "pg_hba.conf")]) {
        chownSync(f, user.uid, user.gid!);
      }
    }
    const log = join(dir, "server.log");
    rmSync(log, { force: true });
    const options = [
      "-c listen_addresses=''",
      `-k ${dir}`,
      "-c ssl=on",
      `-c ssl_cert_file=${join(dir, "cert.pem")}`,
      `-c ssl_key_file=${join(dir, "key.pem")}`,
    ].join(" ");
    const start = run(
      pgCtl,
      ["-D", data, "-w", "-t", "30", "-l", log, "-o", options, "start"],
      process.env,
      user,
    );
    const logText = () => (existsSync(log) ? readFileSync(log, "utf8") : start.output);
    if (start.status !== 0) return { started: false, rejected: [], log: logText() };
    try {
      const query = run(
        join(bin, "psql"),
        [
          ...["-h", dir, "-U", "postgres", "-d", "postgres", "-At", "-c"],
          `select name || ': ' || error from pg_file_settings where error is not null
           union all
           select 'pg_hba line ' || line_number || ': ' || error from pg_hba_file_rules where error is not null`,
        ],
        process.env,
        user,
      );
      expect(query.status, query.output).toBe(0);
      return { started: true, rejected: query.output.split("\n").filter(Boolean), log: logText() };
    } finally {
      run(pgCtl, ["-D", data, "-m", "immediate", "stop"], process.env, user);
    }
  }

  it("postgresql.conf and pg_hba.conf start a server that applies every line", async (ctx) => {
    const { pg_ctl: pgCtl, openssl } = need(ctx, "pg_ctl", "openssl");
    await noteVersion(ctx, join(pgCtl, "..", "postgres"), ["--version"]);
    const result = check(pgCtl, openssl, read("postgresql.conf"), read("pg_hba.conf"));
    expect(result.started, result.log).toBe(true);
    expect(result.rejected).toEqual([]);
    expect(read("postgresql.conf")).toMatch(/^synchronous_commit = on$/m);
    expect(read("postgresql.conf")).toMatch(/^synchronous_standby_names = '.+'$/m);
  });

  it("rejects a misspelt setting and an unknown hba method", (ctx) => {
    const { pg_ctl: pgCtl, openssl } = need(ctx, "pg_ctl", "openssl");
    const conf = check(
      pgCtl,
      openssl,
      `${read("postgresql.conf")}\nsynchronous_comit = on\n`,
      read("pg_hba.conf"),
    );
    expect(conf.started).toBe(false);
    expect(conf.log).toContain("synchronous_comit");
    const hba = check(
      pgCtl,
      openssl,
      read("postgresql.conf"),
      `${read("pg_hba.conf")}hostssl grove grove 10.0.0.0/24 grove_no_such_method\n`,
    );
    expect(hba.started).toBe(false);
    expect(hba.log).toContain("grove_no_such_method");
  });
});

it("README and the cluster guide link every hosting file", () => {
  const docs = readFileSync(join(ROOT, "README.md"), "utf8") + read("cluster.md");
  const unlinked = readdirSync(HOSTING).filter(
    (f) => !docs.includes(`(docs/hosting/${f})`) && !docs.includes(`(${f})`),
  );
  expect(unlinked).toEqual([]);
});
