/**
 * What a tool is to the rest of the app: one plug-in object per tool (chat,
 * discussion, notes, ...) that names it, builds its model for a space, and
 * renders its view. The model answers, each optionally, the questions asked
 * of every tool at once: search, notifications, activity, unread count, the
 * outbox listing. `SpaceHandle` holds one model per plug-in of the registry
 * it is given and asks them through this interface only, so a new tool is a
 * new folder under renderer/src/tools and one line in its registry.
 */
import type { ReactNode } from "react";
import type { ToolHit } from "../../../core/space/tools/search.js";
import type { OutboxEntry } from "../../../core/sync/outbox.js";
import type { ActivityItem } from "./activity.js";
import type { SpaceContext } from "./space-context.js";
import type { SpaceHandle } from "./space-handle.js";

/** One search result in a tool, before the space is named (core's search builds them). */
export type { ToolHit } from "../../../core/space/tools/search.js";

/**
 * Something worth a system notification, in three levels of detail: the
 * preview setting (ui/notifications.ts) decides which one is shown.
 */
export interface Notice {
  /** Unique per thing told (a notice is shown once per run). */
  readonly key: string;
  /** Told even while this space is on screen (a mention, a task given to this user). */
  readonly urgent: boolean;
  readonly title: string;
  readonly body: string;
  /** The body when names may show but not content. */
  readonly generic: string;
  /** The whole notice when nothing of it may show. */
  readonly neutral: string;
}

/** What every tool's model may answer; SpaceHandle asks nothing else of it. */
export interface ToolModel {
  /** Items whose text passes `matches` (case and accents already folded by the caller). */
  search?(matches: (text: string) => boolean): ToolHit[];
  /** What happened after `since` that tells this user something, in `space`. */
  notices?(since: number, space: string): Notice[];
  /** What others did after `since`, for the activity view. */
  activity?(since: number): ActivityItem[];
  /** Items by others after `readAt` that count as unread. */
  unread?(readAt: number): number;
  /** When the tool last saw something written (0 for never). */
  lastActivity?(): number;
  /** The outbox as it stands; true when this tool learned something from it. */
  notePending?(entries: readonly OutboxEntry[]): boolean;
  /** Stops timers and listeners (the space is closed). */
  close?(): Promise<void> | void;
}

export interface ToolViewProps<M> {
  readonly handle: SpaceHandle;
  readonly model: M;
}

/**
 * A view as a function component, compared bivariantly (as React's own event handler types
 * are), so a registry of tools with different models is one array type.
 */
type ToolView<M> = {
  bivarianceHack(props: ToolViewProps<M>): ReactNode;
}["bivarianceHack"];

export interface ToolPlugin<M extends ToolModel = ToolModel, Label extends string = string> {
  /** Stable key (lower case), for the handle's map and tests. */
  readonly id: string;
  /** The tab's name, and the route's (lower-cased). */
  readonly label: Label;
  create(context: SpaceContext): M;
  readonly View: ToolView<M>;
}

/** Keeps the model's type and the label's literal, so `handle.tool(chat)` is a ChatModel. */
export function defineTool<M extends ToolModel, const Label extends string>(
  plugin: ToolPlugin<M, Label>,
): ToolPlugin<M, Label> {
  return plugin;
}

/** The tools a client runs, in tab order. */
export type ToolRegistry = readonly ToolPlugin<ToolModel>[];

export class ToolMissingError extends Error {
  override readonly name = "ToolMissingError";
  readonly code = "TOOL_MISSING";
  constructor(readonly tool: string) {
    super(`the tool "${tool}" is not in this client's registry`);
  }
}
