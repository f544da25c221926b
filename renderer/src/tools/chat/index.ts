/** Chat: the space's conversation: signed messages, delivery states, receipts. Its model, view, search, notices and activity, as one plug-in. */
import { defineTool } from "../../model/tool-plugin.js";
import { ChatModel } from "./model.js";
import { ChatView } from "./view.js";

export const chatTool = defineTool({
  id: "chat",
  label: "Chat",
  create: (context) => new ChatModel(context),
  View: ChatView,
});
