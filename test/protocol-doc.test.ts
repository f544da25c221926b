/**
 * PROTOCOL.md is what a third party writes a client from, so it must name
 * everything the code puts on the wire: every relay frame type, envelope
 * kind, error code, close code, PARTIAL_ACK reason and membership action,
 * each as a table row `| <number> | <name> |`; and every such row must name
 * something the code defines, with the same number. The constants are read
 * from the code itself (ops.ts's action tags from its source, since they are
 * not exported), so a new one added without its row fails here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RESERVED_IDENTITY_TAGS } from "../core/crypto/identity-codec.js";
import { ROLES } from "../core/membership/ops.js";
import { EnvelopeKind, RESERVED_ENVELOPE_KINDS } from "../core/wire/envelope.js";
import { FullReasonCode } from "../core/wire/frame-partial-ack.js";
import {
  FLAG_EPHEMERAL,
  FLAG_TARGET_SET,
  FrameType,
  MAX_TARGET_SET_ENTRIES,
  MAX_TARGET_SET_ID,
  MAX_TARGET_SETS,
  PROTOCOL_VERSION,
  RELAY_FEATURE_MAIL,
  RELAY_FEATURE_TARGET_SETS,
} from "../core/wire/frame-types.js";
import { RelayCloseCode, RelayErrorCode } from "../core/wire/relay-errors.js";

const ROOT = new URL("..", import.meta.url).pathname;
const doc = readFileSync(`${ROOT}core/wire/PROTOCOL.md`, "utf8");

/** hello -> HELLO, authOk -> AUTH_OK, relayInfo -> RELAY_INFO. */
const frameName = (key: string) => key.replace(/([A-Z])/g, "_$1").toUpperCase();
const hex2 = (n: number) => `0x${n.toString(16).padStart(2, "0")}`;
const row = (number: string | number, name: string) => `| ${number} | ${name} |`;
/** 0x02 -> 1: the bit a one-bit mask sets. */
function bit(mask: number): number {
  if (mask <= 0 || (mask & (mask - 1)) !== 0) throw new Error(`${mask} is not one bit`);
  return Math.log2(mask);
}

