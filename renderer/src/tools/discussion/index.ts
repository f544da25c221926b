/** Discussion: topics and their replies. Its model, view, search, notices and activity, as one plug-in. */
import { defineTool } from "../../model/tool-plugin.js";
import { DiscussionModel } from "./model.js";
import { DiscussionView } from "./view.js";

export const discussionTool = defineTool({
  id: "discussion",
  label: "Discussion",
  create: (context) => new DiscussionModel(context),
  View: DiscussionView,
});
