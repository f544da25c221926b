/**
 * Every record a space keeps in its device's store lives under one prefix:
 * its log, checkpoint, summary, seq reserve, membership log and join record
 * (`s/<space id>/…`). Erasing a space's copy from a device is deleting that
 * prefix. What this user wrote there and had not sent yet stays in the
 * device's outboxes until it has gone out: it is theirs to deliver.
 */
import type { Store } from "../store/store.js";

/** Records deleted per store call (one IndexedDB transaction, or one worker round, each). */
const ERASE_CHUNK = 1000;

export function spacePrefix(spaceId: string): string {
  return `s/${spaceId}/`;
}

/**
 * Deletes every record of the space; resolves with how many there were. The
 * space must be closed first: a write landing after its listing would stay.
 */
export async function eraseSpaceRecords(store: Store, spaceId: string): Promise<number> {
  const keys = await store.list(spacePrefix(spaceId));
  for (let i = 0; i < keys.length; i += ERASE_CHUNK) {
    await store.deleteMany(keys.slice(i, i + ERASE_CHUNK));
  }
  return keys.length;
}
