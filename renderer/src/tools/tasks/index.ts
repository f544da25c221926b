/** Tasks: a shared task list: done, assignee, due day. Its model, view, search, notices and activity, as one plug-in. */
import { defineTool } from "../../model/tool-plugin.js";
import { TasksModel } from "./model.js";
import { TasksView } from "./view.js";

export const tasksTool = defineTool({
  id: "tasks",
  label: "Tasks",
  create: (context) => new TasksModel(context),
  View: TasksView,
});
