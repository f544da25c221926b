/**
 * The gallery: every screen at 360, 768 and 1280 px, light and dark, and every
 * dialog at each width, through the built app on a real relay. For each:
 * axe finds no serious or critical violation, nothing is wider than the
 * window (scrollWidth <= clientWidth on the page, the main column and each
 * tool's container, and no visible element reaches past the right edge), and
 * the screen's main actions are visible and clickable. Screenshots go to
 * test/artifacts/gallery/, with an index.html showing them side by side.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { AxeBuilder } from "@axe-core/playwright";
import { expect, type Locator, type Page, test } from "@playwright/test";
import type { GroveClient } from "../../renderer/src/model/client.js";
import type { CalendarModel } from "../../renderer/src/tools/calendar/model.js";
import type { ChatModel } from "../../renderer/src/tools/chat/model.js";
import type { DiscussionModel } from "../../renderer/src/tools/discussion/model.js";
import type { FilesModel } from "../../renderer/src/tools/files/model.js";
import type { NotesModel } from "../../renderer/src/tools/notes/model.js";
import type { SketchModel } from "../../renderer/src/tools/sketch/model.js";
import type { TasksModel } from "../../renderer/src/tools/tasks/model.js";
import { appRelayPerSpec, overflows, person } from "./app-ui.js";

const app = appRelayPerSpec();
const OUT = new URL("../artifacts/gallery/", import.meta.url).pathname;
const WIDTHS = [360, 768, 1280] as const;
const THEMES = ["light", "dark"] as const;
type Width = (typeof WIDTHS)[number];

interface Screen {
  name: string;
  /** The hash route it lives at ({space} is the seeded space's id). */
  route: string;
  /** What to do there first (open a note). */
  enter?: (page: Page) => Promise<void>;
  /** Waits for the screen to be there. */
  ready: (page: Page) => Locator;
  /** The screen's main actions: each must be visible, inside the window and clickable. */
  actions: (page: Page) => Locator[];
}

const button = (page: Page, name: string | RegExp) =>
  page.locator("#main").getByRole("button", { name, exact: typeof name === "string" });
const spaceActions = (page: Page) => [
  button(page, "Leave"),
  ...["Chat", "Discussion", "Notes", "Tasks", "Calendar", "Sketch", "Files", "Members"].map((t) =>
    page.getByRole("tab", { name: new RegExp(`^${t}`) }),
  ),
];
const tool = (name: string, ready: Screen["ready"], actions: Screen["actions"]): Screen => ({
  name: name.toLowerCase(),
  route: `#/space/{space}/${name.toLowerCase()}`,
  ready,
  actions: (page) => [...spaceActions(page), ...actions(page)],
});

const SCREENS: Screen[] = [
  {
    name: "home",
    route: "#/",
    ready: (p) => p.getByRole("heading", { name: "Welcome, Ann" }),
    actions: (p) => [
      button(p, "Create a space"),
      button(p, "Join with an invitation link"),
      // Below 900 px the spaces are listed on the first screen too.
      ...(p.viewportSize()!.width < 900 ? [button(p, /^Garden club/)] : []),
    ],
  },
  tool(
    "Chat",
    (p) => p.getByRole("log", { name: "Messages" }),
    (p) => [p.getByLabel("Message", { exact: true }), button(p, "Send")],
  ),
  tool(
    "Discussion",
    (p) => p.getByRole("form", { name: "New topic" }),
    (p) => [p.getByLabel("Topic title"), button(p, /^Seed swap/)],
  ),
  tool(
    "Notes",
    (p) => button(p, "New note"),
    (p) => [button(p, "New note"), button(p, /^Planting plan/)],
  ),
  {
    ...tool(
      "Notes",
      (p) => p.getByLabel("Note title"),
      (p) => [p.getByLabel("Note title"), button(p, "← All notes"), button(p, "Delete")],
    ),
    name: "note",
    enter: (p) => button(p, /^Planting plan/).click(),
  },
  tool(
    "Tasks",
    (p) => p.getByRole("list", { name: "Open tasks" }),
    (p) => [
      p.getByLabel("New task"),
      button(p, "Add"),
      p.getByRole("checkbox").first(),
      button(p, /^Rename/).first(),
      button(p, /^Delete/).first(),
    ],
  ),
  tool(
    "Calendar",
    (p) => button(p, "New event"),
    (p) => [button(p, "New event"), button(p, /^Cancel event/).first()],
  ),
  tool(
    "Sketch",
    (p) => p.getByRole("img", { name: /^Shared sketch/ }),
    (p) => [button(p, "Undo my last stroke"), button(p, "Clear")],
  ),
  tool(
    "Files",
    (p) => button(p, /^Save Seed list/),
    (p) => [button(p, "Share a file"), button(p, /^Save Seed list/), button(p, /^Remove Seed/)],
  ),
  tool(
    "Members",
    (p) => button(p, "Invite people"),
    (p) => [button(p, "Invite people")],
  ),
  {
    name: "buddies",
    route: "#/buddies",
    ready: (p) => p.getByRole("heading", { level: 1, name: "Buddies" }),
    actions: () => [],
  },
  {
    name: "status",
    route: "#/status",
    ready: (p) => p.locator("#main h1"),
    actions: () => [],
  },
  {
    name: "search",
    route: "#/search/tomatoes",
    ready: (p) => p.getByRole("heading", { name: /^Results for/ }),
    actions: (p) => [button(p, /tomatoes/i).first()],
  },
];

