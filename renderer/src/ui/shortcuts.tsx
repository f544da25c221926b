/**
 * The app's keyboard shortcuts: one table, shown by the help dialog (? or
 * Ctrl/Cmd+/) and read by the handler, so what is listed is what works.
 */
import { useEffect } from "react";
import { Dialog } from "./Dialog.js";

const mac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);
const MOD = mac ? "⌘" : "Ctrl";
const ALT = mac ? "⌥" : "Alt";

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: `${MOD}+K`, what: "Switch to another space" },
  { keys: `${ALT}+M`, what: "Write in the open tool (message, reply, task)" },
  { keys: `${ALT}+1 … ${ALT}+8`, what: "Open a tool of the space: Chat … Members" },
  { keys: "/", what: "Search" },
  { keys: "Enter", what: "Send; Shift+Enter starts a new line" },
  { keys: "Escape", what: "Close a dialog, the search or the space list" },
  { keys: `? or ${MOD}+/`, what: "This list" },
];

export type ShortcutAction =
  | { kind: "switcher" }
  | { kind: "help" }
  | { kind: "search" }
  | { kind: "compose" }
  | { kind: "tool"; index: number };

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el?.tagName) return false;
  return /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable;
}

/** What a key press asks for, if it is one of the shortcuts. */
export function shortcutOf(e: KeyboardEvent): ShortcutAction | undefined {
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.altKey && e.key.toLowerCase() === "k") return { kind: "switcher" };
  if (mod && e.key === "/") return { kind: "help" };
  if (e.altKey && !mod && e.code === "KeyM") return { kind: "compose" };
  const digit = /^Digit([1-8])$/.exec(e.code);
  if (e.altKey && !mod && digit) return { kind: "tool", index: Number(digit[1]) - 1 };
  if (mod || e.altKey || typing(e.target)) return undefined;
  if (e.key === "?") return { kind: "help" };
  if (e.key === "/") return { kind: "search" };
  return undefined;
}

export function useShortcuts(run: (a: ShortcutAction) => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // A modal dialog owns the keyboard, except for the switcher's own key.
      const modal = document.querySelector("dialog[open]");
      const action = shortcutOf(e);
      if (!action || (modal && action.kind !== "switcher")) return;
      e.preventDefault();
      run(action);
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [run]);
}

/** Focuses the open tool's writing field, if it has one. */
export function focusComposer(): boolean {
  const field = document.querySelector<HTMLElement>("#main [data-composer]");
  field?.focus();
  return field !== null;
}

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <dl className="shortcuts">
        {SHORTCUTS.map((s) => (
          <div key={s.keys}>
            <dt>
              <kbd>{s.keys}</kbd>
            </dt>
            <dd>{s.what}</dd>
          </div>
        ))}
      </dl>
      <div className="row end">
        <button type="button" className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
