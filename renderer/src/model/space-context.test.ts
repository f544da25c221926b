import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MemberSpace } from "../../../core/membership/member-space.js";
import type { Whereabouts } from "../../../core/membership/whereabouts.js";
import { TYPING } from "../../../core/space/space.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import { SpaceContext } from "./space-context.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A context whose renders are counted; nothing here reads the space. */
function context() {
  const renders = { count: 0 };
  const member = { log: {}, access: { spaceId: new Uint8Array(32) }, space: {} };
  const ctx = new SpaceContext(
    member as unknown as MemberSpace,
    {} as AppSyncEngine,
    { user: "a".repeat(64), device: "b".repeat(64), name: () => "Ann" },
    {} as Whereabouts,
    () => renders.count++,
    async () => undefined,
    () => undefined,
  );
  return { ctx, renders };
}

describe("what a change of the doc renders", () => {
  it("a change asks for a render at once; typing, which its editor already shows, when idle, once a second at most", () => {
    const { ctx, renders } = context();
    ctx.bump();
    expect(renders.count).toBe(1);

    const before = ctx.revision;
    for (let i = 0; i < 25; i++) ctx.bump(TYPING);
    // Memoized views are stale at once; the render waits for the keystroke's task to end.
    expect(ctx.revision).toBe(before + 25);
    expect(renders.count).toBe(1);
    vi.advanceTimersByTime(0);
    expect(renders.count).toBe(2);
    for (let i = 0; i < 25; i++) ctx.bump(TYPING);
    vi.advanceTimersByTime(500);
    expect(renders.count).toBe(2);
    vi.advanceTimersByTime(500);
    expect(renders.count).toBe(3);
  });

  it("an editor's own transaction origin counts as typing once named, in every tool's context", () => {
    const { ctx, renders } = context();
    const editor = Symbol("editor");
    ctx.bump(editor);
    expect(renders.count).toBe(1);
    ctx.forTool("notes").typingOrigin(editor);
    ctx.bump(editor);
    expect(renders.count).toBe(1);
    vi.advanceTimersByTime(0);
    expect(renders.count).toBe(2);
  });
});
