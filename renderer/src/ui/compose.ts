/**
 * What every writing field of the app shares: Enter sends (Shift+Enter, or
 * Enter while an input method is composing, stays in the text), and unsent
 * text is a draft kept per space and tool (model/drafts.ts).
 */
import { type KeyboardEvent, useCallback, useState } from "react";
import { draftKey } from "../model/drafts.js";
import { useClientActions } from "./hooks.js";

/** onKeyDown for a textarea inside a form: Enter submits the form. */
export function submitOnEnter(e: KeyboardEvent<HTMLTextAreaElement>): void {
  if (e.key !== "Enter" || e.shiftKey || e.nativeEvent.isComposing) return;
  e.preventDefault();
  e.currentTarget.form?.requestSubmit();
}

/** A text field's value, kept as the draft of `spaceId`'s `tool` (and `sub`, such as a topic). */
export function useDraft(
  spaceId: string,
  tool: string,
  sub?: string,
): [string, (text: string) => void] {
  const client = useClientActions();
  const key = draftKey(spaceId, tool, sub);
  const [text, setText] = useState(() => client.drafts?.get(key) ?? "");
  const set = useCallback(
    (next: string) => {
      setText(next);
      client.drafts?.set(key, next);
    },
    [client, key],
  );
  return [text, set];
}
