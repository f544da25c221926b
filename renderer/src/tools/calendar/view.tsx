import { type FormEvent, useState } from "react";
import {
  type Answer,
  type EventView,
  MAX_EVENT_TITLE,
} from "../../../../core/space/tools/calendar.js";
import type { SpaceHandle } from "../../model/space-handle.js";
import type { ToolViewProps } from "../../model/tool-plugin.js";
import { useConfirm } from "../../ui/Confirm.js";
import { Alert } from "../../ui/Form.js";
import { localDay, wallClock } from "../../ui/format.js";
import { useClient } from "../../ui/hooks.js";
import type { CalendarModel } from "./model.js";

const ANSWER_TEXT: Record<Answer, string> = { yes: "Going", maybe: "Maybe", no: "Can't go" };

/** "Saturday 5 December 2026" for a "YYYY-MM-DD" day, read as a calendar day. */
function dayTitle(day: string): string {
  return new Date(`${day}T12:00:00`).toLocaleDateString(undefined, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  });
}

function when(e: EventView): string {
  if (e.time === "") return "All day";
  if (e.minutes === 0) return wallClock(e.time);
  const [h, m] = e.time.split(":").map(Number) as [number, number];
  const end = h * 60 + m + e.minutes;
  const pad = (n: number) => String(n).padStart(2, "0");
  const later = end >= 24 * 60 ? ` (+${Math.floor(end / (24 * 60))}d)` : "";
  const until = wallClock(`${pad(Math.floor(end / 60) % 24)}:${pad(end % 60)}`);
  return `${wallClock(e.time)} – ${until}${later}`;
}

/** The space's calendar: what is coming up, day by day, and who comes. */
export function CalendarView({ handle, model }: ToolViewProps<CalendarModel>) {
  const [showPast, setShowPast] = useState(false);
  const [adding, setAdding] = useState(false);
  const today = localDay();
  const all = model.events();
  const past = all.filter((e) => e.day < today);
  const shown = showPast ? all : all.filter((e) => e.day >= today);
  const days = [...new Set(shown.map((e) => e.day))];
  return (
    <div className="calendar">
      {handle.canWrite &&
        (adding ? (
          <NewEvent model={model} today={today} onDone={() => setAdding(false)} />
        ) : (
          <div className="row end">
            <button type="button" className="primary" onClick={() => setAdding(true)}>
              New event
            </button>
          </div>
        ))}
      {past.length > 0 && (
        <button type="button" className="link" onClick={() => setShowPast(!showPast)}>
          {showPast
            ? "Hide past events"
            : `Show ${past.length} past ${past.length === 1 ? "event" : "events"}`}
        </button>
      )}
      {days.map((day) => (
        <section key={day} className="day" aria-label={dayTitle(day)}>
          <h2 className="small">{day === today ? `Today · ${dayTitle(day)}` : dayTitle(day)}</h2>
          <ul className="events">
            {shown
              .filter((e) => e.day === day)
              .map((e) => (
                <EventRow key={e.id} handle={handle} model={model} event={e} />
              ))}
          </ul>
        </section>
      ))}
      {shown.length === 0 && <p className="muted pad">Nothing planned.</p>}
    </div>
  );
}

function EventRow({
  handle,
  model,
  event,
}: {
  handle: SpaceHandle;
  model: CalendarModel;
  event: EventView;
}) {
  const client = useClient();
  const { dialog: confirmDialog, ask } = useConfirm();
  const mine = event.answers[client.myUser];
  const going = Object.entries(event.answers)
    .filter(([, a]) => a === "yes")
    .map(([u]) => handle.nameOf(u));
  const maybe = Object.values(event.answers).filter((a) => a === "maybe").length;
  return (
    <li className="event">
      {confirmDialog}
      <div className="grow">
        <strong className="event-title" dir="auto">
          {event.title}
        </strong>
        <span className="muted small">
          {when(event)}
          {event.place && (
            <>
              {" · "}
              <bdi>{event.place}</bdi>
            </>
          )}{" "}
          · by <bdi>{event.created.name}</bdi>
        </span>
        <span className="small" data-testid="answers">
          {going.length > 0 ? `Going: ${going.join(", ")}` : "Nobody going yet"}
          {maybe > 0 && ` · ${maybe} maybe`}
        </span>
      </div>
      {handle.canWrite && (
        <fieldset className="answers">
          <legend className="sr-only">Your answer to {event.title}</legend>
          {(Object.keys(ANSWER_TEXT) as Answer[]).map((a) => (
            <button
              key={a}
              type="button"
              aria-pressed={mine === a}
              onClick={() =>
                void client.attempt("Answering", () =>
                  model.answerEvent(event.id, mine === a ? null : a),
                )
              }
            >
              {ANSWER_TEXT[a]}
            </button>
          ))}
        </fieldset>
      )}
      {handle.canWrite && (handle.canManage || event.created.by === client.myUser) && (
        <button
          type="button"
          onClick={() =>
            ask({
              title: "Cancel this event?",
              body: `"${event.title}" is taken off the calendar for everyone in the space.`,
              action: "Cancel event",
              run: () =>
                void client.attempt("Cancelling the event", () => model.cancelEvent(event.id)),
            })
          }
        >
          Cancel event <span className="sr-only">{event.title}</span>
        </button>
      )}
    </li>
  );
}

function NewEvent(props: { model: CalendarModel; today: string; onDone: () => void }) {
  const { model, today } = props;
  const [title, setTitle] = useState("");
  const [day, setDay] = useState(today);
  const [time, setTime] = useState("");
  const [minutes, setMinutes] = useState(60);
  const [place, setPlace] = useState("");
  const [problem, setProblem] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    try {
      await model.addEvent({ title, day, time, minutes: time ? minutes : 0, place });
      props.onDone();
    } catch (err) {
      setProblem((err as Error).message);
    }
  };
  return (
    <form className="new-event card" onSubmit={submit} aria-label="New event">
      <label className="wide">
        Event
        <input
          dir="auto"
          value={title}
          maxLength={MAX_EVENT_TITLE}
          onChange={(e) => setTitle(e.target.value)}
        />
      </label>
      <label>
        Day
        <input type="date" required value={day} onChange={(e) => setDay(e.target.value)} />
      </label>
      <label>
        Time <span className="muted">(empty: all day)</span>
        <input type="time" value={time} onChange={(e) => setTime(e.target.value)} />
      </label>
      <label>
        Length in minutes
        <input
          type="number"
          min={0}
          max={10080}
          step={15}
          disabled={!time}
          value={minutes}
          onChange={(e) => setMinutes(Number(e.target.value))}
        />
      </label>
      <label className="wide">
        Place <span className="muted">(optional)</span>
        <input
          dir="auto"
          value={place}
          maxLength={200}
          onChange={(e) => setPlace(e.target.value)}
        />
      </label>
      <Alert message={problem} />
      <div className="row end wide">
        <button type="button" onClick={props.onDone}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!title.trim()}>
          Add to calendar
        </button>
      </div>
    </form>
  );
}
