/** Sketch: one shared drawing. Its model, view, search, notices and activity, as one plug-in. */
import { defineTool } from "../../model/tool-plugin.js";
import { SketchModel } from "./model.js";
import { SketchView } from "./view.js";

export const sketchTool = defineTool({
  id: "sketch",
  label: "Sketch",
  create: (context) => new SketchModel(context),
  View: SketchView,
});
