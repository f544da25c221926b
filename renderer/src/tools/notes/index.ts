/** Notes: shared notes edited together, with carets. Its model, view, search, notices and activity, as one plug-in. */
import { defineTool } from "../../model/tool-plugin.js";
import { NotesModel } from "./model.js";
import { NotesView } from "./view.js";

export const notesTool = defineTool({
  id: "notes",
  label: "Notes",
  create: (context) => new NotesModel(context),
  View: NotesView,
});
