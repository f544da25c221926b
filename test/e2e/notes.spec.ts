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
 * others did; axe in light and dark.
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
    // Typing in the editor still signs "edited by": Bob's stamp is the newest.
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
