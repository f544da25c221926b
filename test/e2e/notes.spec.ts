/**
 * The rich note editor, driven through the UI by two members and a viewer
 * against a real relay process: formatting, lists and links typed by one
 * show for the other; both type in one paragraph at once and converge; each
 * sees the other's caret, named by the membership, through the relay's
 * ephemeral path; it goes when the other leaves the note; who is where on
 * the tabs and the notes list; a viewer cannot edit; pasted HTML loses its
 * scripts, handlers, javascript: links and images; a note written by the
 * textarea's code opens with its text; a Markdown file imports as a note and
 * exports back the same; an idle editor sends nothing; no
 * caret envelope reaches the relay's disk; the activity view links to what
 * others did; axe in light and dark. Carets cross the WebRTC data channel
 * when the two are linked directly (the relay's ephemeral counter does not
 * move) and the relay's ephemeral path with WebRTC off; the time from a
 * click to the caret in the other's editor is measured both ways.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join as joinPath } from "node:path";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import {
  appRelayPerSpec,
  capture,
  createSpace,
  invite,
  join,
  noteText,
  person as onboard,
  tab,
} from "./app-ui.js";

const app = appRelayPerSpec();
const person = (context: BrowserContext, name: string) => onboard(context, app.appUrl(), name);

/** What the test reads off the app's client (test hooks build). */
interface Handle {
  /** A tool's model by id (the page script cannot hold the plug-ins). */
  model(id: "notes"): {
    createNote(title: string): Promise<string>;
    notes(): { id: string }[];
    typeInNote(id: string, change: { index: number; remove: number; insert: string }): void;
  };
  whereabouts: { sent: number };
  member: {
    space: {
      id: string;
      flush(): Promise<void>;
      sendEphemeral: unknown;
      options: { dispatch: (out: { envelope: Uint8Array; ephemeral?: boolean }) => unknown };
    };
  };
}

const editor = (page: Page) => page.getByRole("textbox", { name: "Note text" });

/** Counts every ephemeral envelope the page's space seals, and keeps their bytes (hex). */
async function watchEphemeral(page: Page) {
  await page.evaluate(() => {
    const client = (globalThis as unknown as { groveClient: { spaces: Map<string, Handle> } })
      .groveClient;
    const space = [...client.spaces.values()][0]!.member.space;
    const w = globalThis as unknown as { ephemeralSent: string[] };
    w.ephemeralSent = [];
    const dispatch = space.options.dispatch;
    space.options.dispatch = (out) => {
      if (out.ephemeral) {
        w.ephemeralSent.push(
          [...out.envelope].map((b) => b.toString(16).padStart(2, "0")).join(""),
        );
      }
      return dispatch(out);
    };
  });
}

const ephemeralSent = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { ephemeralSent: string[] }).ephemeralSent);

const whereSent = (page: Page) =>
  page.evaluate(() => {
    const client = (globalThis as unknown as { groveClient: { spaces: Map<string, Handle> } })
      .groveClient;
    return [...client.spaces.values()][0]!.whereabouts.sent;
  });

