/** Calendar: events and who comes. Its model, view, search, notices and activity, as one plug-in. */
import { defineTool } from "../../model/tool-plugin.js";
import { CalendarModel } from "./model.js";
import { CalendarView } from "./view.js";

export const calendarTool = defineTool({
  id: "calendar",
  label: "Calendar",
  create: (context) => new CalendarModel(context),
  View: CalendarView,
});