/** The text of one `###`/`##` section, up to the next heading of any level. */
function section(title: string): string {
  const start = doc.indexOf(`${title}\n`);
  if (start < 0) throw new Error(`PROTOCOL.md has no section "${title}"`);
  const rest = doc.slice(start + title.length + 1);
  const end = rest.search(/^#{1,6} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** `| <number> | <NAME> |` rows of a section, as [number, name]. */
function numberedRows(text: string, pattern: RegExp): [string, string][] {
  return [...text.matchAll(pattern)].map((m) => [m[1]!, m[2]!]);
}

/** The action tags, in tag order, from ops.ts's TAGS table. */
function actionTags(): string[] {
  const source = readFileSync(`${ROOT}core/membership/ops.ts`, "utf8");
  const table = /const TAGS: ActionType\[\] = \[([^\]]*)\]/.exec(source);
  if (!table) throw new Error("ops.ts no longer declares `const TAGS: ActionType[] = [...]`");
  return [...table[1]!.matchAll(/"([a-zA-Z]+)"/g)].map((m) => m[1]!);
}

describe("PROTOCOL.md names everything the code puts on the wire", () => {
  it("every relay frame type, with its byte", () => {
    const table = section("## Relay protocol (`WS /v1`)");
    for (const [key, type] of Object.entries(FrameType)) {
      expect(table, `frame ${key}`).toContain(row(hex2(type), frameName(key)));
    }
  });

  it("every envelope kind, and the reserved ones as reserved", () => {
    const table = section("## Envelope");
    for (const [name, kind] of Object.entries(EnvelopeKind)) {
      expect(table, `kind ${name}`).toContain(row(kind, name));
    }
    for (const kind of RESERVED_ENVELOPE_KINDS) {
      expect(table, `reserved kind ${kind}`).toContain(row(kind, "reserved"));
      expect(Object.values(EnvelopeKind)).not.toContain(kind);
    }
  });

  it("every error code and every close code", () => {
    const errors = section("### Error codes");
    for (const [name, code] of Object.entries(RelayErrorCode)) {
      expect(errors, `error ${name}`).toContain(row(code, name));
    }
    const closes = section("### Close codes");
    for (const [name, code] of Object.entries(RelayCloseCode)) {
      expect(closes, `close ${name}`).toContain(row(code, name));
    }
  });

  it("every PARTIAL_ACK reason, membership action and role", () => {
    const relay = section("## Relay protocol (`WS /v1`)");
    for (const [name, code] of Object.entries(FullReasonCode)) {
      expect(relay, `reason ${name}`).toContain(row(code, name));
    }
    const ops = section("## Membership log (core/membership)");
    const tags = actionTags();
    expect(tags.length).toBeGreaterThan(0);
    for (const [i, tag] of tags.entries()) expect(ops, `action ${tag}`).toContain(row(i, tag));
    expect(ops).toContain(ROLES.map((role, i) => `${i} ${role}`).join(", "));
  });

  it("the protocol version, the RELAY_INFO feature bits and the reserved identity tags", () => {
    expect(doc).toContain(`# Grove wire protocol, version ${PROTOCOL_VERSION}`);
    const relay = section("## Relay protocol (`WS /v1`)");
    expect(relay).toContain(`bit ${bit(RELAY_FEATURE_MAIL)} = mail`);
    expect(relay).toContain(`bit ${bit(RELAY_FEATURE_TARGET_SETS)} = target sets`);
    for (const tag of RESERVED_IDENTITY_TAGS) expect(doc).toContain(hex2(tag));
  });

  it("the SEND flags and the target-set bounds (revision 4)", () => {
    const relay = section("## Relay protocol (`WS /v1`)");
    expect(relay).toContain(`bit ${bit(FLAG_EPHEMERAL)} = ephemeral`);
    expect(relay).toContain(`bit ${bit(FLAG_TARGET_SET)} = target set`);
    expect(relay).toContain(`setId \`varuint\` (0-${MAX_TARGET_SET_ID}`);
    const sets = section("### Target sets (revision 4)");
    expect(sets).toContain(`\`MAX_TARGET_SETS\` = ${MAX_TARGET_SETS}`);
    expect(sets).toContain(
      `\`MAX_TARGET_SET_ENTRIES\` = ${MAX_TARGET_SET_ENTRIES.toLocaleString("en")}`,
    );
    expect(sets).toContain("UNKNOWN_TARGET_SET");
    expect(section("### Revisions")).toContain(`**Revision 4**`);
  });
});

describe("every numbered row of PROTOCOL.md names what the code defines", () => {
  it("frame rows", () => {
    const rows = numberedRows(
      section("## Relay protocol (`WS /v1`)"),
      /^\| (0x[0-9a-f]{2}) \| ([A-Z_]+) \|/gm,
    );
    expect(rows.length).toBe(Object.keys(FrameType).length);
    const byName = new Map(Object.entries(FrameType).map(([k, v]) => [frameName(k), hex2(v)]));
    for (const [type, name] of rows) expect(byName.get(name), name).toBe(type);
  });

  it("error and close code rows", () => {
    const errors = numberedRows(section("### Error codes"), /^\| (\d+) \| ([A-Z_]+) \|/gm);
    expect(errors.length).toBe(Object.keys(RelayErrorCode).length);
    for (const [code, name] of errors) {
      expect(RelayErrorCode[name as keyof typeof RelayErrorCode], name).toBe(Number(code));
    }
    const closes = numberedRows(section("### Close codes"), /^\| (\d+) \| ([A-Z_]+) \|/gm);
    expect(closes.length).toBe(Object.keys(RelayCloseCode).length);
    for (const [code, name] of closes) {
      expect(RelayCloseCode[name as keyof typeof RelayCloseCode], name).toBe(Number(code));
    }
  });

  it("envelope kind rows", () => {
    const rows = numberedRows(section("## Envelope"), /^\| (\d+) \| ([a-zA-Z]+) \|/gm);
    const known = new Map<string, number>(Object.entries(EnvelopeKind));
    for (const [kind, name] of rows) {
      if (name === "reserved") expect(RESERVED_ENVELOPE_KINDS).toContain(Number(kind));
      else expect(known.get(name), name).toBe(Number(kind));
    }
    expect(rows.length).toBe(known.size + RESERVED_ENVELOPE_KINDS.length);
  });
});
