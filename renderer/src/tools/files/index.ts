/** Files: files shared through the relay, sealed. Its model, view, search, notices and activity, as one plug-in. */
import { defineTool } from "../../model/tool-plugin.js";
import { FilesModel } from "./model.js";
import { FilesView } from "./view.js";

export const filesTool = defineTool({
  id: "files",
  label: "Files",
  create: (context) => new FilesModel(context),
  View: FilesView,
});
