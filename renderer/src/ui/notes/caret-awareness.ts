/**
 * The awareness the TipTap caret extension talks to, without y-protocols'
 * own: that one renews its state every 15 s and expects its own wire, and
 * Grove's carets travel as whereabouts (core/membership/whereabouts.ts),
 * sealed in the space's ephemeral envelopes. This object only holds states:
 * the local caret goes out through `onLocalCaret` as Yjs relative positions;
 * remote carets come in through `setRemote`, named and coloured by the
 * membership, never by what the sender says.
 */
import { ObservableV2 } from "lib0/observable";
import * as Y from "yjs";
import type { Caret } from "../../../../core/membership/whereabouts.js";

type State = Record<string, unknown>;
type Change = { added: number[]; updated: number[]; removed: number[] };
type Events = {
  change: (change: Change, origin: string) => void;
  update: (change: Change, origin: string) => void;
};

export interface RemoteCaret {
  device: string;
  name: string;
  color: string;
  caret: Caret;
}

interface Cursor {
  anchor: unknown;
  head: unknown;
}

export class CaretAwareness extends ObservableV2<Events> {
  readonly states = new Map<number, State>();
  private remote = new Set<number>();

  constructor(
    readonly clientID: number,
    private readonly onLocalCaret: (caret: Caret | undefined) => void,
  ) {
    super();
    this.states.set(clientID, {});
  }

  getStates(): Map<number, State> {
    return this.states;
  }

  getLocalState(): State | null {
    return this.states.get(this.clientID) ?? null;
  }

  setLocalState(state: State | null): void {
    const before = this.states.get(this.clientID)?.cursor as Cursor | null | undefined;
    if (state === null) this.states.delete(this.clientID);
    else this.states.set(this.clientID, state);
    const cursor = state?.cursor as Cursor | null | undefined;
    if (cursor !== before) this.onLocalCaret(cursor ? encodeCursor(cursor) : undefined);
    // "update" only: "change" has the caret plugin redraw every caret (a second editor
    // transaction per keystroke), and this editor never draws its own.
    this.emit("update", [{ added: [], updated: [this.clientID], removed: [] }, "local"]);
  }

  setLocalStateField(field: string, value: unknown): void {
    this.setLocalState({ ...(this.getLocalState() ?? {}), [field]: value });
  }

  /** Everyone else's carets now (what is absent is removed). */
  setRemote(carets: RemoteCaret[]): void {
    const next = new Set<number>();
    for (const c of carets) {
      const cursor = decodeCaret(c.caret);
      if (!cursor) continue;
      const key = keyOf(c.device, this.clientID);
      next.add(key);
      this.states.set(key, { user: { name: c.name, color: c.color }, cursor });
    }
    const removed = [...this.remote].filter((k) => !next.has(k));
    for (const k of removed) this.states.delete(k);
    this.remote = next;
    this.announce({ added: [], updated: [...next], removed }, "remote");
  }

  override destroy(): void {
    this.states.clear();
    this.remote.clear();
    super.destroy();
  }

  private announce(change: Change, origin: string): void {
    this.emit("change", [change, origin]);
    this.emit("update", [change, origin]);
  }
}

/** A number per remote device for the plugin's map (never this editor's own client id). */
function keyOf(device: string, own: number): number {
  const key = Number.parseInt(device.slice(0, 8), 16) >>> 0;
  return key === own ? (key ^ 1) >>> 0 : key;
}

function encodeCursor(cursor: Cursor): Caret | undefined {
  try {
    const anchor = Y.createRelativePositionFromJSON(cursor.anchor);
    const head = Y.createRelativePositionFromJSON(cursor.head);
    return { anchor: Y.encodeRelativePosition(anchor), head: Y.encodeRelativePosition(head) };
  } catch {
    return undefined;
  }
}

/** A member's caret bytes as the plugin's cursor; undefined when they are not positions. */
function decodeCaret(caret: Caret): Cursor | undefined {
  try {
    return {
      anchor: Y.decodeRelativePosition(caret.anchor),
      head: Y.decodeRelativePosition(caret.head),
    };
  } catch {
    return undefined;
  }
}

/** Caret colours: dark enough for white label text (contrast at least 4.5:1). */
const COLOURS = ["#b3261e", "#1d5fbf", "#0b7a3e", "#8a3ffc", "#a3470a", "#006d77", "#b0177c"];

/** A user's caret colour: the same on every device. */
export function colourOf(user: string): string {
  let h = 0;
  for (let i = 0; i < user.length; i++) h = (h * 31 + user.charCodeAt(i)) >>> 0;
  return COLOURS[h % COLOURS.length] ?? "#1d5fbf";
}
