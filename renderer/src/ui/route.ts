/**
 * Where the user is, as a hash route (#/space/<id>/<tool>, #/buddies, #/status,
 * #/activity, #/search/<words>): reload, back and forward keep the place, and a hash works
 * alike over http(s), app:// and file:// (the desktop shell), since it never
 * reaches a server. An unknown or malformed route is the home screen.
 */
import { useCallback, useEffect, useState } from "react";
import { recentErrors } from "../../../core/diagnostics/recent-errors.js";
import { TOOL_LABELS, type ToolLabel } from "../tools/registry.js";

/** The tabs of a space: its tools (the registry's), then its members. */
export const TOOLS: readonly Tool[] = [...TOOL_LABELS, "Members"];
export type Tool = ToolLabel | "Members";

export type View =
  | { kind: "space"; id: string; tool?: Tool }
  | { kind: "buddies" }
  | { kind: "status" }
  | { kind: "search"; query: string }
  | { kind: "activity" }
  | { kind: "home" };

const SPACE_ID = /^[0-9a-f]{32}$/;

export function parseRoute(hash: string): View {
  const parts = hash.replace(/^#\/?/, "").split("/");
  const [head, a, b] = parts;
  if (head === "space" && a && SPACE_ID.test(a)) {
    const tool = TOOLS.find((t) => t.toLowerCase() === b);
    return tool ? { kind: "space", id: a, tool } : { kind: "space", id: a };
  }
  if (head === "buddies" && parts.length === 1) return { kind: "buddies" };
  if (head === "status" && parts.length === 1) return { kind: "status" };
  if (head === "activity" && parts.length === 1) return { kind: "activity" };
  if (head === "search" && a) {
    const query = decoded(parts.slice(1).join("/"))?.trim();
    if (query) return { kind: "search", query };
  }
  return { kind: "home" };
}

/** `text` with its %-escapes decoded; undefined for a malformed escape (the route is then home). */
function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export function formatRoute(view: View): string {
  switch (view.kind) {
    case "space":
      return `#/space/${view.id}${view.tool ? `/${view.tool.toLowerCase()}` : ""}`;
    case "search":
      return `#/search/${encodeURIComponent(view.query)}`;
    case "home":
      return "#/";
    default:
      return `#/${view.kind}`;
  }
}

/**
 * The current view and a way to go elsewhere: a new history entry, or in place
 * (`replace`) for steps that are not places of their own, such as each letter
 * typed into search.
 */
/**
 * Where a start without a route opens: the last place, as Slack and Element reopen the last
 * room. Kept beside the theme (this device's display state); searches are not kept, since
 * their words may be private and this storage is not encrypted.
 */
const LAST = "grove.lastPlace";

function remember(view: View): void {
  try {
    if (view.kind !== "search") localStorage.setItem(LAST, formatRoute(view));
  } catch (err) {
    // Storage full or refused: the next start opens at home, nothing worse.
    recentErrors.note("LOCAL_STORAGE", "remembering the last place for the next start", err);
  }
}

function initialView(): View {
  if (location.hash.length > 1) return parseRoute(location.hash);
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(LAST);
  } catch (err) {
    recentErrors.note("LOCAL_STORAGE", "reading the last place at start", err);
  }
  const view = saved ? parseRoute(saved) : { kind: "home" as const };
  if (view.kind !== "home") history.replaceState(null, "", formatRoute(view));
  return view;
}

export function useRoute(): [View, (v: View, how?: { replace?: boolean }) => void] {
  const [view, setView] = useState<View>(initialView);
  useEffect(() => remember(view), [view]);
  useEffect(() => {
    const onHash = () => setView(parseRoute(location.hash));
    // Back and forward over pushState entries fire popstate (and hashchange); typed hashes only the latter.
    addEventListener("hashchange", onHash);
    addEventListener("popstate", onHash);
    return () => {
      removeEventListener("hashchange", onHash);
      removeEventListener("popstate", onHash);
    };
  }, []);
  const navigate = useCallback((next: View, how?: { replace?: boolean }) => {
    const hash = formatRoute(next);
    if (hash !== location.hash) {
      // pushState/replaceState fire no hashchange: the state is set here instead.
      if (how?.replace) history.replaceState(null, "", hash);
      else history.pushState(null, "", hash);
    }
    setView(next);
  }, []);
  return [view, navigate];
}
