import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { Caret } from "../../../../core/membership/whereabouts.js";
import { CaretAwareness, colourOf } from "./caret-awareness.js";

describe("the caret awareness", () => {
  it("hands the local caret out as Yjs relative positions, and only when it moves", () => {
    const doc = new Y.Doc();
    const text = doc.getXmlFragment("f");
    text.insert(0, [new Y.XmlText("hello")]);
    const out: (Caret | undefined)[] = [];
    const awareness = new CaretAwareness(doc.clientID, (c) => out.push(c));
    const cursor = {
      anchor: Y.createRelativePositionFromTypeIndex(text, 0),
      head: Y.createRelativePositionFromTypeIndex(text, 1),
    };
    awareness.setLocalStateField("user", { name: "", color: "#000000" });
    expect(out).toEqual([]);
    awareness.setLocalStateField("cursor", cursor);
    awareness.setLocalStateField("lastSelection", {});
    expect(out).toHaveLength(1);
    const anchor = Y.decodeRelativePosition(out[0]!.anchor);
    expect(Y.createAbsolutePositionFromRelativePosition(anchor, doc)?.index).toBe(0);
    awareness.setLocalStateField("cursor", null);
    expect(out).toEqual([out[0], undefined]);
  });

  it("a local caret move tells the extension's user list but has no caret redrawn (this editor draws only others')", () => {
    const doc = new Y.Doc();
    const text = doc.getXmlFragment("f");
    text.insert(0, [new Y.XmlText("hello")]);
    const awareness = new CaretAwareness(doc.clientID, () => {});
    const seen = { change: 0, update: 0 };
    awareness.on("change", () => seen.change++);
    awareness.on("update", () => seen.update++);
    for (let i = 0; i < 5; i++) {
      const at = Y.createRelativePositionFromTypeIndex(text, i);
      awareness.setLocalStateField("cursor", { anchor: at, head: at });
    }
    expect(seen).toEqual({ change: 0, update: 5 });
  });

  it("shows others' carets under the membership's name, drops the absent, and takes any bytes without throwing", () => {
    const awareness = new CaretAwareness(7, () => {});
    const changes: number[][] = [];
    awareness.on("change", (c) => changes.push(c.removed));
    const good = Y.encodeRelativePosition(
      Y.createRelativePositionFromTypeIndex(new Y.Doc().getText("t"), 0),
    );
    awareness.setRemote([
      {
        device: "ab".repeat(32),
        name: "Bob",
        color: "#1d5fbf",
        caret: { anchor: good, head: good },
      },
    ]);
    const states = [...awareness.getStates().entries()].filter(([k]) => k !== 7);
    expect(states).toHaveLength(1);
    expect(states[0]![1]).toMatchObject({ user: { name: "Bob", color: "#1d5fbf" } });
    awareness.setRemote([]);
    expect([...awareness.getStates().keys()]).toEqual([7]);
    expect(changes.at(-1)).toHaveLength(1);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 128 }),
        fc.uint8Array({ maxLength: 128 }),
        (anchor, head) => {
          awareness.setRemote([
            { device: "cd".repeat(32), name: "Eve", color: "#000000", caret: { anchor, head } },
          ]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("colours a user the same everywhere, from a fixed palette", () => {
    expect(colourOf("a".repeat(64))).toBe(colourOf("a".repeat(64)));
    expect(colourOf("b".repeat(64))).toMatch(/^#[0-9a-f]{6}$/);
  });
});
