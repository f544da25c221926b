/**
 * Every tool the app runs, in tab order: the one list a new tool joins (its
 * folder beside this file holds its model, view, search, notices and
 * activity). The client hands it to each space's handle, which knows tools
 * only through it (model/tool-plugin.ts).
 */

import { calendarTool } from "./calendar/index.js";
import { chatTool } from "./chat/index.js";
import { discussionTool } from "./discussion/index.js";
import { filesTool } from "./files/index.js";
import { notesTool } from "./notes/index.js";
import { sketchTool } from "./sketch/index.js";
import { tasksTool } from "./tasks/index.js";

export const TOOL_PLUGINS = [
  chatTool,
  discussionTool,
  notesTool,
  tasksTool,
  calendarTool,
  sketchTool,
  filesTool,
] as const;

/** A tool's tab and route name ("Chat", ...). */
export type ToolLabel = (typeof TOOL_PLUGINS)[number]["label"];

export const TOOL_LABELS: readonly ToolLabel[] = TOOL_PLUGINS.map((t) => t.label);