interface Dialog {
  name: string;
  route: string;
  open: (page: Page) => Promise<void>;
  actions: (dialog: Locator) => Locator[];
}

const DIALOGS: Dialog[] = [
  {
    name: "create-space",
    route: "#/",
    open: (p) => button(p, "Create a space").click(),
    actions: (d) => [d.getByLabel("Space name"), d.getByRole("button", { name: "Cancel" })],
  },
  {
    name: "join",
    route: "#/",
    open: (p) => button(p, "Join with an invitation link").click(),
    actions: (d) => [d.getByLabel("Invitation link"), d.getByRole("button", { name: "Cancel" })],
  },
  {
    name: "invite",
    route: "#/space/{space}/members",
    open: (p) => button(p, "Invite people").click(),
    actions: (d) => [d.getByRole("button", { name: "Create invitation" })],
  },
  {
    name: "switcher",
    route: "#/space/{space}/chat",
    open: (p) => p.keyboard.press("Control+k"),
    actions: (d) => [d.getByRole("combobox"), d.getByRole("option").first()],
  },
  {
    name: "shortcuts",
    route: "#/",
    open: (p) => p.keyboard.press("Control+/"),
    actions: (d) => [d.getByRole("button", { name: "Done" })],
  },
  {
    name: "link-device",
    route: "#/",
    open: async (p) => {
      if (p.viewportSize()!.width < 900) {
        await p.getByRole("button", { name: "Spaces and people" }).click();
      }
      await p.getByRole("navigation").getByRole("button", { name: "Link a device" }).click();
    },
    actions: (d) => [d.getByLabel("Device link"), d.getByRole("img", { name: /^QR code/ })],
  },
  {
    name: "confirm-leave",
    route: "#/space/{space}/chat",
    open: (p) => button(p, "Leave").click(),
    actions: (d) => [
      d.getByRole("button", { name: "Cancel" }),
      d.getByRole("button", { name: "Leave" }),
    ],
  },
];

/**
 * Every rule in the first theme; in the second, only what a theme changes (contrast), which
 * keeps the gallery inside its time budget.
 */
async function axe(page: Page, what: string, only?: "contrast", within?: string) {
  const builder = new AxeBuilder({ page });
  if (only) builder.withRules(["color-contrast", "link-in-text-block"]);
  // The sidebar is the same on every screen: scanned whole on the first, then the page's own part.
  if (within) builder.include(within);
  const results = await builder.analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect
    .soft(
      bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
      `axe on ${what}`,
    )
    .toEqual([]);
}

/**
 * Each action is visible, inside the window's width, enabled or honestly disabled, and the
 * topmost element at its centre once scrolled into view (nothing covers it): what a click
 * needs. One round trip per action, so the gallery stays quick.
 */
async function reachable(actions: Locator[], what: string) {
  for (const action of actions) {
    const problem = (await action.count())
      ? await action.first().evaluate((el) => {
          el.scrollIntoView({ block: "nearest", inline: "nearest" });
          const box = el.getBoundingClientRect();
          if (box.width === 0 || box.height === 0) return "is not visible";
          if (box.left < 0 || box.right > document.documentElement.clientWidth + 1) {
            return `lies outside the window (${Math.round(box.left)}..${Math.round(box.right)})`;
          }
          const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
          if (!top || !(el === top || el.contains(top) || (el as HTMLElement).contains(top))) {
            return `is covered by ${top?.tagName.toLowerCase()}.${top?.className}`;
          }
          return "";
        })
      : "is missing";
    expect.soft(problem, `${what}: ${action}`).toBe("");
  }
}

