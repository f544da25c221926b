/** The app's own model of one space (SpaceHandle and its tools) on a test person's device. */
import { toHex } from "../core/crypto/bytes.js";
import type { MemberSpace } from "../core/membership/member-space.js";
import { SpaceHandle } from "../renderer/src/model/space-handle.js";
import { calendarTool } from "../renderer/src/tools/calendar/index.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { discussionTool } from "../renderer/src/tools/discussion/index.js";
import { filesTool } from "../renderer/src/tools/files/index.js";
import { notesTool } from "../renderer/src/tools/notes/index.js";
import { TOOL_PLUGINS } from "../renderer/src/tools/registry.js";
import { sketchTool } from "../renderer/src/tools/sketch/index.js";
import { tasksTool } from "../renderer/src/tools/tasks/index.js";
import type { Person } from "./membership-harness.js";

/** A space's handle with each tool's model at hand, as the app's views hold them. */
export function appSpace(handle: SpaceHandle) {
  return {
    handle,
    chat: handle.tool(chatTool),
    discussion: handle.tool(discussionTool),
    notes: handle.tool(notesTool),
    tasks: handle.tool(tasksTool),
    calendar: handle.tool(calendarTool),
    sketch: handle.tool(sketchTool),
    files: handle.tool(filesTool),
    nameOf: (user: string) => handle.nameOf(user),
    close: () => handle.close(),
  };
}

export function handleOf(p: Person, space: MemberSpace) {
  if (!p.engine) throw new Error(`${p.me.name} has no engine running`);
  const handle = new SpaceHandle({
    member: space,
    engine: p.engine,
    me: { user: p.id, device: toHex(p.me.keys.sign.publicKey), name: () => p.me.name },
    tools: TOOL_PLUGINS,
    changed: () => undefined,
    outboxChanged: async () => undefined,
  });
  return appSpace(handle);
}