const whereWaiting = (page: Page) =>
  page.evaluate(() => {
    const client = (globalThis as unknown as { groveClient: { spaces: Map<string, Handle> } })
      .groveClient;
    const where = [...client.spaces.values()][0]!.whereabouts as unknown as { timer?: unknown };
    return where.timer !== undefined;
  });

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = joinPath(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test("two members edit a rich note together, see each other's carets and whereabouts; a viewer reads only", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const contexts = await Promise.all(
    [0, 1, 2].map(() => browser.newContext({ viewport: { width: 1200, height: 800 } })),
  );
  for (const c of contexts) {
    await c.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.appUrl() });
  }
  const [ctxA, ctxB, ctxC] = contexts as [BrowserContext, BrowserContext, BrowserContext];
  try {
    const a = await person(ctxA, "Ann");
    const b = await person(ctxB, "Bob");
    const c = await person(ctxC, "Cho");
    await createSpace(a, "Allotment");
    await join(b, await invite(a, "Open"));
    await expect(b.getByRole("heading", { level: 1, name: "Allotment" })).toBeVisible();
    // Cho joins as a viewer.
    await tab(a, "Members");
    await a.getByRole("button", { name: "Invite people" }).click();
    await a.getByRole("dialog").getByLabel("Role").selectOption("viewer");
    await a.getByRole("dialog").getByRole("radio", { name: /^Open/ }).check();
    await a.getByRole("dialog").getByRole("button", { name: "Create invitation" }).click();
    await a.getByRole("dialog").getByRole("button", { name: "Copy link" }).first().click();
    const viewerLink = await a.evaluate(() => navigator.clipboard.readText());
    await a.getByRole("dialog").getByRole("button", { name: "Done" }).click();
    await join(c, viewerLink);
    await expect(c.getByRole("heading", { level: 1, name: "Allotment" })).toBeVisible({
      timeout: 20_000,
    });

    // A note written the textarea's way (decision 44: a Y.Text body), before this editor.
    const oldText = "Onions\nLeeks, two rows\n\nGarlic in October";
    await a.evaluate(async (text) => {
      const client = (globalThis as unknown as { groveClient: { spaces: Map<string, Handle> } })
        .groveClient;
      const handle = [...client.spaces.values()][0]!;
      const notes = handle.model("notes");
      const id = await notes.createNote("Old list");
      // Typing needs the note's signed meta checked (decision 52): wait for it, with a deadline.
      const deadline = Date.now() + 10_000;
      while (!notes.notes().some((n) => n.id === id)) {
        if (Date.now() > deadline) throw new Error("the note never verified");
        await new Promise((r) => setTimeout(r, 20));
      }
      notes.typeInNote(id, { index: 0, remove: 0, insert: text });
      await handle.member.space.flush();
    }, oldText);

    // Ann starts a note and formats as she types (Markdown shortcuts); Bob sees the structure.
    await tab(a, "Notes");
    await a.getByRole("button", { name: "New note" }).click();
    await a.getByLabel("Note title").fill("Shopping list");
    await a.getByLabel("Note title").press("Enter");
    await editor(a).click();
    await a.keyboard.type("# Seeds\n");
    await a.keyboard.type("Buy **bold** and *slanted* and ~~old~~ and `code` now\n");
    await a.keyboard.type("- carrots\nbeets\n\n");
    await a.keyboard.type("1. dig\nsow\n\n");
    await a.keyboard.type("[ ] water\n\n");
    await a.keyboard.type("> patience\n\n");
    await a.keyboard.type("See https://example.org/seeds and more\n");
    await tab(b, "Notes");
    await b.getByRole("button", { name: /^Shopping list/ }).click({ timeout: 20_000 });
    const bob = editor(b);
    await expect(bob.locator("h1")).toHaveText("Seeds", { timeout: 20_000 });
    await expect(bob.locator("strong")).toHaveText("bold");
    await expect(bob.locator("em")).toHaveText("slanted");
    await expect(bob.locator("s")).toHaveText("old");
    await expect(bob.locator("p code")).toHaveText("code");
    await expect(bob.locator("ul:not([data-type]) > li")).toHaveText(["carrots", "beets"]);
    await expect(bob.locator("ol > li")).toHaveText(["dig", "sow"]);
    await expect(bob.locator('ul[data-type="taskList"] > li > div')).toHaveText(["water"]);
    await expect(bob.locator('ul[data-type="taskList"] input[type="checkbox"]')).toHaveCount(1);
    await expect(bob.locator("blockquote")).toHaveText("patience");
    await expect(bob.locator('a[href="https://example.org/seeds"]')).toHaveText(
      "https://example.org/seeds",
    );

    // Each sees the other's caret, named by the membership; Bob sees where Ann is.
    await expect(b.locator(".collaboration-carets__label")).toHaveText("Ann", { timeout: 20_000 });
    await bob.locator("blockquote").click();
    await expect(a.locator(".collaboration-carets__label")).toHaveText("Bob", { timeout: 20_000 });
    // On the Notes tab and beside the note in... the tab here (Bob has the note open).
    await expect(b.getByRole("tab", { name: /^Notes/ }).getByRole("img")).toHaveAccessibleName(
      "Ann is in Notes: Shopping list",
    );
    await capture(a, "notes-editor");

    // Both type into the same paragraph at once; the two copies converge, keeping every key.
    await editor(a).locator("blockquote p").click();
    await a.keyboard.press("End");
    await bob.locator("blockquote p").click();
    await b.keyboard.press("End");
    await Promise.all([a.keyboard.type(" ann-types-here"), b.keyboard.type(" bob-types-too")]);
    const quote = (page: Page) =>
      noteText(page).then((t) => t.split("\n").find((l) => l.startsWith("patience")));
    await expect
      .poll(() => quote(b), { timeout: 20_000 })
      .toHaveLength("patience".length + " ann-types-here".length + " bob-types-too".length);
    await expect.poll(() => quote(a), { timeout: 20_000 }).toBe(await quote(b));
    // Typing in the editor still signs "edited by". Either stamp may be the newest after
    // both typed at once, so Bob types once more, alone, and his is.
    await b.keyboard.press("End");
    await b.keyboard.type("!");
    await expect.poll(() => quote(a), { timeout: 20_000 }).toMatch(/!$/);
    await expect(a.getByText(/edited by Bob/)).toBeVisible({ timeout: 20_000 });

    // Ann leaves the note: her caret goes from Bob's editor, and the list says where she is not.
    await a.getByRole("button", { name: "← All notes" }).click();
    await expect(b.locator(".collaboration-carets__label")).toHaveCount(0, { timeout: 20_000 });
    await expect(b.getByRole("img", { name: /^Ann is in Notes: Shopping list/ })).toHaveCount(0);
    await expect(
      a.getByRole("listitem").filter({ hasText: "Shopping list" }).getByRole("img"),
    ).toHaveAccessibleName("Bob is in Notes: Shopping list", { timeout: 20_000 });
    await capture(a, "notes-list");

    // Pasted HTML keeps its structure, never a script, a handler, a javascript: link or an image.
    await a.getByRole("button", { name: /^Shopping list/ }).click();
    await editor(a).locator("p", { hasText: "See https" }).click();
    await a.keyboard.press("End");
    await a.keyboard.press("Enter");
    await editor(a).evaluate((el) => {
      const data = new DataTransfer();
      data.setData(
        "text/html",
        '<h2>Pasted</h2><p>safe <a href="https://ok.example/">ok</a> <a href="javascript:window.pwned=1">bad</a>' +
          ' <img src="https://evil.example/x.png" onerror="window.pwned=2"><script>window.pwned=3</script>' +
          ' <b onclick="window.pwned=4">loud</b></p>',
      );
      data.setData("text/plain", "Pasted safe ok bad loud");
      el.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
      );
    });
    for (const page of [a, b]) {
      const ed = editor(page);
      await expect(ed.locator("h2")).toHaveText("Pasted", { timeout: 20_000 });
      await expect(ed.locator('a[href="https://ok.example/"]')).toHaveText("ok");
      await expect(ed.locator("strong")).toContainText(["bold", "loud"]);
      // ProseMirror's own separator <img> (no src) sits after a caret at a line's end.
      const bad = "script, img:not(.ProseMirror-separator), img[src], [onerror], [onclick]";
      expect(await ed.locator(bad).count()).toBe(0);
      expect(await ed.locator('a[href^="javascript" i]').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    }
    await expect.poll(() => noteText(b)).toContain("bad");

    // The viewer reads the note, and cannot change it.
    await tab(c, "Notes");
    await c.getByRole("button", { name: /^Shopping list/ }).click({ timeout: 20_000 });
    await expect(editor(c).locator("h1")).toHaveText("Seeds", { timeout: 20_000 });
    await expect(editor(c)).toHaveAttribute("contenteditable", "false");
    await expect(c.getByRole("toolbar", { name: "Formatting" })).toHaveCount(0);
    const before = await noteText(c);
    await editor(c).click();
    await c.keyboard.type("viewer was here");
    expect(await noteText(c)).toBe(before);
    await expect.poll(() => noteText(a)).not.toContain("viewer was here");
    await capture(c, "notes-viewer");

    // The textarea's note opens in the editor with its text: for the viewer before anyone
    // migrated it (a copy of her own), then for a writer (who migrates it), then for Ann.
    await c.getByRole("button", { name: "← All notes" }).click();
    await c.getByRole("button", { name: /^Old list/ }).click();
    await expect.poll(() => noteText(c), { timeout: 20_000 }).toBe(oldText);
    await b.getByRole("button", { name: "← All notes" }).click();
    await b.getByRole("button", { name: /^Old list/ }).click({ timeout: 20_000 });
    await expect.poll(() => noteText(b), { timeout: 20_000 }).toBe(oldText);
    await a.getByRole("button", { name: "← All notes" }).click();
    await a.getByRole("button", { name: /^Old list/ }).click();
    await expect.poll(() => noteText(a), { timeout: 20_000 }).toBe(oldText);

    // An idle editor sends nothing: no whereabouts for 10 s (presence's own 20 s heartbeat at most).
    await watchEphemeral(a);
    await editor(a).locator("p").first().click();
    await a.keyboard.type("x");
    await expect(b.locator(".collaboration-carets__label")).toHaveText("Ann", { timeout: 20_000 });
    await expect.poll(() => noteText(b), { timeout: 20_000 }).toContain("x");
    // Once the last throttled caret message has left, watch.
    await expect.poll(async () => (await ephemeralSent(a)).length).toBeGreaterThan(0);
    await expect.poll(() => whereWaiting(a)).toBe(false);
    const caretEnvelopes = await ephemeralSent(a);
    const whereBefore = await whereSent(a);
    const allBefore = caretEnvelopes.length;
    await a.waitForTimeout(10_000);
    expect(await whereSent(a)).toBe(whereBefore);
    expect((await ephemeralSent(a)).length - allBefore).toBeLessThanOrEqual(1);

    // No caret envelope, nor the note's name in clear, ever reached the relay's disk.
    const stored = filesUnder(app.relay.dataDir).map((f) => readFileSync(f));
    expect(stored.length).toBeGreaterThan(0);
    for (const hex of caretEnvelopes) {
      const envelope = Buffer.from(hex, "hex");
      // A run from the sealed body: unique to this envelope.
      const probe = envelope.subarray(envelope.length - 48, envelope.length - 16);
      for (const bytes of stored) expect(bytes.indexOf(probe)).toBe(-1);
    }
    for (const bytes of stored) {
      expect(bytes.indexOf(Buffer.from("Shopping list"))).toBe(-1);
      expect(bytes.indexOf(Buffer.from("Notes: "))).toBe(-1);
    }

    // A Markdown file imported as a note keeps every element, and exports back the same.
    const markdown = [
      "# Harvest",
      "Some **bold**, *italic*, ~~struck~~ and `code` with [a link](https://example.org/h)",
      "- leeks\n- kale",
      "1. lift\n2. store",
      "- [ ] label\n- [x] dry",
      "> keep cool",
      "```\nrow 3\n```",
      "---",
      "The end",
    ].join("\n\n");
    await a.getByRole("button", { name: "← All notes" }).click();
    await a.getByLabel("Markdown file to import").setInputFiles({
      name: "Harvest plan.md",
      mimeType: "text/markdown",
      buffer: Buffer.from(markdown),
    });
    await expect(a.getByLabel("Note title")).toHaveValue("Harvest plan");
    const imported = editor(a);
    await expect(imported.locator("h1")).toHaveText("Harvest");
    await expect(imported.locator('ul[data-type="taskList"] input[type="checkbox"]')).toHaveCount(
      2,
    );
    await expect(imported.locator("pre")).toHaveText("row 3");
    await expect(imported.locator("hr")).toHaveCount(1);
    const download = a.waitForEvent("download");
    await a.getByRole("button", { name: "Export Markdown" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe("Harvest plan.md");
    expect(readFileSync((await file.path())!, "utf8").trim()).toBe(markdown);
    await b.getByRole("button", { name: "← All notes" }).click();
    await expect(b.getByRole("button", { name: /^Harvest plan/ })).toBeVisible({ timeout: 20_000 });

    // The activity view: what others did, from Bob's replica, each item opening its place.
    await b.getByRole("button", { name: "Activity", exact: true }).click();
    const activity = b.getByRole("region", { name: "Allotment" });
    await expect(activity.getByRole("button", { name: /Cho joined/ })).toBeVisible();
    await expect(
      activity.getByRole("button", { name: /Ann (started|edited) the note “Old list”/ }),
    ).toBeVisible();
    await capture(b, "activity");
    await activity.getByRole("button", { name: /the note “Old list”/ }).click();
    await expect(b.getByRole("tab", { name: /^Notes/ })).toHaveAttribute("aria-selected", "true");
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
});

/** The relay's count of ephemeral sends it forwarded (its Prometheus counter). */
async function relayEphemeralSends(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${app.relay.port}/metrics`)).text();
  const line = /^grove_relay_sends_total\{[^}]*kind="ephemeral"[^}]*\} (\d+)/m.exec(text);
  return line ? Number(line[1]) : 0;
}

/** Records when the caret named `name` shows in which paragraph of this page's open note. */
async function watchCaret(page: Page, name: string) {
  await editor(page).evaluate((el, who) => {
    const w = globalThis as unknown as { caretSeen: { i: number; at: number }[] };
    w.caretSeen = [];
    const check = () => {
      const label = Array.from(el.querySelectorAll(".collaboration-carets__label")).find(
        (l) => l.textContent === who,
      );
      const i = label ? Array.from(el.querySelectorAll("p")).indexOf(label.closest("p")!) : -1;
      if (w.caretSeen[w.caretSeen.length - 1]?.i !== i) w.caretSeen.push({ i, at: Date.now() });
    };
    new MutationObserver(check).observe(el, { subtree: true, childList: true });
    check();
  }, name);
  await page.evaluate(() => {
    document.addEventListener(
      "mousedown",
      () => {
        (globalThis as unknown as { downAt: number }).downAt = Date.now();
      },
      true,
    );
  });
}

/**
 * Milliseconds from `from`'s click into each paragraph to its caret showing
 * there in `to`'s editor, each move made once the sender's whereabouts may
 * send at once (the 250 ms throttle is not what is measured).
 */
async function caretLatencies(from: Page, to: Page, order: number[]): Promise<number[]> {
  const out: number[] = [];
  for (const i of order) {
    await expect
      .poll(() =>
        from.evaluate(() => {
          const client = (globalThis as unknown as { groveClient: { spaces: Map<string, Handle> } })
            .groveClient;
          const where = [...client.spaces.values()][0]!.whereabouts as unknown as {
            timer?: unknown;
            lastSendAt: number;
          };
          return where.timer === undefined && Date.now() - where.lastSendAt > 300;
        }),
      )
      .toBe(true);
    await editor(from).locator("p").nth(i).click();
    await expect
      .poll(() =>
        to.evaluate(
          () => (globalThis as unknown as { caretSeen: { i: number }[] }).caretSeen.at(-1)?.i,
        ),
      )
      .toBe(i);
    const [down, seen] = await Promise.all([
      from.evaluate(() => (globalThis as unknown as { downAt: number }).downAt),
      to.evaluate(
        () => (globalThis as unknown as { caretSeen: { at: number }[] }).caretSeen.at(-1)!.at,
      ),
    ]);
    out.push(seen - down);
  }
  return out;
}

/**
 * Records every message this page hands to its WebRTC data channels (hex),
 * for what crosses the direct link to be inspected.
 */
async function tapDataChannels(page: Page) {
  await page.evaluate(() => {
    type Peer = { send(data: Uint8Array): void; tapped?: true };
    const client = globalThis as unknown as {
      groveClient: {
        spaces: Map<string, Handle>;
        engine: { directTransport(id: Uint8Array): unknown };
      };
      channelSent: string[];
    };
    client.channelSent = [];
    const handle = [...client.groveClient.spaces.values()][0];
    if (!handle) throw new Error("no space");
    const hex = handle.member.space.id;
    const id = Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
    const transport = client.groveClient.engine.directTransport(id) as {
      options: {
        mesh: { provider: { room: { webrtcConns: Map<string, { peer: Peer }> } } };
      };
    };
    for (const { peer } of transport.options.mesh.provider.room.webrtcConns.values()) {
      if (peer.tapped) continue;
      peer.tapped = true;
      const send = peer.send.bind(peer);
      peer.send = (data: Uint8Array) => {
        client.channelSent.push([...data].map((b) => b.toString(16).padStart(2, "0")).join(""));
        send(data);
      };
    }
  });
}

const channelSent = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { channelSent: string[] }).channelSent);

/** The space's ephemeral envelopes sealed so far (presence and carets), read off the client. */
const ephemeralSealed = (page: Page) =>
  page.evaluate(() => {
    const client = (globalThis as unknown as { groveClient: { spaces: Map<string, Handle> } })
      .groveClient;
    const handle = [...client.spaces.values()][0];
    return handle ? handle.whereabouts.sent : -1;
  });

/**
 * An idle editor for 10 s: the caret's whereabouts send nothing, and
 * whatever path is up carries at most presence's own heartbeat (20 s).
 */
async function idleTenSeconds(page: Page, pathCount: () => Promise<number>) {
  await expect.poll(() => whereWaiting(page)).toBe(false);
  const where = await ephemeralSealed(page);
  const before = await pathCount();
  await page.waitForTimeout(10_000);
  expect(await ephemeralSealed(page)).toBe(where);
  expect((await pathCount()) - before).toBeLessThanOrEqual(1);
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

test("carets over WebRTC when direct, the relay's ephemeral path unused; through the relay with WebRTC off", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const contexts = await Promise.all(
    [0, 1].map(() => browser.newContext({ viewport: { width: 1200, height: 800 } })),
  );
  for (const c of contexts) {
    await c.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.appUrl() });
  }
  const [ctxA, ctxB] = contexts as [BrowserContext, BrowserContext];
  try {
    const a = await person(ctxA, "Ana");
    const b = await person(ctxB, "Ben");
    await createSpace(a, "Orchard");
    await join(b, await invite(a, "Open"));
    await expect(b.getByRole("heading", { level: 1, name: "Orchard" })).toBeVisible();
    await tab(a, "Notes");
    await a.getByRole("button", { name: "New note" }).click();
    await a.getByLabel("Note title").fill("Pruning");
    await a.getByLabel("Note title").press("Enter");
    await editor(a).click();
    await a.keyboard.type("apples\npears\nplums\ncherries\nquinces");
    await tab(b, "Notes");
    await b.getByRole("button", { name: /^Pruning/ }).click({ timeout: 20_000 });
    await expect(editor(b).locator("p")).toHaveCount(5, { timeout: 20_000 });
    await editor(b).locator("p").first().click();

    // Directly linked (y-webrtc over loopback), each caret crosses the data channel.
    const directUsers = (page: Page) =>
      page.evaluate(
        () =>
          (
            globalThis as unknown as { groveClient: { directUsers(): Set<string> } }
          ).groveClient.directUsers().size,
      );
    await expect.poll(() => directUsers(a), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => directUsers(b), { timeout: 30_000 }).toBe(1);
    await watchCaret(a, "Ben");
    await watchCaret(b, "Ana");
    await tapDataChannels(a);
    const relayBefore = await relayEphemeralSends();
    const annToBen = await caretLatencies(a, b, [2, 4, 1, 3, 0]);
    const benToAnn = await caretLatencies(b, a, [3, 1, 4, 0, 2]);
    await expect(b.locator(".collaboration-carets__label")).toHaveText("Ana");
    await expect(a.locator(".collaboration-carets__label")).toHaveText("Ben");
    // Not one ephemeral envelope went through the relay while they moved.
    expect(await relayEphemeralSends()).toBe(relayBefore);
    test.info().annotations.push({
      type: "caret latency over WebRTC (ms)",
      description: JSON.stringify({ annToBen, benToAnn }),
    });
    expect(median(annToBen)).toBeLessThan(300);
    expect(median(benToAnn)).toBeLessThan(300);
    // What crossed the link: Grove's ephemeral messages are sealed envelopes (version 1,
    // kind 6: ephemeral), and nothing on the channel names the note or its text in clear.
    const sent = await channelSent(a);
    const carets = sent.filter((m) => m.startsWith("67"));
    expect(carets.length).toBeGreaterThanOrEqual(5);
    for (const m of carets) expect(m.slice(2, 6)).toBe("0106");
    const clear = ["Pruning", "quinces", "cherries"].map((w) => Buffer.from(w).toString("hex"));
    for (const m of sent) for (const w of clear) expect(m).not.toContain(w);
    // Idle over the direct link: no whereabouts, nothing on the channel but a heartbeat.
    const directMessages = async () =>
      (await channelSent(a)).filter((m) => m.startsWith("67")).length;
    await idleTenSeconds(a, directMessages);
    // Ben leaves the note: his caret goes from Ana's editor.
    await b.getByRole("button", { name: "← All notes" }).click();
    await expect(a.locator(".collaboration-carets__label")).toHaveCount(0, { timeout: 5_000 });
    expect(await relayEphemeralSends()).toBe(relayBefore);
    await b.getByRole("button", { name: /^Pruning/ }).click();
    await expect(editor(b).locator("p")).toHaveCount(5, { timeout: 20_000 });

    // WebRTC off (both reload without a mesh): the relay's ephemeral path carries them.
    for (const page of [a, b]) {
      await page.evaluate(() => {
        (globalThis as { groveNoDirect?: boolean }).groveNoDirect = true;
      });
      await page.context().addInitScript(() => {
        (globalThis as { groveNoDirect?: boolean }).groveNoDirect = true;
      });
      await page.reload();
      // The route keeps the space and its tool; the note is opened again.
      await page.getByRole("button", { name: /^Pruning/ }).click({ timeout: 30_000 });
      await expect(editor(page).locator("p")).toHaveCount(5, { timeout: 30_000 });
    }
    await editor(a).locator("p").first().click();
    await editor(b).locator("p").first().click();
    expect(await directUsers(a)).toBe(0);
    await watchCaret(a, "Ben");
    await watchCaret(b, "Ana");
    const relayed = await relayEphemeralSends();
    const viaRelayAB = await caretLatencies(a, b, [2, 4, 1]);
    const viaRelayBA = await caretLatencies(b, a, [3, 1, 4]);
    expect(await relayEphemeralSends()).toBeGreaterThanOrEqual(relayed + 6);
    test.info().annotations.push({
      type: "caret latency through the relay (ms)",
      description: JSON.stringify({ viaRelayAB, viaRelayBA }),
    });
    expect(median(viaRelayAB)).toBeLessThan(1000);
    expect(median(viaRelayBA)).toBeLessThan(1000);
    // Idle through the relay: no whereabouts, at most a heartbeat forwarded.
    await idleTenSeconds(a, relayEphemeralSends);
    // Ana leaves the note: her caret goes from Ben's editor.
    await a.getByRole("button", { name: "← All notes" }).click();
    await expect(b.locator(".collaboration-carets__label")).toHaveCount(0, { timeout: 5_000 });
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
});