const spent: Record<string, number> = {};
async function timed<T>(what: string, work: Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await work;
  } finally {
    spent[what] = (spent[what] ?? 0) + Date.now() - t;
  }
}

const shots: { width: Width; theme: string; name: string; file: string }[] = [];

async function shoot(page: Page, width: Width, theme: string, name: string) {
  const file = `${width}-${theme}-${name}.png`;
  await page.screenshot({ path: `${OUT}${file}`, fullPage: false });
  shots.push({ width, theme, name, file });
}

function writeIndex() {
  const names = [...new Set(shots.map((s) => s.name))];
  const columns = WIDTHS.flatMap((w) => THEMES.map((t) => ({ w, t })));
  const cell = (name: string, w: Width, t: string) => {
    const s = shots.find((x) => x.name === name && x.width === w && x.theme === t);
    return s
      ? `<td><a href="${s.file}"><img src="${s.file}" alt="${name} ${w} ${t}"></a></td>`
      : "<td></td>";
  };
  const html = `<!doctype html><meta charset="utf-8"><title>Grove gallery</title>
<style>body{font:14px system-ui;margin:1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}img{max-width:260px;display:block}th{position:sticky;top:0;background:#fff}</style>
<h1>Grove gallery</h1><table><tr><th>screen</th>${columns.map((c) => `<th>${c.w} px, ${c.t}</th>`).join("")}</tr>
${names.map((n) => `<tr><th>${n}</th>${columns.map((c) => cell(n, c.w, c.t)).join("")}</tr>`).join("\n")}
</table>`;
  writeFileSync(`${OUT}index.html`, html);
}

