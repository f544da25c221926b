/**
 * A space's summary: what a list of spaces shows of it (name, unread count,
 * last activity), kept beside its checkpoint so a launch can list spaces
 * without building their docs. The store seals it like every record.
 *
 * A summary holds only for the doc it was made from: it carries that doc's
 * `Space.stateMark()` and the read time its unread count was counted from,
 * and `summaryHolds` takes it only when both are what the space has now.
 * Anything else (a log record written after it, a crash before it was
 * rewritten, a space read elsewhere) means building the doc, as before.
 *
 *   Summary: u8 version, string mark, varuint readAt, varuint unread,
 *            varuint lastActivity, string name
 */
import * as encoding from "lib0/encoding";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith, writeString } from "../wire/reader.js";

const VERSION = 1;
/** A mark past this is not kept: the space is listed from its doc instead. */
export const MAX_MARK_BYTES = 64 * 1024;
const MAX_NAME_BYTES = 4 * 1024;

export interface SpaceSummary {
  /** `Space.stateMark()` of the doc the figures were read from. */
  readonly mark: string;
  /** The read time (ms) the unread count was counted after. */
  readonly readAt: number;
  readonly unread: number;
  /** Epoch ms of the latest activity (0 for none). */
  readonly lastActivity: number;
  readonly name: string;
}

export function summaryKey(spaceId: string): string {
  return `s/${spaceId}/summary`;
}

/** True when `summary` can be written: whole non-negative figures, a mark and name in bounds. */
export function summarizable(summary: SpaceSummary): boolean {
  const whole = (n: number) => Number.isSafeInteger(n) && n >= 0;
  return (
    whole(summary.readAt) &&
    whole(summary.unread) &&
    whole(summary.lastActivity) &&
    new TextEncoder().encode(summary.mark).length <= MAX_MARK_BYTES &&
    new TextEncoder().encode(summary.name).length <= MAX_NAME_BYTES
  );
}

export function encodeSummary(summary: SpaceSummary): Uint8Array {
  if (!summarizable(summary)) throw new RangeError("summary figures out of range");
  return encodeWith((e) => {
    encoding.writeUint8(e, VERSION);
    writeString(e, summary.mark);
    encoding.writeVarUint(e, summary.readAt);
    encoding.writeVarUint(e, summary.unread);
    encoding.writeVarUint(e, summary.lastActivity);
    writeString(e, summary.name);
  });
}

export function decodeSummary(bytes: Uint8Array): SpaceSummary {
  return decodeStrict(bytes, (r) => {
    const version = r.u8("version");
    if (version !== VERSION) {
      throw new DecodeError("UNSUPPORTED_VERSION", `summary version ${version}`);
    }
    const mark = r.string("mark", MAX_MARK_BYTES);
    const readAt = r.varUint("readAt");
    const unread = r.varUint("unread");
    const lastActivity = r.varUint("lastActivity");
    const name = r.string("name", MAX_NAME_BYTES);
    return { mark, readAt, unread, lastActivity, name };
  });
}

/** The summary if it describes the space as it is now: the same doc and read time. */
export function summaryHolds(
  summary: SpaceSummary | undefined,
  now: { mark: string | undefined; readAt: number },
): summary is SpaceSummary {
  return (
    summary !== undefined &&
    now.mark !== undefined &&
    summary.mark === now.mark &&
    summary.readAt === now.readAt
  );
}