async function seed(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const client = (globalThis as unknown as { groveClient: GroveClient }).groveClient;
    const h = await client.createSpace("Garden club");
    await client.createSpace("حديقة الحي");
    // The page script cannot hold the plug-ins: each tool's model by its id.
    const chat = h.model("chat") as ChatModel;
    await chat.send("Welcome to the garden club! The tomatoes are in.");
    await chat.send("Photos of the beds: https://example.com/garden/2026/beds-and-paths?view=all");
    await chat.send("שלום לכולם, מה שלומכם? נפגש בגינה ביום שישי.");
    await chat.send("مرحبا بالجميع، نلتقي في الحديقة يوم الجمعة.");
    await chat.send(
      "A longer message about the compost rota, so that wrapping shows: whoever turns the heap writes it down here, and please bring gloves.",
    );
    await (h.model("discussion") as DiscussionModel).startTopic(
      "Seed swap in spring",
      "What does everyone have left over? I have tomatoes.",
    );
    const note = await (h.model("notes") as NotesModel).createNote("Planting plan");
    void note;
    await (h.model("tasks") as TasksModel).addTask(
      "Water the tomatoes on the south beds before the heat",
    );
    await (h.model("tasks") as TasksModel).addTask("Fix the gate");
    const today = new Date();
    const pad = (n: number) => String(n).padStart(2, "0");
    const day = `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
    await (h.model("calendar") as CalendarModel).addEvent({
      title: "Work day",
      day,
      time: "10:00",
      minutes: 180,
      place: "The allotment, north gate",
    });
    await (h.model("files") as FilesModel).shareFile({
      name: "Seed list for the spring swap, with varieties and who brings what.pdf",
      type: "application/pdf",
      bytes: new Uint8Array(3000),
    });
    await (h.model("sketch") as SketchModel).draw({
      color: "#1f2d23",
      width: 4,
      points: [1000, 1500, 3000, 6000, 5200, 3000, 8000, 7000],
    });
    return h.id;
  });
}

test("every screen and dialog at 360, 768 and 1280 px, light and dark", async ({ browser }) => {
  test.setTimeout(240_000);
  mkdirSync(OUT, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    // Before anyone signs up, in a context of its own: the first screen a person sees.
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const first = await fresh.newPage();
    await first.goto(app.appUrl());
    for (const width of WIDTHS) {
      await first.setViewportSize({ width, height: width === 360 ? 740 : 800 });
      for (const theme of THEMES) {
        const what = `onboarding at ${width} px, ${theme}`;
        await first.evaluate((t) => {
          document.documentElement.dataset.theme = t;
        }, theme);
        await expect(first.getByRole("heading", { name: "Welcome to Grove" })).toBeVisible();
        await axe(first, what, theme === "dark" ? "contrast" : undefined);
        expect.soft(await overflows(first), `${what}: overflow`).toEqual([]);
        await shoot(first, width, theme, "onboarding");
        if (theme === "light") {
          await reachable(
            [
              first.getByRole("button", { name: "Create my identity" }),
              first.getByLabel("Your name"),
            ],
            what,
          );
        }
      }
    }
    await fresh.close();

    const page = await person(context, app.appUrl(), "Ann");
    const space = await seed(page);
    const go = async (route: string) => {
      await page.evaluate(
        (r) => {
          location.hash = r;
        },
        route.replace("{space}", space),
      );
    };
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 360 ? 740 : 800 });
      for (const theme of THEMES) {
        await page.evaluate((t) => {
          document.documentElement.dataset.theme = t;
        }, theme);
        for (const screen of SCREENS) {
          const what = `${screen.name} at ${width} px, ${theme}`;
          await timed("go", go(screen.route));
          if (screen.enter) await screen.enter(page);
          await timed("ready", expect(screen.ready(page), what).toBeVisible());
          await timed(
            "axe",
            axe(
              page,
              what,
              theme === "dark" ? "contrast" : undefined,
              screen.name === "home" ? undefined : "#main",
            ),
          );
          expect.soft(await timed("overflow", overflows(page)), `${what}: overflow`).toEqual([]);
          // The screenshot first: the reachability check scrolls actions into view.
          await timed("shot", shoot(page, width, theme, screen.name));
          // The themes share one layout: reachability is checked in the first.
          if (theme === "light") await timed("reach", reachable(screen.actions(page), what));
        }
        {
          // A message's own actions float over it on hover: on screen, clickable, covering nothing
          // of the message's text.
          const what = `chat actions at ${width} px, ${theme}`;
          await go("#/space/{space}/chat");
          const message = page.locator("article.message.mine").first();
          await message.hover();
          const edit = message.getByRole("button", { name: "Edit" });
          await expect(edit, what).toBeVisible();
          await shoot(page, width, theme, "chat-actions");
          if (theme === "light")
            await reachable([edit, message.getByRole("button", { name: "Delete" })], what);
          const text = await message.locator(".md").boundingBox();
          const bar = await message.locator(".message-actions").boundingBox();
          expect
            .soft(bar && text && bar.y + bar.height <= text.y + 2, `${what}: over the text`)
            .toBe(true);
        }
        if (width < 900) {
          const what = `drawer at ${width} px, ${theme}`;
          await go("#/space/{space}/chat");
          await page.getByRole("button", { name: "Spaces and people" }).click();
          const nav = page.getByRole("navigation");
          await expect(nav.getByRole("button", { name: /^Garden club/ })).toBeVisible();
          await axe(page, what, theme === "dark" ? "contrast" : undefined);
          await shoot(page, width, theme, "drawer");
          await reachable([nav.getByRole("button", { name: /^Garden club/ })], what);
          await page.keyboard.press("Escape");
          await expect(nav.getByRole("button", { name: /^Garden club/ })).toBeHidden();
        }
      }
      // Dialogs at every width, in one theme per width (both themes are covered across widths).
      const theme = width === 768 ? "dark" : "light";
      await page.evaluate((t) => {
        document.documentElement.dataset.theme = t;
      }, theme);
      for (const d of DIALOGS) {
        const what = `${d.name} dialog at ${width} px, ${theme}`;
        await go(d.route);
        await d.open(page);
        const dialog = page.locator("dialog[open]");
        await expect(dialog, what).toBeVisible();
        await axe(page, what, undefined, "dialog[open]");
        expect.soft(await overflows(page), `${what}: overflow`).toEqual([]);
        await shoot(page, width, theme, `dialog-${d.name}`);
        await reachable(d.actions(dialog), what);
        await page.keyboard.press("Escape");
        await expect(dialog, `${what} closes with Escape`).toHaveCount(0);
      }
    }
  } finally {
    console.log("gallery time (ms):", JSON.stringify(spent));
    writeIndex();
    await context.close();
  }
});
